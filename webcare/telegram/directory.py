"""Who is who on Telegram: recipient names to chats, the on-call person, who may command the bot.

Pure: built from the `[telegram]` config and the brand's time zone; the on-call take-over and
`now` are passed in. Playbooks name recipients ("team", "oncall", "lead"); "oncall" resolves
through the rota (or a take-over), every other name through `chats`, then `people`. A name
nobody configured never swallows an alert: it goes to `fallback_recipient`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Sequence

from webcare.telegram.rota import OnCall, on_call, parse_shift, parse_window, quiet_until

ONCALL = "oncall"


@dataclass(frozen=True)
class Target:
    """One chat an alert goes to: `name` is who it reaches, `via` the recipient the alert named."""

    chat_id: int
    name: str
    via: str
    quiet_until: datetime | None = None

    @property
    def label(self) -> str:
        who = self.name if self.via == self.name else f"{self.via} ({self.name})"
        return who


class Directory:
    def __init__(self, cfg, tz: tzinfo):
        self.cfg = cfg
        self.tz = tz
        self.shifts = [parse_shift(s) for s in cfg.rota]
        self.quiet = {name: parse_window(w) for name, w in cfg.quiet_hours.items()}
        self.people = dict(cfg.people)
        self.chats = dict(cfg.chats)
        self._names_by_user = {uid: name for name, uid in self.people.items()}
        self._allowed_chats = set(self.people.values()) | set(self.chats.values())

    def problems(self) -> list[str]:
        """Names that refer to nothing, checked across the section (each key is checked on load)."""
        out = []
        if not self.people:
            out.append("telegram.people: nobody is configured, so nobody could use the buttons")
        if not self.people and not self.chats:
            out.append("telegram.chats: no chat is configured, so alerts have nowhere to go")
        known = set(self.people) | set(self.chats)
        for table in ("people", "chats"):
            if ONCALL in getattr(self.cfg, table):
                out.append(f"telegram.{table}.{ONCALL}: the name '{ONCALL}' is reserved for the rota")
        for shift in self.shifts:
            if shift.person not in self.people:
                out.append(f"telegram.rota: {shift.person!r} (in {shift.text!r}) is not in telegram.people")
        if self.cfg.oncall_fallback and self.cfg.oncall_fallback not in self.people:
            out.append(f"telegram.oncall_fallback: {self.cfg.oncall_fallback!r} is not in telegram.people")
        for name in self.quiet:
            if name not in known:
                out.append(f"telegram.quiet_hours.{name}: not a name in telegram.people or telegram.chats")
        if self.cfg.fallback_recipient not in known and known:
            out.append(f"telegram.fallback_recipient: {self.cfg.fallback_recipient!r} is not a name in "
                       "telegram.people or telegram.chats")
        return out

    # --- on call ------------------------------------------------------------------------
    def on_call(self, now: datetime, override: tuple[str, datetime] | None = None) -> OnCall:
        return on_call(self.shifts, now, self.tz, override=override, fallback=self.cfg.oncall_fallback)

    # --- recipients ---------------------------------------------------------------------
    def chat_of(self, name: str) -> int | None:
        if name in self.chats:
            return self.chats[name]
        return self.people.get(name)

    def resolve(self, recipients: Sequence[str], now: datetime,
                override: tuple[str, datetime] | None = None) -> tuple[list[Target], list[str]]:
        """Chats for the named recipients (deduplicated, in order) and the names that were unknown."""
        targets: list[Target] = []
        unknown: list[str] = []
        seen: set[int] = set()

        def add(chat_id: int | None, name: str, via: str) -> bool:
            if chat_id is None:
                return False
            if chat_id not in seen:
                seen.add(chat_id)
                quiet = quiet_until(self.quiet.get(name), now, self.tz)
                targets.append(Target(chat_id, name, via, quiet))
            return True

        for via in recipients:
            if via == ONCALL:
                person = self.on_call(now, override).person
                if person and add(self.chat_of(person), person, via):
                    continue
            elif add(self.chat_of(via), via, via):
                continue
            unknown.append(via)
        if unknown or not recipients:
            fallback = self.cfg.fallback_recipient
            add(self.chat_of(fallback), fallback, fallback)
        return targets, unknown

    # --- authorization ------------------------------------------------------------------
    def person(self, user_id: int | None) -> str | None:
        return self._names_by_user.get(user_id) if user_id is not None else None

    def may_command(self, chat_id: int | None, user_id: int | None) -> bool:
        """Only configured people, and only in configured chats or their own private chats."""
        return chat_id in self._allowed_chats and self.person(user_id) is not None

    def name_of_chat(self, chat_id: int) -> str:
        for name, cid in (*self.chats.items(), *self.people.items()):
            if cid == chat_id:
                return name
        return str(chat_id)


def config_problems(config, environ) -> list[str]:
    """What `webcare check-config` should say about [telegram]: broken names, a missing token."""
    from zoneinfo import ZoneInfo

    cfg = config.telegram
    token_set = bool(cfg.token_env and (environ.get(cfg.token_env) or "").strip())
    configured = bool(cfg.people or cfg.chats)
    if not token_set:
        if configured:
            return [f"telegram.token_env: environment variable {cfg.token_env or '(empty)'} is not set, "
                    "so Telegram stays off"]
        return []
    return Directory(cfg, ZoneInfo(config.brand.timezone)).problems()
