"""Configuration: every problem is explained with its key path; the example is the default."""

import re
import tomllib

import pytest

from connectors import CONNECTORS
from webcare import config
from webcare.settings import SettingsError, option_paths

from conftest import ROOT

EXAMPLE = ROOT / "config.example.toml"


def problems_of(text: str, tmp_path) -> list[str]:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as err:
        config.load(path)
    return err.value.problems


def test_example_config_is_the_embedded_default():
    loaded = config.load(EXAMPLE)
    default = config.default()
    assert loaded == default


def test_every_option_appears_in_the_example():
    text = EXAMPLE.read_text()
    keys = set(re.findall(r"^#?\s*([a-z_]+)\s*=", text, re.M))
    tables = set(re.findall(r"^\[+([a-z_.]+)\]+", text, re.M))
    missing = []
    for path in option_paths(config.Config):
        if path in ("base_dir", "source") or path.startswith("connectors."):
            continue
        section, _, key = path.rpartition(".")
        if section not in tables or key not in keys:
            missing.append(path)
    for kind in CONNECTORS.values():
        missing += [f"connectors.{k}" for k in option_paths(kind.Options) if k not in keys]
    missing += [f"connectors.{k}" for k in config.COMMON_CONNECTOR_KEYS if k not in keys]
    assert not missing, f"options missing from config.example.toml: {missing}"


def test_example_parses_as_plain_toml():
    assert tomllib.loads(EXAMPLE.read_text())["connectors"][0]["type"] == "replay"


def test_all_problems_are_reported_at_once_with_key_paths(tmp_path):
    problems = problems_of("""
[store]
path = 3
colour = "red"
[runner]
backoff_max_seconds = -1
[brand]
timezone = "Mars/Olympus"
[engine]
sensitivity = "paranoid"
[[connectors]]
type = "replay"
name = "a"
poll_seconds = "often"
bogus = 1
[[connectors]]
type = "fax"
name = "b"
[[connectors]]
type = "replay"
name = "a"
[surprise]
""", tmp_path)
    text = "\n".join(problems)
    for expected in [
        "store.path: expected a string, got number 3",
        "store.colour: unknown key",
        "runner.backoff_max_seconds: expected a number above 0",
        "brand.timezone: expected an IANA time zone",
        "engine.sensitivity: expected one of 'fewer', 'balanced', 'more'",
        "connectors[0].poll_seconds: expected a number, got string 'often'",
        "connectors[0].bogus: unknown key",
        "connectors[1].type: expected one of bluesky, email, facebook, feed, instagram, mastodon, reddit, replay, x",
        "connectors[2].name: 'a' is used by another connector",
        "surprise: unknown section",
    ]:
        assert expected in text


def test_missing_required_key_is_named(tmp_path):
    problems = problems_of('[[connectors]]\ntype = "replay"\n', tmp_path)
    assert problems == ["connectors[0].name: missing required key (a string)"]


@pytest.mark.parametrize("kind", ["mastodon", "bluesky", "facebook", "instagram", "reddit", "x"])
def test_a_token_is_sent_over_http_only_to_this_machine(tmp_path, kind):
    base = f'[[connectors]]\ntype = "{kind}"\nname = "c"\n'
    problems = problems_of(base + 'base_url = "http://api.example.org"\n', tmp_path)
    assert [p for p in problems if "base_url" in p] == [
        "connectors[0].base_url: expected an https:// address (over http:// the access token would "
        "cross the network readable; http:// is only accepted for this machine), got 'http://api.example.org'"]
    for fine in ("https://api.example.org", "http://127.0.0.1:8080", "http://localhost:3000"):
        path = tmp_path / "ok.toml"
        path.write_text(base + f'base_url = "{fine}"\n')
        try:
            config.load(path)
        except SettingsError as err:  # other required keys may be missing; the address is fine
            assert not [p for p in err.problems if "base_url" in p]


def test_invalid_toml_and_missing_file_are_explained(tmp_path):
    assert "not valid TOML" in problems_of("[store\npath=1", tmp_path)[0]
    with pytest.raises(SettingsError) as err:
        config.load(tmp_path / "nope.toml")
    assert "cannot read config file" in str(err.value)


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "c.toml"
    path.write_text('[store]\npath = "data/w.db"\n')
    cfg = config.load(path)
    assert cfg.resolve(cfg.store.path) == tmp_path / "sub" / "data" / "w.db"
