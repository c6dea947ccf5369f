"""The values that flow through webcare.

Everything here is a frozen dataclass so the pure core (classify, engine, metrics) can
pass values around without anyone changing them behind its back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

KINDS = ("post", "comment", "mention", "dm", "email", "review")
LABELS = ("neg", "neu", "pos")
INTENTS = ("complaint", "question", "praise", "other")
SEVERITIES = ("low", "medium", "high", "critical")

# Fields of the message interchange format (DESIGN.md); anything else is kept in `extra`.
MESSAGE_FIELDS = (
    "platform", "id", "kind", "public", "author", "text", "created_at", "conversation_id",
    "in_reply_to", "from_brand", "automated", "url", "lang",
)


class MessageFormatError(ValueError):
    """A message object does not follow the interchange format; `field` names the culprit."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Author:
    id: str
    name: str = ""
    followers: int | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """One thing somebody (a customer or the brand) wrote on some channel."""

    platform: str
    id: str
    kind: str
    public: bool
    author: Author
    text: str
    created_at: datetime
    conversation_id: str | None = None
    in_reply_to: str | None = None
    from_brand: bool = False
    automated: bool = False
    url: str | None = None
    lang: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.id)

    @property
    def uid(self) -> str:
        """Identifier that is unique across platforms (`platform:id`)."""
        return f"{self.platform}:{self.id}"

    @classmethod
    def from_dict(cls, data: Any) -> "Message":
        """Validate one interchange object; raises MessageFormatError naming the field."""
        if not isinstance(data, dict):
            raise MessageFormatError("(line)", f"expected a JSON object, got {json_type(data)}")
        platform = _req_str(data, "platform")
        if ":" in platform:  # `uid` and every lookup by it split at the first ':'
            raise MessageFormatError("platform", "expected a name without ':' (a message is known as platform:id)")
        mid = data.get("id")
        if isinstance(mid, int) and not isinstance(mid, bool):
            mid = str(mid)  # numeric ids are common in platform exports
        if not isinstance(mid, str) or not mid.strip():
            raise MessageFormatError("id", "expected a non-empty string")
        kind = _req_str(data, "kind")
        if kind not in KINDS:
            raise MessageFormatError("kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
        public = data.get("public")
        if not isinstance(public, bool):
            raise MessageFormatError("public", "expected true or false")
        author = data.get("author")
        if not isinstance(author, dict):
            raise MessageFormatError("author", "expected an object with id and name")
        aid = author.get("id")
        if isinstance(aid, int) and not isinstance(aid, bool):
            aid = str(aid)
        if not isinstance(aid, str) or not aid.strip():
            raise MessageFormatError("author.id", "expected a non-empty string")
        aname = author.get("name", "")
        if not isinstance(aname, str):
            raise MessageFormatError("author.name", "expected a string")
        followers = author.get("followers")
        if followers is not None and (not isinstance(followers, int) or isinstance(followers, bool)
                                      or not 0 <= followers < 2**63):  # what SQLite can hold
            raise MessageFormatError("author.followers", "expected a whole number from 0 to 2^63 - 1")
        text = data.get("text")
        if not isinstance(text, str):
            raise MessageFormatError("text", "expected a string")
        created_at = parse_time(data.get("created_at"), "created_at")
        optional = {}
        for name in ("conversation_id", "in_reply_to", "url", "lang"):
            value = data.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and name != "lang":
                value = str(value)
            if value is not None and not isinstance(value, str):
                raise MessageFormatError(name, "expected a string or null")
            optional[name] = value or None
        flags = {}
        for name in ("from_brand", "automated"):
            value = data.get(name, False)
            if not isinstance(value, bool):
                raise MessageFormatError(name, "expected true or false")
            flags[name] = value
        extra = {k: v for k, v in data.items() if k not in MESSAGE_FIELDS}
        return cls(
            platform=platform, id=valid_unicode(mid), kind=kind, public=public,
            author=Author(valid_unicode(aid), valid_unicode(aname), followers),
            text=valid_unicode(text), created_at=created_at, extra=extra, **optional, **flags,
        )

    def to_dict(self) -> dict[str, Any]:
        author: dict[str, Any] = {"id": self.author.id, "name": self.author.name}
        if self.author.followers is not None:
            author["followers"] = self.author.followers
        out: dict[str, Any] = {
            "platform": self.platform, "id": self.id, "kind": self.kind, "public": self.public,
            "author": author, "text": self.text, "created_at": self.created_at.isoformat(),
        }
        for name in ("conversation_id", "in_reply_to", "url", "lang"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.from_brand:
            out["from_brand"] = True
        if self.automated:
            out["automated"] = True
        out.update(self.extra)
        return out


@dataclass(frozen=True, slots=True)
class Rejected:
    """A payload that could not be read: kept (quarantined) with where it came from."""

    source: str  # e.g. "demo.jsonl:17" or "facebook comment 123_456"
    error: str
    raw: str


@dataclass(frozen=True, slots=True)
class Batch:
    """What one poll returns: messages plus the cursor to resume from.

    `more` says the connector has further pages right now, so the runner polls again at
    once instead of waiting for the next interval. `rejected` carries payloads that could not
    be parsed; they are stored in quarantine in the same transaction as the messages.
    """

    messages: tuple[Message, ...]
    cursor: str | None
    more: bool = False
    rejected: tuple[Rejected, ...] = ()

    def __post_init__(self) -> None:
        """Quarantine messages dated outside `EARLIEST`..`LATEST` (or without an offset).

        A year-1 or year-9999 time (an exporter's placeholder) passes the format but not the
        engine, which adds hours and years to it: the whole batch failed on every poll, and
        nothing after it was ever stored. Every connector's poll ends in a Batch, so this is
        the one place to catch it.
        """
        if all(_in_range(m.created_at) for m in self.messages):
            return
        odd = [m for m in self.messages if not _in_range(m.created_at)]
        object.__setattr__(self, "messages", tuple(m for m in self.messages if _in_range(m.created_at)))
        object.__setattr__(self, "rejected", self.rejected + tuple(
            Rejected(f"{m.platform} {m.kind} {m.id}", f"created_at: {m.created_at.isoformat()} is not "
                     f"between {EARLIEST.year} and {LATEST.year}", json.dumps(m.to_dict(), ensure_ascii=False))
            for m in odd))


# Message times the engine can compute with (a year of business hours added, and more).
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(3000, 1, 1, tzinfo=timezone.utc)


def _in_range(when: datetime) -> bool:
    return when.tzinfo is not None and EARLIEST <= when < LATEST


@dataclass(frozen=True, slots=True)
class Score:
    """What the classifier concluded about one message, with the reasons a human can read."""

    lang: str
    compound: float
    label: str
    intent: str
    complaint: bool
    complaint_score: float
    urgency: float
    reasons: tuple[str, ...] = ()
    confidence: float = 1.0

    @property
    def negative(self) -> bool:
        return self.label == "neg"

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "sentiment": {"compound": round(self.compound, 4), "label": self.label},
            "intent": self.intent,
            "complaint": self.complaint,
            "complaint_score": round(self.complaint_score, 4),
            "urgency": round(self.urgency, 4),
            "reasons": list(self.reasons),
            "confidence": round(self.confidence, 4),
        }


@dataclass(frozen=True, slots=True)
class Alert:
    """One notification about an incident: its opening, an update, an escalation.

    `incident` stays the same across updates; `seq` counts them (0 opens the incident), so
    `key` identifies this very notification and lets every sink deliver it exactly once.
    """

    at: datetime
    playbook: str
    severity: str
    incident: str
    seq: int
    kind: str  # open | update | escalate | resolve | system
    title: str
    text: str
    message_ids: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.incident}#{self.seq}"

    @property
    def update(self) -> bool:
        return self.seq > 0

    def to_dict(self) -> dict[str, Any]:
        """The alert JSONL contract (DESIGN.md) plus the fields that explain it."""
        return {
            "at": self.at.isoformat(),
            "playbook": self.playbook,
            "severity": self.severity,
            "incident": self.incident,
            "seq": self.seq,
            "update": self.update,
            "kind": self.kind,
            "message_ids": list(self.message_ids),
            "title": self.title,
            "text": self.text,
            "reasons": list(self.reasons),
            "recipients": list(self.recipients),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Alert":
        return cls(
            at=parse_time(data["at"], "at"), playbook=data["playbook"],
            severity=data["severity"], incident=data["incident"], seq=int(data["seq"]),
            kind=data["kind"], title=data.get("title", ""), text=data["text"],
            message_ids=tuple(data.get("message_ids", ())),
            recipients=tuple(data.get("recipients", ())), reasons=tuple(data.get("reasons", ())),
        )


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, as a platform's docs would call it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    for kind, name in ((dict, "object"), (list, "list"), (str, "string"), ((int, float), "number")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def parse_time(value: Any, field: str = "time") -> datetime:
    """ISO 8601 with an offset (a trailing Z is accepted); naive times are refused."""
    if not isinstance(value, str):
        raise MessageFormatError(field, "expected an ISO 8601 time string with offset")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    leap = _LEAP_SECOND.match(text)  # a leap second (:59:60) is a real instant datetime cannot
    if leap:                          # hold: the last microsecond of its minute
        text = f"{leap[1]}59.999999{leap[2] or ''}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MessageFormatError(field, f"expected an ISO 8601 time, got {value!r}") from None
    if parsed.tzinfo is None:
        raise MessageFormatError(field, f"time {value!r} has no UTC offset")
    return parsed


_LEAP_SECOND = re.compile(r"(.*\d\d:?59:?)60(?:[.,]\d+)?([+-].*)?$")


def quarantined(source: str, error: str, raw: str) -> Rejected:
    """A payload to quarantine, its lone surrogates (an emoji an API cut in half) replaced by
    U+FFFD: kept, SQLite could not encode them, and the batch holding it failed at every poll."""
    return Rejected(valid_unicode(source), valid_unicode(error), valid_unicode(raw))


def valid_unicode(text: str) -> str:
    """`text` with lone surrogates (an emoji cut in half by an API) replaced by U+FFFD, so it
    can be stored and sent; valid text is returned as it is."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc)


def _req_str(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise MessageFormatError(name, "expected a non-empty string")
    return value
