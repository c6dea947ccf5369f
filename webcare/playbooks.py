"""Playbooks are data: TOML files a community manager can read, copy and edit.

A playbook names a trigger (`trigger = "storm"`), which messages it looks at (`[match]`), how
its incidents behave (`[incident]`), who hears about them (`notify`, `[[escalation]]`) and the
trigger's own options in a table named after the trigger (`[storm]`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import cached_property, reduce
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Literal

from webcare.models import Message, Score
from webcare.settings import SettingsError, at_least, build, positive, setting
from webcare.triggers import TRIGGERS

Severity = Literal["low", "medium", "high", "critical"]
Test = Callable[[Message, Score], bool]


@dataclass(frozen=True)
class Match:
    public: bool | None = setting(None, help="only public (true) or only private (false) messages")
    platforms: list[str] = setting(factory=list, help="only these platforms (empty = all)")
    kinds: list[str] = setting(factory=list, help="only these kinds: post, comment, mention, dm, email, review")
    languages: list[str] = setting(factory=list, help="only these languages (nl, en, other)")
    labels: list[Literal["neg", "neu", "pos"]] = setting(factory=list, help="only these sentiment labels")
    complaint: bool | None = setting(None, help="only complaints (true) or only non-complaints (false)")
    intents: list[Literal["complaint", "question", "praise", "other"]] = setting(
        factory=list, help="only these intents")
    authors: list[str] = setting(factory=list, help="only these author ids")
    negative_or_complaint: bool = setting(False, help="negative sentiment OR complaint intent")
    keywords: list[str] = setting(factory=list, help="at least one of these words (case-insensitive)")
    min_urgency: float = setting(0.0, check=at_least(0), help="urgency at least this (0..1)")

    def accepts(self, m: Message, s: Score) -> bool:
        return self.test(m, s)

    @cached_property
    def test(self) -> Test:
        """`accepts` as one function that checks only the conditions this table sets.

        The engine asks every playbook about every message; most tables set one or two
        conditions, and skipping the unset ones makes the question several times cheaper.
        """
        tests: list[Test] = []
        if self.public is not None:
            tests.append(lambda m, s, public=self.public: m.public == public)
        if self.platforms:
            tests.append(lambda m, s, platforms=frozenset(self.platforms): m.platform in platforms)
        if self.kinds:
            tests.append(lambda m, s, kinds=frozenset(self.kinds): m.kind in kinds)
        if self.languages:
            tests.append(lambda m, s, langs=frozenset(self.languages): s.lang in langs)
        if self.labels:
            tests.append(lambda m, s, labels=frozenset(self.labels): s.label in labels)
        if self.complaint is not None:
            tests.append(lambda m, s, complaint=self.complaint: s.complaint == complaint)
        if self.intents:
            tests.append(lambda m, s, intents=frozenset(self.intents): s.intent in intents)
        if self.authors:
            tests.append(lambda m, s, authors=frozenset(self.authors): m.author.id in authors)
        if self.negative_or_complaint:
            tests.append(lambda m, s: s.label == "neg" or s.complaint)
        if self.min_urgency:
            tests.append(lambda m, s, least=self.min_urgency: not s.urgency < least)
        if self.keywords:
            words = tuple(k.lower() for k in self.keywords)
            tests.append(lambda m, s: any(k in m.text.lower() for k in words))
        return reduce(_both, tests, _anything)


def _anything(m: Message, s: Score) -> bool:
    return True


def _both(first: Test, second: Test) -> Test:
    if first is _anything:
        return second
    return lambda m, s: first(m, s) and second(m, s)


@dataclass(frozen=True)
class IncidentRules:
    update_every_minutes: float = setting(10.0, check=at_least(0), help="at most one update per this many minutes")
    update_growth: float = setting(0.5, check=at_least(0), help="update when the situation grew by this share")
    close_after_minutes: float = setting(120.0, check=positive, help="close once the situation is gone this long")
    cooldown_minutes: float = setting(60.0, check=at_least(0), help="a return within this reopens the same incident")


@dataclass(frozen=True)
class Step:
    after_minutes: float = setting(check=positive, help="minutes without acknowledgement")
    notify: list[str] = setting(factory=list, help="recipients (chat names or roles such as 'oncall')")


@dataclass(frozen=True)
class Playbook:
    name: str
    trigger: str
    severity: Severity = "medium"
    description: str = ""
    enabled: bool = True
    notify: list[str] = setting(factory=lambda: ["team"])
    match: Match = field(default_factory=Match)
    incident: IncidentRules = field(default_factory=IncidentRules)
    escalation: list[Step] = field(default_factory=list)
    options: Any = field(default=None, compare=False)
    source: str = field(default="", compare=False)


def bundled_dir() -> Path:
    return Path(str(resources.files("playbooks")))


def load_dir(path: Path | None) -> list[Playbook]:
    """Every *.toml playbook in `path` (None: the bundled ones); SettingsError lists all problems."""
    folder = path or bundled_dir()
    if not folder.is_dir():
        raise SettingsError([f"playbook folder {folder} does not exist"])
    problems: list[str] = []
    books = []
    for file in sorted(folder.glob("*.toml")):
        book = load_file(file, problems)
        if book is not None:
            books.append(book)
    names = [b.name for b in books]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"playbook name {name!r} is used by more than one file")
    if problems:
        raise SettingsError(problems)
    return books


def load_file(file: Path, problems: list[str]) -> Playbook | None:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{file.name}: cannot read: {exc}")
        return None
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{file.name}: not valid TOML: {exc}")
        return None
    return parse(data, file.name, problems)


def parse(data: dict, source: str, problems: list[str]) -> Playbook | None:
    mine: list[str] = []
    kind = data.get("trigger")
    trigger = TRIGGERS.get(kind) if isinstance(kind, str) else None
    if trigger is None:
        mine.append(f"trigger: expected one of {', '.join(sorted(TRIGGERS))}, got {kind!r}")
    others = tuple(k for k in TRIGGERS if k != kind)
    for other in others:
        if other in data:
            mine.append(f"{other}: options for trigger {other!r}, but this playbook's trigger is {kind!r}")
    book = build(Playbook, {k: v for k, v in data.items() if k not in (*TRIGGERS, "options", "source")},
                 "", mine, ignore=(kind,) if trigger else ())
    options = build(trigger.Options, data.get(kind, {}), kind, mine) if trigger else None
    problems.extend(f"{source}: {p}" for p in mine)
    if mine or book is None:
        return None
    return replace(book, options=options, source=source)
