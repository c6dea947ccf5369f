"""Configuration: one TOML file into typed dataclasses, every problem explained at start.

Secrets never live in the file: options ending in `_env` name the environment variable that
holds them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from connectors import CONNECTORS
from webcare.digest.config import DigestConfig
from webcare.settings import (
    SettingsError, at_least, build, env_name, positive, setting, timezone_name,
)

ConfigError = SettingsError


@dataclass(frozen=True)
class StoreConfig:
    path: str = setting("webcare.db", help="SQLite database file (relative to the config file)")


@dataclass(frozen=True)
class BrandConfig:
    name: str = setting("Zuiderloop", help="brand name, used in alerts and the digest")
    handles: list[str] = setting(
        factory=list, help="author ids of the brand's own accounts; their messages count as brand "
        "replies even when a connector cannot tell")
    timezone: str = setting("Europe/Amsterdam", check=timezone_name, help="local time zone")


@dataclass(frozen=True)
class RunnerConfig:
    jitter_seconds: float = setting(5.0, check=at_least(0), help="random delay added to each poll")
    backoff_initial_seconds: float = setting(10.0, check=positive, help="first wait after an error")
    backoff_max_seconds: float = setting(900.0, check=positive, help="longest wait between retries")
    tick_seconds: float = setting(60.0, check=positive, help="how often playbooks re-check timers")


@dataclass(frozen=True)
class EngineConfig:
    playbooks_dir: str = setting("", help="folder of playbook TOML files; empty = the bundled ones")
    sensitivity: Literal["fewer", "balanced", "more"] = setting(
        "balanced", help="scales storm thresholds: fewer alerts, balanced, or more alerts")


@dataclass(frozen=True)
class AlertsConfig:
    console: bool = setting(True, help="print alerts to standard output")
    jsonl_path: str = setting("", help="also append alerts to this JSONL file (empty = off)")


def _rota_entries(value: list[str]) -> str | None:
    from webcare.telegram.rota import parse_shift

    for i, entry in enumerate(value):
        try:
            parse_shift(entry)
        except ValueError as exc:
            return f"[{i}]: {exc}"
    return None


def _quiet_hours(value: dict[str, str]) -> str | None:
    from webcare.telegram.rota import parse_window

    for name, window in value.items():
        try:
            parse_window(window)
        except ValueError as exc:
            return f"{name}: {exc}"
    return None


@dataclass(frozen=True)
class TelegramConfig:
    token_env: str = setting(
        "WEBCARE_TELEGRAM_TOKEN", check=env_name,
        help="environment variable holding the bot token; Telegram stays off while it is unset")
    api_base_url: str = setting(
        "", help="Bot API URL up to and including /bot for a self-hosted server, e.g. "
        "http://localhost:8081/bot (empty = Telegram's own)")
    people: dict[str, int] = setting(
        factory=dict, help="name -> Telegram user id: the only people the bot obeys; each can "
        "be a recipient (private chat) and appear in the rota")
    chats: dict[str, int] = setting(
        factory=dict, help="name -> chat id (a group, or a person's private chat) that receives "
        "alerts, e.g. team or lead; commands and buttons are obeyed only in these chats and in "
        "the people's private chats")
    rota: list[str] = setting(
        factory=list, check=_rota_entries,
        help="weekly on-call rota in local time, first match wins, e.g. 'mon-fri 08:00-18:00 alice'")
    oncall_fallback: str = setting("", help="person on call when the rota names nobody (empty = nobody)")
    quiet_hours: dict[str, str] = setting(
        factory=dict, check=_quiet_hours,
        help="recipient -> 'HH:MM-HH:MM' local time: low/medium alerts wait until it ends")
    fallback_recipient: str = setting(
        "team", help="gets alerts that name no recipient or only unknown ones, and 'oncall' "
        "alerts when nobody is on call")


@dataclass(frozen=True)
class ConnectorConfig:
    type: str
    name: str
    enabled: bool = True
    poll_seconds: float = setting(60.0, check=positive)
    options: Any = None


COMMON_CONNECTOR_KEYS = ("type", "name", "enabled", "poll_seconds")


@dataclass(frozen=True)
class Config:
    store: StoreConfig = field(default_factory=StoreConfig)
    brand: BrandConfig = field(default_factory=BrandConfig)
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    connectors: list[ConnectorConfig] = field(default_factory=list)
    base_dir: Path = field(default=Path("."), compare=False)
    source: str = field(default="(built-in defaults)", compare=False)

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p


_SECTIONS = {
    "store": StoreConfig, "brand": BrandConfig, "runner": RunnerConfig,
    "engine": EngineConfig, "alerts": AlertsConfig, "telegram": TelegramConfig,
    "digest": DigestConfig,
}


# The embedded default rehearses the bundled demo live from shortly before its complaint storm:
# the days before arrive at once as history, the storm then builds up in real time.
DEMO_START = "2026-10-04T10:15:00+02:00"


def default() -> Config:
    """The embedded default: no accounts, no tokens; the bundled demo replayed in real time.

    config.example.toml spells out the same settings (a test keeps the two equal).
    """
    from connectors.replay import Options as ReplayOptions

    return Config(connectors=[ConnectorConfig(
        type="replay", name="demo", poll_seconds=30.0,
        options=ReplayOptions(follow=True, realtime=True, start_at=DEMO_START))], base_dir=Path.cwd())


def load(path: Path | None = None) -> Config:
    """Load a config file (None: the embedded default); raise ConfigError listing every problem."""
    if path is None:
        return default()
    source = path
    try:
        text = source.read_text(encoding="utf-8-sig")  # a BOM from a Windows editor is no error
    except OSError as exc:
        raise ConfigError([f"cannot read config file: {exc.strerror}"], str(source)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"not UTF-8 text (TOML must be): byte {exc.object[exc.start]:#04x} at "
                           f"offset {exc.start}; save the file as UTF-8"], str(source)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], str(source)) from None
    return from_dict(data, base_dir=source.resolve().parent, source=str(source))


def from_dict(data: dict, *, base_dir: Path = Path("."), source: str = "(config)") -> Config:
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key in data:
        if key not in _SECTIONS and key != "connectors":
            problems.append(f"{key}: unknown section (known: {', '.join([*_SECTIONS, 'connectors'])})")
    for key, cls in _SECTIONS.items():
        if key in data:
            values[key] = build(cls, data[key], key, problems)
    values["connectors"] = _connectors(data.get("connectors", []), problems)
    if problems:
        raise ConfigError(problems, source)
    return Config(**values, base_dir=base_dir, source=source)


def _connectors(items: Any, problems: list[str]) -> list[ConnectorConfig]:
    if not isinstance(items, list):
        problems.append("connectors: expected a list of tables ([[connectors]] blocks)")
        return []
    out, names = [], set()
    for i, item in enumerate(items):
        path = f"connectors[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{path}: expected a table")
            continue
        kind = item.get("type")
        if not isinstance(kind, str) or kind not in CONNECTORS:
            problems.append(f"{path}.type: expected one of {', '.join(sorted(CONNECTORS))}, got {kind!r}")
            continue
        common = build(ConnectorConfig, {k: item[k] for k in COMMON_CONNECTOR_KEYS if k in item},
                       path, problems)
        options = build(CONNECTORS[kind].Options, {k: v for k, v in item.items()
                                                   if k not in COMMON_CONNECTOR_KEYS},
                        path, problems, ignore=COMMON_CONNECTOR_KEYS)
        if common is None or options is None:
            continue
        if common.name in names:
            problems.append(f"{path}.name: {common.name!r} is used by another connector")
        names.add(common.name)
        out.append(ConnectorConfig(common.type, common.name, common.enabled, common.poll_seconds, options))
    return out
