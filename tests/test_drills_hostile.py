"""Fault drill: hostile input, from message texts to config files.

Messages carrying HTML and Markdown injection, control characters, 100 kB texts, RTL overrides and
zero-width characters, emoji floods and hostile author names go the whole way: JSONL file, replay
connector, store, classifier, engine, and the real Telegram sink against the fake Bot API (which
parses HTML as strictly as Telegram). Each hostile author writes twice, so a drill playbook opens
one incident per author and every hostile text is shown on the phone. Config files with wrong
types, unknown keys and garbage must be explained, never crash. Property-based tests (hypothesis)
cover the JSONL reader and the config loader.

`run_hostile_input(workdir)` is also used by `bench/drills.py`.
"""

from __future__ import annotations

import asyncio
import json
import re
import string
import tomllib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from conftest import T0, msg
from connectors import ConnectorContext
from connectors.replay import Options, ReplayConnector
from fakes.telegram_api import FakeBotApi
from test_drills_kill import PLAYBOOK as DRILL_PLAYBOOK
from webcare import cli, config
from webcare.clock import SimClock
from webcare.engine import Engine
from webcare.jsonl import parse_line, read_messages
from webcare.models import Author, Message, Rejected
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.runner import replay
from webcare.settings import SettingsError
from webcare.sinks.jsonl import JsonlSink
from webcare.store import Store
from webcare.telegram.service import start_telegram

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
ALICE = 11
# What must never reach a phone: controls, bidi overrides and isolates, zero-width characters.
INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

HOSTILE = {
    "html": '<b>gratis</b></blockquote><a href="javascript:alert(1)">klik</a> <script>x()</script> & &amp; &lt;3 <',
    "markdown": "*vet* _schuin_ `code` [klik hier](http://phish.example) ~~weg~~ ||spoiler|| \\*",
    "control": "waar is mijn " + "".join(map(chr, range(32))) + "\x7f\x85\u2028\u2029 startnummer",
    "long": ("Dit is echt waardeloos, ik wil mijn geld terug! " * 2100)[:100_000],
    "rtl": "\u202eorder cancelled\u202c \u2067عميل غاضب\u2069 \u200b\u200c\u200d\ufeff refund nu!",
    "emoji": "😡👎🏻🏳️‍🌈👨‍👩‍👧‍👦🇳🇱" * 1500,
}
NAMES = {
    "html": "<i>Jan</i> & <b>Co</b>", "markdown": "*Piet* _de_ [Vries](http://x)", "control": "Kees\x00\x1b[31m",
    "long": "L" * 5000, "rtl": "\u202eKlaas\u202c", "emoji": "🙂" * 300,
}


def hostile_messages() -> list[Message]:
    out = []
    for n, (case, text) in enumerate(HOSTILE.items()):
        for attempt in range(2):
            out.append(msg(f"{case}-{attempt}", text, at=T0 + timedelta(minutes=2 * n + attempt), kind="mention",
                           author=f"author-{case}", name=NAMES[case], url=f"https://x.example/{case}/{attempt}"))
    return out


@dataclass
class HostileReport:
    messages: int = 0
    stored: int = 0
    stored_exactly: int = 0  # texts read back from the store exactly as written
    quarantined: int = 0
    alerts: int = 0
    telegram_pending: int = -1
    shown: dict[str, str] = field(default_factory=dict)  # case -> text of its chat message
    plain_fallbacks: int = 0  # alerts Telegram refused as HTML (sent again as plain text)
    refused: int = 0  # Telegram answers other than ok
    jsonl_lines: list[dict] = field(default_factory=list)


async def _hostile(workdir: Path) -> HostileReport:
    report = HostileReport()
    messages = hostile_messages()
    report.messages = len(messages)
    feed = workdir / "hostile.jsonl"
    feed.write_text("".join(json.dumps(m.to_dict(), ensure_ascii=False) + "\n" for m in messages), encoding="utf-8")
    books = workdir / "playbooks"
    books.mkdir(exist_ok=True)
    (books / "drill.toml").write_text(DRILL_PLAYBOOK, encoding="utf-8")

    fake = await FakeBotApi().start()
    fake.add_chat(ALICE)
    cfg = config.from_dict({"telegram": {"api_base_url": fake.base_url, "people": {"alice": ALICE},
                                         "chats": {"team": ALICE}}})
    clock = SimClock(T0)
    store = Store(workdir / "hostile.db")
    jsonl = JsonlSink(workdir / "alerts.jsonl")
    pipeline = Pipeline(store, Engine(load_dir(books)), [jsonl], simulated=True)
    handle = await start_telegram(cfg, pipeline, clock.now, environ={"WEBCARE_TELEGRAM_TOKEN": fake.token},
                                  poll_timeout=1, release_every=3600)
    try:
        await asyncio.wait_for(handle.ready.wait(), 10)
        connector = ReplayConnector.create("hostile", Options(path=str(feed), batch_size=3), ConnectorContext())
        await replay(pipeline, [connector])
        clock.set(T0 + timedelta(hours=1))
        await pipeline.flush(clock.now())
        report.stored = store.count_messages()
        report.quarantined = len(store.quarantined())
        back = dict((m.id, m.text) for m, _ in store.get_messages([m.uid for m in messages]))
        report.stored_exactly = sum(back.get(m.id) == m.text for m in messages)
        report.alerts = len(store.alerts())
        report.telegram_pending = store.pending_count("telegram")
        for (_, _), message in fake.messages.items():
            for case in HOSTILE:
                if f"author-{case}" in json.dumps(message) or _title_of(case) in message["text"]:
                    report.shown[case] = message["text"]
        sends = fake.method_calls("sendMessage") + fake.method_calls("editMessageText")
        report.plain_fallbacks = sum(not p.get("parse_mode") for p in sends)
    finally:
        await handle.stop()
        await jsonl.aclose()
        store.close()
        await fake.stop()
    report.jsonl_lines = [json.loads(line) for line in (workdir / "alerts.jsonl").read_text("utf-8").splitlines()]
    return report


def _title_of(case: str) -> str:
    """The start of the incident title as the chat shows it (the author's name, cleaned)."""
    name = INVISIBLE.sub("", NAMES[case])
    return " ".join(name.split())[:20]


def run_hostile_input(workdir: Path) -> HostileReport:
    return asyncio.run(_hostile(workdir))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> HostileReport:
    return run_hostile_input(tmp_path_factory.mktemp("hostile"))


def test_every_hostile_message_is_stored_exactly_as_written(hostile):
    assert hostile.stored == hostile.stored_exactly == hostile.messages and hostile.quarantined == 0


def test_every_hostile_author_gets_an_alert_on_the_phone_as_html_without_fallback(hostile):
    assert hostile.telegram_pending == 0 and hostile.alerts >= len(HOSTILE)
    assert set(hostile.shown) == set(HOSTILE), "each hostile author's incident reached the chat"
    assert hostile.plain_fallbacks == 0, "Telegram accepted every alert's HTML"


def test_hostile_text_is_shown_literally_never_as_markup_or_hidden_characters(hostile):
    for case, text in hostile.shown.items():
        assert not INVISIBLE.search(text), case
        assert len(text.encode("utf-16-le")) // 2 <= 4096, case
    assert '<b>gratis</b></blockquote><a href="javascript:alert(1)">' in hostile.shown["html"]
    assert "<script>x()</script> & &amp; &lt;3 <" in hostile.shown["html"]
    assert "[klik hier](http://phish.example)" in hostile.shown["markdown"]
    assert "order cancelled" in hostile.shown["rtl"] and "عميل غاضب" in hostile.shown["rtl"]
    assert "😡👎🏻" in hostile.shown["emoji"]


def test_the_alert_jsonl_stays_one_valid_object_per_line(hostile):
    assert len(hostile.jsonl_lines) == hostile.alerts
    assert all(isinstance(line["text"], str) for line in hostile.jsonl_lines)


def test_every_zero_width_character_is_removed_before_it_reaches_a_phone():
    from webcare.telegram.format import esc

    assert esc("re\ufefffund\u2060 nu") == "refund nu"


def test_a_lone_surrogate_is_repaired_or_quarantined_and_later_messages_still_arrive(tmp_path):
    """Found by this drill: a text cut inside an emoji (a lone surrogate, as APIs send it) made
    every later poll of the batch fail, so nothing after it was ever stored."""
    good = [msg("before", "eerst"), msg("after", "daarna", at=T0 + timedelta(minutes=2))]
    lines = [json.dumps(good[0].to_dict()),
             json.dumps({**msg("cut", "x").to_dict(), "text": "kapot \ud83d"}),  # json escapes it as \ud83d
             json.dumps(good[1].to_dict())]
    feed = tmp_path / "cut.jsonl"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli.main(["replay", str(feed), "--db", str(tmp_path / "w.db"), "--quiet"]) == 0
    store = Store(tmp_path / "w.db")
    try:
        texts = {m.id: m.text for m in store.iter_messages()}
        assert {"before", "after"} <= set(texts), "a broken text never blocks the messages after it"
        assert texts.get("cut") == "kapot \ufffd" or len(store.quarantined()) == 1
    finally:
        store.close()


# --- hostile config files -------------------------------------------------------------------------

BAD_CONFIGS = [
    ("wrong types", '[runner]\njitter_seconds = "soon"\ntick_seconds = true\n[brand]\nhandles = "zuiderloop"\n',
     ["runner.jitter_seconds: expected a number", "runner.tick_seconds: expected a number",
      "brand.handles: expected a list"]),
    ("unknown keys", '[store]\npath = "w.db"\nbackup = true\n[telegrm]\ntoken_env = "X"\n',
     ["store.backup: unknown key", "telegrm: unknown section"]),
    ("connector options", '[[connectors]]\ntype = "mastodon"\nname = "m"\nbase_url = 42\npage_size = 400\n'
     'poll_seconds = "often"\nfavourite_colour = "blue"\n',
     ["connectors[0].base_url: expected a string", "connectors[0].page_size", "connectors[0].poll_seconds",
      "connectors[0].favourite_colour: unknown key"]),
    ("unknown connector", '[[connectors]]\ntype = "myspace"\nname = "m"\n', ["connectors[0].type: expected one of"]),
    ("telegram", '[telegram]\npeople = { alice = "eleven" }\nrota = ["someday 25:00-26:00 alice"]\n'
     'token_env = "not a name!"\n',
     ["telegram.people.alice: expected a whole number", "telegram.rota", "telegram.token_env"]),
    ("not toml", "[store\npath = ", ["not valid TOML"]),
    ("binary garbage", "\x00\x01\x02\xff\xfe", ["not valid TOML"]),
    ("a table where a list belongs", "connectors = { type = 'replay' }\n", ["connectors: expected a list"]),
]


@pytest.mark.parametrize("text, expected", [pytest.param(t, e, id=i) for i, t, e in BAD_CONFIGS])
def test_bad_config_files_are_explained_with_key_paths_and_stop_webcare_run(tmp_path, capsys, text, expected):
    path = tmp_path / "bad.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert cli.main(["check-config", str(path)]) == 1
    err = capsys.readouterr().err
    for words in expected:
        assert words in err, (words, err)
    assert "Traceback" not in err
    assert cli.main(["run", "--config", str(path)]) == 2  # stops at start, before touching anything
    assert not (tmp_path / "webcare.db").exists() and not (tmp_path / "w.db").exists()
    assert "Traceback" not in capsys.readouterr().err


# --- property-based: the JSONL reader and the config loader ----------------------------------------

ANY_CHAR = st.characters(codec=None, exclude_categories=())  # every code point, surrogates included
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
MESSAGES = st.builds(
    Message, platform=st.sampled_from(["x", "facebook", "email", "mastodon"]),
    id=st.text(string.ascii_letters + string.digits + ":_-", min_size=1, max_size=12),
    kind=st.sampled_from(["post", "comment", "mention", "dm", "email", "review"]), public=st.booleans(),
    author=st.builds(Author, st.text(string.ascii_letters, min_size=1, max_size=8), TEXT,
                     st.one_of(st.none(), st.integers(0, 10**9))),
    text=TEXT, created_at=st.datetimes(timezones=st.timezones()).filter(lambda d: d.utcoffset() is not None),
    conversation_id=st.one_of(st.none(), st.text(string.digits, min_size=1, max_size=5)),
    from_brand=st.booleans(), automated=st.booleans(),
    extra=st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=6).map(lambda k: "x_" + k),
                          st.one_of(st.integers(), TEXT, st.booleans()), max_size=3))


@settings(max_examples=150, deadline=None)
@given(MESSAGES)
def test_any_message_survives_the_jsonl_round_trip_unchanged(m):
    line = json.dumps(m.to_dict(), ensure_ascii=False)
    back = parse_line(line, "prop:1")
    assert isinstance(back, Message) and back.to_dict() == m.to_dict()
    # the same instant and offset; compared apart because Python never calls a time in a
    # DST fold (02:30 twice in October) equal to one in another zone, even the same instant
    assert (back.created_at.timestamp(), back.created_at.utcoffset()) == (m.created_at.timestamp(), m.created_at.utcoffset())
    assert replace(back, created_at=m.created_at) == m


LINES = st.one_of(
    st.text(ANY_CHAR, max_size=80),
    MESSAGES.map(lambda m: json.dumps(m.to_dict())),
    st.dictionaries(st.sampled_from(["platform", "id", "kind", "public", "author", "text", "created_at", "x"]),
                    st.one_of(st.none(), st.booleans(), st.integers(), TEXT, st.lists(st.integers(), max_size=2)),
                    max_size=8).map(json.dumps),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(LINES, max_size=12))
def test_every_line_of_a_file_is_a_message_or_a_rejection_with_its_line_number(lines):
    text = "\n".join(line.replace("\n", " ").replace("\r", " ") for line in lines)
    physical = text.split("\n") if text else []
    rejected: list[Rejected] = []
    good = list(read_messages(physical, "feed.jsonl", rejected=rejected))
    blank = sum(1 for line in physical if not line.strip())
    assert len(good) + len(rejected) + blank == len(physical), "no line silently dropped"
    numbers = [int(r.source.rsplit(":", 1)[1]) for r in rejected]
    assert numbers == sorted(numbers) and all(1 <= n <= len(physical) for n in numbers)
    assert all(physical[n - 1].strip() == r.raw for n, r in zip(numbers, rejected))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(text="kapot \ud83d")
@given(text=st.text(ANY_CHAR, max_size=30))
def test_every_message_the_reader_accepts_can_be_stored_and_read_back(text):
    line = json.dumps({**msg("p1", "x").to_dict(), "text": text})
    m = parse_line(line, "prop:1")
    assert isinstance(m, Message)
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert m.text == text  # only broken text is repaired
    store = Store(":memory:")
    try:
        with store.transaction():
            store.save_messages([m], "prop", T0)
        ((back, _),) = store.get_messages([m.uid])
        assert back.text == m.text
    finally:
        store.close()


TOML_VALUES = st.recursive(
    st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=8)
SECTION_KEYS = st.sampled_from(["store", "brand", "runner", "engine", "alerts", "telegram", "connectors", "extra"])
FIELD_KEYS = st.sampled_from(["path", "name", "handles", "timezone", "jitter_seconds", "tick_seconds", "sensitivity",
                              "console", "people", "chats", "rota", "type", "poll_seconds", "unknown"])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(SECTION_KEYS, st.one_of(TOML_VALUES, st.dictionaries(FIELD_KEYS, TOML_VALUES, max_size=4),
                                              st.lists(st.dictionaries(FIELD_KEYS, TOML_VALUES, max_size=4),
                                                       max_size=2)), max_size=4))
def test_any_config_data_loads_or_is_explained_key_by_key(data):
    try:
        cfg = config.from_dict(data, source="prop.toml")
    except SettingsError as exc:
        assert exc.problems and exc.source == "prop.toml"
        roots = {*data, "connectors"}
        for problem in exc.problems:
            path, _, why = problem.partition(": ")
            assert why and re.split(r"[.\[]", path)[0] in roots, problem
    else:
        assert isinstance(cfg, config.Config)


@pytest.mark.parametrize("value", ["[]", '{ name = "x" }'])
def test_a_connector_type_that_is_a_list_or_table_is_explained(tmp_path, capsys, value):
    path = tmp_path / "bad.toml"
    path.write_text(f'[[connectors]]\ntype = {value}\nname = "m"\n', encoding="utf-8")
    assert cli.main(["check-config", str(path)]) == 1
    assert "connectors[0].type: expected one of" in capsys.readouterr().err


@settings(max_examples=100, deadline=None)
@given(jitter=st.floats(0, 60), initial=st.floats(0.001, 3600), cap=st.floats(0.001, 86400),
       tick=st.floats(0.001, 3600), sensitivity=st.sampled_from(["fewer", "balanced", "more"]),
       handles=st.lists(st.text(string.ascii_lowercase + "_", min_size=1, max_size=10), max_size=3),
       console=st.booleans())
def test_any_valid_config_file_loads_to_exactly_its_values(tmp_path_factory, jitter, initial, cap, tick, sensitivity,
                                                          handles, console):
    text = (f"[runner]\njitter_seconds = {jitter!r}\nbackoff_initial_seconds = {initial!r}\n"
            f"backoff_max_seconds = {cap!r}\ntick_seconds = {tick!r}\n[engine]\nsensitivity = {sensitivity!r}\n"
            f"[brand]\nhandles = {json.dumps(handles)}\n[alerts]\nconsole = {str(console).lower()}\n")
    assert tomllib.loads(text)  # the file is valid TOML
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_text(text, encoding="utf-8")
    cfg = config.load(path)
    assert (cfg.runner.jitter_seconds, cfg.runner.backoff_initial_seconds, cfg.runner.backoff_max_seconds,
            cfg.runner.tick_seconds) == (jitter, initial, cap, tick)
    assert (cfg.engine.sensitivity, cfg.brand.handles, cfg.alerts.console) == (sensitivity, handles, console)
