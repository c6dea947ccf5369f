"""First-response times: who waited how long for a real answer, per channel, platform, person.

Customers judge a brand by how fast it answers, so this module measures it. It is pure: it
takes messages (or store rows) and an injected `now` and never reads a clock or a database.

Which messages need an answer, and what answers them
  Every message not `from_brand` needs an answer. A brand message answers the waiting
  messages of its thread that arrived before it. Threads are `platform` + `conversation_id`,
  else the thread of the message replied to (`in_reply_to`), else for private channels the
  customer (`@author`), else the message itself. In a private thread (DM, e-mail) a brand
  message answers everyone waiting; in a public thread a reply to a customer's message
  answers that customer's waiting messages, and any other brand message there (a reply to
  the brand's own post, or no reply target) answers everyone waiting.
  A brand auto-reply (`automated`, or text recognised by `looks_like_auto_reply`, e.g.
  "bedankt voor je bericht, we reageren zo snel mogelijk") is not an answer: it is recorded
  as an acknowledgement, and the message keeps waiting for the real answer. Both times are
  reported.

A conversation starts with a customer message after at least `gap` (24 h) without messages
either way (auto-replies do not count), the same rule Facebook uses for "counted messages";
conversation figures use only those opening messages.

One algorithm serves every input: messages (`message_columns`), the store read in bulk
(`columns_query`, `columns_from_sql`) and the store's per-row compact tuples
(`compact_rows_query`, as the digest reads them; `columns_from_rows`) all become
`MessageColumns`, which `first_responses_from_columns` pairs. The columns are:
  ts       epoch seconds (UTC)
  flags    BRAND | AUTO | PUBLIC | len(kind) << 3 | platform index << 6 (the six kinds
           differ in length where it matters; see `channel_codes`)
  thread   thread key within the platform; from the store, its thread id instead (an
           integer the store assigns at insert, unique across platforms; see `thread_sql`)
  author   the author id where pairing looks at it: brand messages (who answered) and
           public ones (whose bucket); None for private customer messages. From the store,
           every row's author key instead (an integer the store assigns, the same on every
           platform), with `author_names` naming the brand's
  ref      public only: a customer message's own id, or the id a brand message replies to
Reading a million rows one tuple at a time costs more than all the pairing, so the bulk
query has SQLite aggregate each column into one string (numbers as decimal integers that
numpy parses in C, strings as JSON arrays) and does no per-row work in Python; it reads
the stored integer thread ids and author keys, since coding a million thread and author
strings in Python costs more than the rest of the read. For the same reason the SQL
trusts the stored `automated` flag: the store should mark recognised auto-replies once,
at insert (`mark_auto_reply`); `recheck_text=True` re-reads every brand text instead
(exact for old data, slower).
"""

from __future__ import annotations

import gc
import json
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from itertools import count, repeat
from operator import itemgetter
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from webcare.business_hours import BusinessHours
from webcare.models import Message

US = "\x1f"  # separates the parts of the compact thread and payload strings

BRAND, AUTO, PUBLIC = 1, 2, 4
CHANNELS = ("public", "dm", "email", "review")
PUBLIC_CHANNEL, DM, EMAIL, REVIEW = range(4)

DAY = 86400.0
DEFAULT_GAP = DAY  # silence that starts a new conversation

KIND_SHIFT = 3
PLATFORM_SHIFT = 6
# channel by len(kind): dm 2, email 5, review 6; post 4, comment 7, mention 7 are public
# (or DM when not public). SQLite computes length(kind) far cheaper than a CASE on strings.
_CHANNEL_BY_KIND_LENGTH = {2: DM, 5: EMAIL, 6: REVIEW}


def channel_of(kind: str, public: bool) -> int:
    """Channel code: e-mail, review, DM (or any private message), else public."""
    return _CHANNEL_BY_KIND_LENGTH.get(len(kind), PUBLIC_CHANNEL if public else DM)


def channel_codes(flags: np.ndarray) -> np.ndarray:
    """`channel_of` for an array of compact-row flags."""
    table = np.array([_CHANNEL_BY_KIND_LENGTH.get(k, -1) for k in range(8)])
    channel = table[(flags >> KIND_SHIFT) & 7]
    return np.where(channel >= 0, channel, np.where(flags & PUBLIC, PUBLIC_CHANNEL, DM))


# -- auto-replies -------------------------------------------------------------------------

_SOON = (
    r"(?:z\.?\s?s\.?\s?m\b\.?|zo\s+(?:snel|spoedig)\s+(?:als\s+)?mogelijk|"
    r"a\.?s\.?a\.?p\b|as\s+soon\s+as\s+(?:possible|we\s+can)|shortly|binnenkort|"
    r"binnen\s+(?:\d+|een|twee|drie)\s+(?:werk)?(?:uur|uren|dagen|dag)\b|"
    r"within\s+(?:\d+|one|two|three|a)\s+(?:business\s+|working\s+)?(?:hours?|days?)\b)"
)
_REPLY = (
    r"(?:antwoord|beantwoord|reactie|reageren|reageert|contact|"
    r"bij\s+(?:je|jou|u)\s+terug|terug\s*(?:komen|koppelen|bellen|mailen)|"
    r"hoort\s+van\s+ons|van\s+ons\s+horen|get\s+back|reply|respond|response|answer|"
    r"hear\s+from\s+us|be\s+in\s+touch)"
)
_THANKS = (
    r"(?:bedankt|dank\s*je(?:wel)?|dank\s+u(?:\s+wel)?|hartelijk\s+dank|thanks|thank\s+you)"
    r"\s+(?:voor|for)\s+(?:je|jouw|uw|your)?\s*(?:bericht(?:je)?|mail|e-?mail|vraag|melding|"
    r"message|enquiry|inquiry|question|reaching\s+out|contacting\s+us|getting\s+in\s+touch)"
)
_LATER = (
    r"(?:we(?:'ll|\s+will)\s+(?:get\s+back|respond|reply|answer|be\s+in\s+touch|contact)|"
    r"you(?:'ll|\s+will)\s+hear|(?:je|u)\s+hoort|(?:wij|we)\s+(?:nemen|komen|reageren|"
    r"beantwoorden|antwoorden)|in\s+behandeling|" + _SOON + r")"
)
_EXPLICIT_RE = re.compile(
    r"automatisch(?:e)?\s+(?:antwoord|bericht|reactie|gegenereerd)|auto[-\s]?reply|"
    r"automatic\s+reply|automated\s+(?:message|reply|response)|out\s+of\s+(?:the\s+)?office|"
    r"afwezigheidsmelding|dit\s+is\s+een\s+automatisch|this\s+is\s+an\s+automated")
_SOON_RE = re.compile(_SOON)
_REPLY_RE = re.compile(_REPLY)
_THANKS_RE = re.compile(_THANKS)
_LATER_RE = re.compile(_LATER)
# Cheap substring tests that every match of the regexes above contains; most real answers
# contain none of them and are rejected without running a regex.
_EXPLICIT_WORDS = ("automat", "auto", "out of", "afwezig")
_SOON_WORDS = ("mogelijk", "z.s.m", "zsm", "z. s. m", "asap", "a.s.a.p", "as soon as",
               "shortly", "binnen", "within")
_THANKS_WORDS = ("dank", "thank")
_WINDOW = 60  # characters between a "soon" and a "reply" phrase
_AFTER_THANKS = 200


def looks_like_auto_reply(text: str | None) -> bool:
    """True for holding replies that promise an answer later instead of giving one.

    "je krijgt z.s.m. antwoord", "bedankt voor je bericht, we reageren zo snel mogelijk",
    "thanks for reaching out, we'll get back to you", out-of-office notices.
    "Bedankt voor je bericht! Je pakket is vandaag verstuurd." is an answer.
    """
    if not text:
        return False
    low = text.lower()
    if _any_in(_EXPLICIT_WORDS, low) and _EXPLICIT_RE.search(low):
        return True
    if _any_in(_SOON_WORDS, low):
        for soon in _SOON_RE.finditer(low):
            if _REPLY_RE.search(low, max(0, soon.start() - _WINDOW), soon.end() + _WINDOW):
                return True
    if _any_in(_THANKS_WORDS, low):
        for thanks in _THANKS_RE.finditer(low):
            if _LATER_RE.search(low, thanks.end(), thanks.end() + _AFTER_THANKS):
                return True
    return False


def _any_in(words: tuple[str, ...], text: str) -> bool:
    for word in words:
        if word in text:
            return True
    return False


# -- targets and configuration ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResponseTarget:
    """How soon a channel should be answered, on the wall clock or the business clock."""

    seconds: float
    business: bool = False

    def describe(self) -> str:
        hours = self.seconds / 3600
        amount = f"{hours:g} h" if hours >= 1 else f"{self.seconds / 60:g} min"
        return f"{amount} business time" if self.business else amount

    @classmethod
    def parse(cls, value: Any) -> "ResponseTarget":
        """'1h', '90m', '8 business hours', '8bh', or a number of seconds."""
        if isinstance(value, ResponseTarget):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(float(value))
        text = str(value).strip().lower()
        business = "business" in text or text.endswith("bh") or "werk" in text
        match = re.match(r"^(\d+(?:\.\d+)?)\s*([a-z ]*)$", text)
        if not match:
            raise ValueError(f"response target {value!r}: expected e.g. '1h', '30m', '8 business hours'")
        number, unit = float(match.group(1)), match.group(2).strip()
        unit = unit.replace("business", "").replace("werk", "").strip()
        scale = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "minutes": 60, "h": 3600, "bh": 3600,
                 "u": 3600, "uur": 3600, "hours": 3600, "hour": 3600, "d": DAY, "days": DAY,
                 "day": DAY, "dagen": DAY}.get(unit)
        if scale is None:
            raise ValueError(f"response target {value!r}: unknown unit {unit!r}")
        return cls(number * scale, business)


# DESIGN.md: on social typically within 1 hour; DMs and e-mail the same working day (at most
# one working day: 8 business hours with the default 09:00-17:00); generic care 48 h.
DEFAULT_TARGETS: Mapping[str, ResponseTarget] = {
    "public": ResponseTarget(3600),
    "dm": ResponseTarget(8 * 3600, business=True),
    "email": ResponseTarget(8 * 3600, business=True),
    "review": ResponseTarget(48 * 3600),
}


@dataclass(frozen=True)
class MetricsConfig:
    """Business hours and targets per channel ('public', 'dm', 'email', 'review')."""

    hours: Mapping[str, BusinessHours] = field(default_factory=dict)
    default_hours: BusinessHours = field(default_factory=BusinessHours)
    targets: Mapping[str, ResponseTarget] = field(default_factory=lambda: dict(DEFAULT_TARGETS))
    gap: float = DEFAULT_GAP
    auto_reply: Callable[[str], bool] = looks_like_auto_reply

    @classmethod
    def from_config(cls, table: Mapping[str, Any]) -> "MetricsConfig":
        """From a `[metrics]` config table::

            gap_hours = 24                         # silence that starts a new conversation
            [metrics.targets]                      # per channel: public, dm, email, review
            dm = "8 business hours"
            [metrics.business_hours]               # default for every channel
            tz = "Europe/Amsterdam"
            country = "NL"
            hours = { mon = "09:00-17:00", fri = "09:00-16:00" }
            [metrics.channel_hours.public]         # optional override for one channel
            hours = { mon = "08:00-22:00", sat = "10:00-18:00" }
        """
        unknown = set(table) - {"gap_hours", "targets", "business_hours", "channel_hours"}
        if unknown:
            raise ValueError(f"metrics: unknown keys {', '.join(sorted(unknown))}")
        targets = dict(DEFAULT_TARGETS)
        for channel, value in table.get("targets", {}).items():
            if channel not in CHANNELS:
                raise ValueError(f"metrics.targets: unknown channel {channel!r} (use {', '.join(CHANNELS)})")
            targets[channel] = ResponseTarget.parse(value)
        default = BusinessHours.from_config(table.get("business_hours", {}))
        hours = {}
        for channel, spec in table.get("channel_hours", {}).items():
            if channel not in CHANNELS:
                raise ValueError(f"metrics.channel_hours: unknown channel {channel!r}")
            hours[channel] = BusinessHours.from_config(spec)
        return cls(hours=hours, default_hours=default, targets=targets,
                   gap=float(table.get("gap_hours", DEFAULT_GAP / 3600)) * 3600)

    def hours_for(self, channel: str) -> BusinessHours:
        return self.hours.get(channel, self.default_hours)

    def target_for(self, channel: str) -> ResponseTarget:
        return self.targets.get(channel, DEFAULT_TARGETS[channel])


# -- threads and compact rows -------------------------------------------------------------------

CompactRow = tuple[float, int, str, "str | None"]


@dataclass(frozen=True, slots=True)
class CompactRows:
    """Compact tuples plus the platform names their flags point to."""

    platforms: tuple[str, ...]
    rows: Sequence[CompactRow]

    def __len__(self) -> int:
        return len(self.rows)


def thread_key(message: Message, parent_key: str | None = None) -> str:
    """The thread a message belongs to, within its platform.

    `parent_key` is the thread of the message it replies to, when that message is known.
    A store that fills a missing `conversation_id` with this value at insert time makes
    `compact_rows_query` follow reply chains of any depth.
    """
    if message.conversation_id:
        return message.conversation_id
    if message.in_reply_to:
        return parent_key or message.in_reply_to
    if not message.public:
        return "@" + message.author.id
    return message.id


def thread_keys(messages: Sequence[Message]) -> list[str]:
    """`thread_key` for every message, following `in_reply_to` chains of any depth."""
    by_id = {m.key: i for i, m in enumerate(messages)}
    keys: list[str | None] = [None] * len(messages)
    for start in range(len(messages)):
        chain = []
        i: int | None = start
        while i is not None and keys[i] is None and i not in chain:
            chain.append(i)
            m = messages[i]
            i = None
            if not m.conversation_id and m.in_reply_to:
                i = by_id.get((m.platform, m.in_reply_to))
        parent = keys[i] if i is not None else None
        for j in reversed(chain):
            parent = keys[j] = thread_key(messages[j], parent)
    return keys  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class MessageColumns:
    """What pairing needs of each message, one column per field (see the module docstring).

    Columns rather than one object per message because a million of those cost more to
    build than the pairing itself.
    """

    platforms: tuple[str, ...]
    ts: np.ndarray
    flags: np.ndarray
    thread: Sequence[str] | np.ndarray  # keys, or the store's integer thread ids
    author: Sequence[str | None] | np.ndarray  # ids, or the store's integer author keys
    ref: Sequence[str | None]
    author_names: Mapping[int, str] = field(default_factory=dict)  # the brand's author keys
    store_rows: np.ndarray | None = None  # each message's row id, when read with `row_ids`

    def __len__(self) -> int:
        return int(self.ts.size)


def message_columns(
    messages: Sequence[Message], auto_reply: Callable[[str], bool] = looks_like_auto_reply,
) -> MessageColumns:
    """The columns of `messages`, in the same order."""
    platforms: dict[str, int] = {}
    flags: list[int] = []
    author: list[str | None] = []
    ref: list[str | None] = []
    for m in messages:
        platform = platforms.setdefault(m.platform, len(platforms))
        flag = (platform << PLATFORM_SHIFT) | ((len(m.kind) & 7) << KIND_SHIFT)
        if m.public:
            flag |= PUBLIC
        if m.from_brand:
            flag |= BRAND
            if m.automated or auto_reply(m.text):
                flag |= AUTO
        flags.append(flag)
        author.append(m.author.id if m.from_brand or m.public else None)
        ref.append(None if not m.public else (m.in_reply_to or "") if m.from_brand else m.id)
    return MessageColumns(
        tuple(platforms), np.array([m.created_at.timestamp() for m in messages], dtype=float),
        np.array(flags, dtype=np.int64), thread_keys(messages), author, ref)


def columns_from_rows(rows: CompactRows, row_ids: bool = False) -> MessageColumns:
    """The columns of compact tuples (their payload split into author and ref); with
    `row_ids`, each tuple's fifth value is its store row id (`compact_rows_query`)."""
    data = rows.rows
    n = len(data)
    flags = np.fromiter(map(itemgetter(1), data), dtype=np.int64, count=n)
    author: list[str | None] = list(map(itemgetter(3), data))  # private: author or None
    ref: list[str | None] = [None] * n
    for i in np.flatnonzero(flags & PUBLIC).tolist():
        author[i], _, ref[i] = author[i].partition(US)  # type: ignore[union-attr]
    store_rows = np.fromiter(map(itemgetter(4), data), dtype=np.int64, count=n) if row_ids else None
    return MessageColumns(
        rows.platforms, np.fromiter(map(itemgetter(0), data), dtype=float, count=n), flags,
        list(map(itemgetter(2), data)), author, ref, store_rows=store_rows)


def mark_auto_reply(message: Message, auto_reply: Callable[[str], bool] = looks_like_auto_reply) -> Message:
    """The message with `automated` set when it is a brand auto-reply by its text.

    The store calls this before inserting, so that the store's SQL needs no text.
    """
    if message.from_brand and not message.automated and auto_reply(message.text):
        return replace(message, automated=True)
    return message


_KIND_FLAGS = "from_brand + 2 * ({auto}) + 4 * public + 8 * (length(kind) & 7)"  # below 64
_FLAGS = _KIND_FLAGS + "\n    + 64 * {platform_code}"


def thread_sql(column: Callable[[str], str] = str) -> str:
    """SQL for a stored message's thread key, as the store's reads see threads (a reply
    chain is one thread when the store filled `conversation_id`, see `thread_key`).

    `column` spells each column: as is, with a table alias, or as a statement parameter.
    The store interns this key per platform as the message's `thread` id at insert, so
    that the bulk read gets integers.
    """
    conversation_id, in_reply_to, public, author_id, mid = map(
        column, ("conversation_id", "in_reply_to", "public", "author_id", "id"))
    return (f"coalesce({conversation_id}, {in_reply_to}, "
            f"CASE WHEN {public} IS 0 THEN '@' || {author_id} END, {mid})")


_THREAD = thread_sql()

_SQL = f"""
SELECT ts,
  {_FLAGS},
  {_THREAD},
  CASE WHEN from_brand IS 1 THEN
         CASE WHEN public IS 1 THEN author_id || char(31) || coalesce(in_reply_to, '')
              ELSE author_id END
       WHEN public IS 1 THEN author_id || char(31) || id END{{extra}}
FROM messages"""

# ts * 2**26 is a whole number below 2**63 for every double in [2**26, 2**37) (1972 to the
# year 6325), so decimal integers carry those timestamps exactly.
TS_SCALE = 1 << 26
# What `columns_fit` needs: the smallest and largest timestamp (two probes of the `ts`
# index) and whether a row lacks its thread id or author key (one probe of the store's
# partial index).
BULK_CHECK_SQL = ("SELECT (SELECT min(ts) FROM messages), (SELECT max(ts) FROM messages), "
                  "EXISTS (SELECT 1 FROM messages WHERE thread IS NULL OR author_key IS NULL)")
# The author ids of the author keys in a JSON array (the brand's: a few), for `author_names`.
AUTHOR_NAMES_SQL = "SELECT id, author_id FROM authors WHERE id IN (SELECT value FROM json_each(?))"

# The thread id and the flags but the platform travel as one integer; the platform comes
# from the thread (a thread is on one platform), with the ids of each platform's threads read
# from the `threads` table (`THREAD_IDS_SQL`): a million fewer numbers and string comparisons.
_COLUMNS_SQL = f"""
SELECT group_concat(CAST(ts * {TS_SCALE} AS INTEGER)),
  group_concat(thread * {1 << PLATFORM_SHIFT} + {_KIND_FLAGS}),
  group_concat(author_key),
  json_group_array(CASE WHEN public IS 1 THEN
                     CASE WHEN from_brand IS 1 THEN coalesce(in_reply_to, '') ELSE id END END){{extra}}
FROM messages"""
# The ids of each platform's threads after a given id, for `columns_from_sql`: threads are
# only ever added (with ids counting up), so a reader may keep those it read and ask for the
# rest (`store.thread_ids`).
THREAD_IDS_SQL = "SELECT platform, group_concat(id) FROM threads WHERE id > ? GROUP BY platform"


def columns_fit(check: Sequence[Any]) -> bool:
    """Whether `columns_query` reads the store exactly, from what `BULK_CHECK_SQL` found (a
    few index probes instead of a check on every row): every timestamp fits in its decimal
    integer and every row has its thread id and author key (rows written around the store
    may not)."""
    *ts_range, unkeyed = check
    return not unkeyed and all(isinstance(t, (int, float)) and 2 ** 26 <= t < 2 ** 37 for t in ts_range)


def compact_rows_query(
    platforms: Sequence[str], since: datetime | None = None, *, gap: float = DEFAULT_GAP,
    recheck_text: bool = False, until: datetime | None = None, row_ids: bool = False,
) -> tuple[str, tuple[Any, ...]]:
    """SQL and parameters that read the compact rows from the store's `messages` table.

    `platforms` are the names the flags will point to; a platform missing from them (one
    that appeared in between) gets index len(platforms), so list one more name for it. The
    flag columns (`from_brand`, `automated`, `public`) must hold 0 or 1, as the store writes
    them. With `since`, reads from `gap` before it (to tell which messages open a
    conversation) to the end: answers may come after any `until`. `recheck_text` runs the
    auto-reply recogniser on every brand text (needs `register_sql_functions`) instead of
    trusting `automated`. With `until`, messages after it are left out (a digest of a past
    day); `row_ids` adds each message's store row id (`MessageColumns.store_rows`).
    """
    return _query(_SQL, platforms, since, gap, recheck_text, until, "rowid" if row_ids else "")


def columns_query(
    platforms: Sequence[str], since: datetime | None = None, *, gap: float = DEFAULT_GAP,
    recheck_text: bool = False, until: datetime | None = None, row_ids: bool = False,
) -> tuple[str, tuple[Any, ...]]:
    """`compact_rows_query` as one row of aggregated columns, for `columns_from_sql`; it
    reads the store's thread ids and author keys, so it needs a store at schema 4
    (`columns_fit`)."""
    return _query(_COLUMNS_SQL, platforms, since, gap, recheck_text, until,
                  "group_concat(rowid)" if row_ids else "")


def _query(template: str, platforms: Sequence[str], since: datetime | None, gap: float,
           recheck_text: bool, until: datetime | None, extra: str) -> tuple[str, tuple[Any, ...]]:
    cases = " ".join(f"WHEN ? THEN {i}" for i in range(len(platforms)))
    code = f"CASE platform {cases} ELSE {len(platforms)} END" if platforms else "0"  # an empty store
    auto = ("automated OR (from_brand AND webcare_auto_reply(text))" if recheck_text else "automated")
    sql = template.format(auto=auto, platform_code=code, extra=f",\n  {extra}" if extra else "")
    params: tuple[Any, ...] = tuple(platforms) if "{platform_code}" in template else ()
    bounds = []
    if since is not None:
        bounds.append("ts >= ?")
        params += (since.timestamp() - gap,)
    if until is not None:
        bounds.append("ts <= ?")
        params += (until.timestamp(),)
    if bounds:
        sql += "\nWHERE " + " AND ".join(bounds)
    return sql, params


def columns_from_sql(result: Sequence[Any], platforms: Sequence[str],
                     threads_by_platform: Mapping[str, np.ndarray]) -> MessageColumns:
    """The columns from the one row `columns_query` returns, when `columns_fit` (`platforms`
    as for `compact_rows_query`, plus the name for the others; `threads_by_platform` the
    ids of every platform's threads, `THREAD_IDS_SQL`). Their `author_names` are still to
    be read: `brand_author_keys`, `AUTHOR_NAMES_SQL`."""
    ts, packed, author, ref, *row_ids = result
    ts, packed, author = map(parse_integers, (ts, packed, author))
    ref = json.loads(ref)
    thread = packed >> PLATFORM_SHIFT
    flags = packed & ((1 << PLATFORM_SHIFT) - 1)
    if not ts.size == thread.size == author.size == len(ref):  # group_concat skips NULLs
        raise ValueError("messages: ts, kind, public, from_brand, automated, thread and "
                         "author_key must not be NULL")
    if ts.size:
        flags |= _thread_platforms(threads_by_platform, platforms, thread) << PLATFORM_SHIFT
    return MessageColumns(tuple(platforms), ts / TS_SCALE, flags, thread, author, ref,
                          store_rows=parse_integers(row_ids[0]) if row_ids else None)


def brand_author_keys(columns: MessageColumns) -> list[int]:
    """The distinct author keys of the brand's messages in store columns."""
    return np.unique(np.asarray(columns.author)[(columns.flags & BRAND) != 0]).tolist()


def _thread_platforms(ids: Mapping[str, np.ndarray], platforms: Sequence[str],
                      thread: np.ndarray) -> np.ndarray:
    """The platform code of each thread id in `thread` (the last code for other platforms)."""
    code = {name: i for i, name in enumerate(platforms[:-1])}
    of_thread = np.full(max((int(i.max()) for i in ids.values() if i.size), default=0) + 1,
                        len(platforms) - 1, dtype=np.int64)
    for name, its in ids.items():
        of_thread[its] = code.get(name, len(platforms) - 1)
    if thread.size and not 0 <= int(thread.min()) <= int(thread.max()) < of_thread.size:
        raise ValueError("messages: a thread id that is not in threads")
    return of_thread[thread]


def parse_integers(concatenated: str | None) -> np.ndarray:
    """The decimal integers of a `group_concat`, parsed in C."""
    return np.fromstring(concatenated or "", dtype=np.int64, sep=",")


# The name `compact_rows_query` rows get for a platform not in the list it was given.
OTHER_PLATFORM = "(other)"


def register_sql_functions(connection: Any, auto_reply: Callable[[str], bool] = looks_like_auto_reply) -> None:
    """Make the queries with `recheck_text=True` runnable on a sqlite3 connection."""
    connection.create_function(
        "webcare_auto_reply", 1, lambda text: 1 if auto_reply(text or "") else 0, deterministic=True)


# -- pairing -----------------------------------------------------------------------------------

INBOUND, ANSWER, ACK = 0, 1, 2  # event kinds


@dataclass(slots=True)
class FirstResponses:
    """Columns (numpy arrays) with one entry per customer message, in row order.

    `row` points into the rows given; `ack` and `answer` are epoch seconds, NaN when none;
    `platform` and `responder` are codes into `platforms` and `responders` (-1: nobody).
    """

    row: np.ndarray
    ts: np.ndarray
    flags: np.ndarray
    platform: np.ndarray
    opener: np.ndarray
    ack: np.ndarray
    answer: np.ndarray
    responder: np.ndarray
    platforms: list[str]
    responders: list[str]

    def __len__(self) -> int:
        return int(self.row.size)


def first_responses_from_rows(rows: CompactRows, gap: float = DEFAULT_GAP) -> FirstResponses:
    """`first_responses_from_columns` for compact tuples."""
    return first_responses_from_columns(columns_from_rows(rows), gap)


def first_responses_from_columns(columns: MessageColumns, gap: float = DEFAULT_GAP) -> FirstResponses:
    """Pair every customer message with the brand's first acknowledgement and first answer.

    Rows may come in any order; ties in time keep the given order.

    Every message becomes an event in a "bucket": the thread for private channels, the
    thread and customer for public ones (a brand message that answers everyone in a public
    thread becomes one event per customer already there). Within a bucket, in time order, a
    customer message is answered by the next brand answer and acknowledged by the next
    auto-reply before that answer; it opens a conversation when the previous non-auto event
    is at least `gap` earlier. Those are prefix scans over sorted arrays; the only
    per-message Python work is C-level `map` over strings.
    """
    with gc_paused():
        return _pair(columns, gap)


def _codes(strings: Iterable[str], table: dict[str, int]) -> np.ndarray:
    """Codes for strings: their position in `table`, which gains the new ones in order.

    `table` maps names to increasing first-seen counters, so the position of a counter
    among the sorted values is the name's position in insertion order.
    """
    start = next(reversed(table.values())) + 1 if table else 0
    first_seen = np.fromiter(map(table.setdefault, strings, count(start)), dtype=np.int64)
    counters = np.fromiter(table.values(), dtype=np.int64, count=len(table))
    return np.searchsorted(counters, first_seen)


def _thread_codes(thread: Sequence[str] | np.ndarray, platform: np.ndarray, platforms: int) -> np.ndarray:
    """A non-negative code per row, equal exactly for rows of the same thread on the same
    platform. The store's thread ids are such codes already; keys are coded by where they
    were first seen, per platform."""
    if isinstance(thread, np.ndarray):
        return thread.astype(np.int64)  # a copy: the caller's column stays as it is
    seen: dict[str, int] = {}
    codes = np.fromiter(map(seen.setdefault, thread, count()), dtype=np.int64, count=platform.size)
    codes *= max(platforms, 1)
    codes += platform
    return codes


def _pair(columns: MessageColumns, gap: float) -> FirstResponses:
    ts, flags, platforms = columns.ts, columns.flags, columns.platforms
    n = ts.size
    by_time = np.argsort(ts, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[by_time] = np.arange(n)
    platform = flags >> PLATFORM_SHIFT
    thread = _thread_codes(columns.thread, platform, len(platforms))
    low = (flags & 7).astype(np.int8)  # BRAND | AUTO | PUBLIC
    brand = (low & BRAND) != 0
    public = (low & PUBLIC) != 0
    kind = (low & BRAND) * (1 + ((low >> 1) & 1))  # customer 0 (INBOUND), 1 (ANSWER), auto 2 (ACK)
    authors = _Authors(columns)
    ref_column = np.fromiter(columns.ref, dtype=object, count=n)

    # who answered: brand author codes
    author = np.full(n, -1, dtype=np.int64)
    brand_rows = np.flatnonzero(brand)
    author[brand_rows], responders = authors.responders(brand_rows)

    # the bucket of each row: its thread when private; (thread, customer) when public, where
    # a brand reply joins the bucket of the customer it answers and any other brand message
    # is copied into every bucket opened before it (-1 here)
    bucket = thread.copy()
    extra_bucket = extra_row = None
    customers = np.flatnonzero(public & ~brand)
    replies = np.flatnonzero(public & brand)
    if customers.size or replies.size:
        customer = authors.customers(customers)
        pairs = thread[customers] * (int(customer.max(initial=0)) + 1) + customer
        bucket[customers] = int(thread.max()) + 1 + np.unique(pairs, return_inverse=True)[1].reshape(-1)
        target = np.full(replies.size, -1, dtype=np.int64)
        for code in np.unique(platform[replies]).tolist():  # ids are unique within a platform
            mine = np.flatnonzero(platform[replies] == code)
            theirs = customers[platform[customers] == code]
            by_id = dict(zip(ref_column[theirs], theirs.tolist()))
            target[mine] = np.fromiter(map(by_id.get, ref_column[replies[mine]], repeat(-1)),
                                       dtype=np.int64, count=mine.size)
        known = target >= 0
        known[known] = thread[target[known]] == thread[replies[known]]
        bucket[replies[known]] = bucket[target[known]]
        broadcasts = replies[~known]
        if broadcasts.size:
            extra_bucket, extra_row = _broadcast(broadcasts, customers, bucket, thread, rank)
            bucket[broadcasts] = -1

    # events sorted by bucket, then time: sort the combined keys, then split them again
    if n and (int(bucket.max()) + 1) * n > np.iinfo(np.int64).max:
        raise OverflowError(f"{n} messages are too many to pair in one go")
    if extra_row is None:
        keys = bucket * n
        keys += rank
    else:
        keep = np.flatnonzero(bucket >= 0)
        keys = np.concatenate([bucket[keep] * n + rank[keep], extra_bucket * n + rank[extra_row]])
    keys.sort()
    ev_bucket, ev_rank = np.divmod(keys, n)
    del keys
    ev = by_time[ev_rank]
    m = ev.size
    pos = np.arange(m)
    ev_kind = kind[ev]

    def next_of(which: np.ndarray) -> np.ndarray:
        """Position of the next event of this kind (in any bucket), or m."""
        return np.minimum.accumulate(np.where(which, pos, m)[::-1])[::-1]

    nxt_answer = next_of(ev_kind == ANSWER)
    nxt_ack = next_of(ev_kind == ACK)
    prev = np.maximum.accumulate(np.where(ev_kind != ACK, pos, -1))
    inbound = np.flatnonzero(ev_kind == INBOUND)
    del pos, ev_kind

    rows_in = ev[inbound]
    back = np.argsort(rows_in)  # report in row order
    inbound, rows_in = inbound[back], rows_in[back]
    here = ev_bucket[inbound]

    def row_at(at: np.ndarray) -> np.ndarray:
        """The row of the event at each position, or -1 when none is there in this bucket."""
        inside = (at >= 0) & (at < m)
        at = np.where(inside, at, 0)
        return np.where(inside & (ev_bucket[at] == here), ev[at], -1)

    answer_at = nxt_answer[inbound]
    answered = row_at(answer_at)
    ack_at = nxt_ack[inbound]
    acked = np.where(ack_at < answer_at, row_at(ack_at), -1)  # a later auto-reply is for later messages
    before = row_at(np.where(inbound > 0, prev[inbound - 1], -1))  # the one before, strictly
    ts_in = ts[rows_in]
    return FirstResponses(
        row=rows_in, ts=ts_in, flags=flags[rows_in], platform=platform[rows_in],
        opener=(before < 0) | (ts_in - ts[before] >= gap),
        ack=np.where(acked >= 0, ts[acked], np.nan), answer=np.where(answered >= 0, ts[answered], np.nan),
        responder=np.where(answered >= 0, author[answered], -1),
        platforms=list(platforms), responders=responders,
    )


class _Authors:
    """Codes for the author column: ids coded by where they were first seen, or the store's
    author keys, which are codes already (the brand's named by `author_names`)."""

    def __init__(self, columns: MessageColumns):
        self.keys = columns.author if isinstance(columns.author, np.ndarray) else None
        self.names = columns.author_names
        if self.keys is None:
            self.ids = np.fromiter(columns.author, dtype=object, count=len(columns))

    def responders(self, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """A code per row and the author id of each code."""
        if self.keys is None:
            names: dict[str, int] = {}
            return _codes(self.ids[rows], names), list(names)
        keys, codes = np.unique(self.keys[rows], return_inverse=True)
        return codes.reshape(-1), [self.names[key] for key in keys.tolist()]

    def customers(self, rows: np.ndarray) -> np.ndarray:
        """Non-negative codes, equal exactly for the same author."""
        return _codes(self.ids[rows], {}) if self.keys is None else self.keys[rows].astype(np.int64)


def _broadcast(
    broadcasts: np.ndarray, customers: np.ndarray, row_bucket: np.ndarray,
    thread: np.ndarray, rank: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Copy each thread-wide brand message into every customer bucket opened before it."""
    buckets = row_bucket[customers]
    order = np.lexsort((rank[customers], buckets))
    first = np.ones(order.size, dtype=bool)
    first[1:] = buckets[order][1:] != buckets[order][:-1]
    heads = customers[order][first]  # the first message of every bucket
    heads = heads[np.lexsort((rank[heads], thread[heads]))]  # per thread, in time order
    head_thread, head_rank = thread[heads], rank[heads]
    # for each broadcast: the heads of its thread that came before it
    lo = np.searchsorted(head_thread, thread[broadcasts], side="left")
    hi = lo + _count_before(head_thread, head_rank, thread[broadcasts], rank[broadcasts], lo)
    sizes = hi - lo
    total = int(sizes.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    starts = np.repeat(lo - np.cumsum(sizes) + sizes, sizes) + np.arange(total)
    return row_bucket[heads[starts]], np.repeat(broadcasts, sizes)


def _count_before(
    head_thread: np.ndarray, head_rank: np.ndarray, threads: np.ndarray, ranks: np.ndarray,
    lo: np.ndarray,
) -> np.ndarray:
    """How many heads of the same thread, starting at `lo`, have a rank below `ranks`."""
    # (thread, rank) pairs are sorted lexicographically: search on a combined key
    scale = int(max(int(head_rank.max(initial=0)), int(ranks.max(initial=0)))) + 1
    combined = head_thread * scale + head_rank
    return np.searchsorted(combined, threads * scale + ranks, side="left") - lo


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pausing the cycle collector while building large columns or reading many rows (no
    cycles are created) avoids repeated full collections over millions of young objects."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class FirstResponse:
    """One customer message and what the brand did about it."""

    message: Message
    opens_conversation: bool
    acknowledged_at: datetime | None
    answered_at: datetime | None
    responder: str | None

    @property
    def seconds_to_answer(self) -> float | None:
        if self.answered_at is None:
            return None
        return (self.answered_at - self.message.created_at).total_seconds()

    @property
    def seconds_to_ack(self) -> float | None:
        if self.acknowledged_at is None:
            return None
        return (self.acknowledged_at - self.message.created_at).total_seconds()


def first_responses(messages: Sequence[Message], config: MetricsConfig | None = None) -> list[FirstResponse]:
    """Per customer message: does it open a conversation, when acknowledged, when answered."""
    config = config or MetricsConfig()
    pairs = first_responses_from_columns(message_columns(messages, config.auto_reply), config.gap)
    return [
        FirstResponse(
            message=messages[i], opens_conversation=opener,
            acknowledged_at=_dt(ack), answered_at=_dt(answer),
            responder=pairs.responders[who] if who >= 0 else None,
        )
        for i, opener, ack, answer, who in zip(
            pairs.row.tolist(), pairs.opener.tolist(), pairs.ack.tolist(),
            pairs.answer.tolist(), pairs.responder.tolist())
    ]


def _dt(epoch: float) -> datetime | None:
    return None if math.isnan(epoch) else datetime.fromtimestamp(epoch, timezone.utc)


# -- figures -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResponseStats:
    """Response figures for one group of customer messages. Times are in minutes.

    `within_target` is answered-in-time / (answered + overdue): messages still inside their
    target are not judged yet. None means there was nothing to judge.
    """

    messages: int = 0
    answered: int = 0
    acknowledged: int = 0
    waiting: int = 0
    overdue: int = 0
    within_target: float | None = None
    median_minutes: float | None = None
    p90_minutes: float | None = None
    business_median_minutes: float | None = None
    business_p90_minutes: float | None = None
    ack_median_minutes: float | None = None
    ack_p90_minutes: float | None = None

    @property
    def unanswered(self) -> int:
        return self.waiting + self.overdue

    def to_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages, "answered": self.answered,
            "acknowledged": self.acknowledged, "waiting": self.waiting, "overdue": self.overdue,
            "within_target": _round(self.within_target, 4),
            "median_minutes": _round(self.median_minutes), "p90_minutes": _round(self.p90_minutes),
            "business_median_minutes": _round(self.business_median_minutes),
            "business_p90_minutes": _round(self.business_p90_minutes),
            "ack_median_minutes": _round(self.ack_median_minutes),
            "ack_p90_minutes": _round(self.ack_p90_minutes),
        }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class MetricsReport:
    """First-response figures at `now`, overall and per group; see `format_report`."""

    now: datetime
    since: datetime | None
    until: datetime | None
    total: ResponseStats
    private: ResponseStats
    public: ResponseStats
    conversations: Mapping[str, ResponseStats]
    by_channel: Mapping[str, ResponseStats]
    by_platform: Mapping[str, ResponseStats]
    by_responder: Mapping[str, ResponseStats]
    targets: Mapping[str, str]
    responder_names: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "targets": dict(self.targets),
            "total": self.total.to_dict(),
            "private": self.private.to_dict(),
            "public": self.public.to_dict(),
            "conversations": {k: v.to_dict() for k, v in self.conversations.items()},
            "by_channel": {k: v.to_dict() for k, v in self.by_channel.items()},
            "by_platform": {k: v.to_dict() for k, v in self.by_platform.items()},
            "by_responder": {
                k: {**v.to_dict(), "name": self.responder_names.get(k, "")}
                for k, v in self.by_responder.items()
            },
        }


def compute_metrics(
    messages: Sequence[Message], now: datetime, config: MetricsConfig | None = None, *,
    since: datetime | None = None, until: datetime | None = None,
) -> MetricsReport:
    """First-response figures for the customer messages received in [since, until)."""
    config = config or MetricsConfig()
    names = {m.author.id: m.author.name for m in messages if m.from_brand and m.author.name}
    return metrics_from_columns(message_columns(messages, config.auto_reply), now, config,
                                since=since, until=until, responder_names=names)


def metrics_from_columns(
    columns: MessageColumns, now: datetime, config: MetricsConfig | None = None, *,
    since: datetime | None = None, until: datetime | None = None,
    responder_names: Mapping[str, str] | None = None,
) -> MetricsReport:
    """`compute_metrics` over columns (from `message_columns` or the store).

    Rows after `until` still count as answers; messages after `now` are ignored.
    """
    config = config or MetricsConfig()
    pairs = first_responses_from_columns(columns, config.gap)
    return report_from_pairs(pairs, now, config, since=since, until=until,
                             responder_names=responder_names)


def report_from_pairs(
    pairs: FirstResponses, now: datetime, config: MetricsConfig | None = None, *,
    since: datetime | None = None, until: datetime | None = None,
    responder_names: Mapping[str, str] | None = None,
) -> MetricsReport:
    """The figures for paired messages; pair once, then report on several periods cheaply."""
    config = config or MetricsConfig()
    names = responder_names or {}
    now_ts = now.timestamp()
    ts = pairs.ts
    keep = ts <= now_ts
    if since is not None:
        keep &= ts >= since.timestamp()
    if until is not None:
        keep &= ts < until.timestamp()
    sel = np.flatnonzero(keep)
    ts = ts[sel]
    flags = pairs.flags[sel]
    answer = pairs.answer[sel]
    ack = pairs.ack[sel]
    answer[answer > now_ts] = np.nan  # an answer from the future has not happened yet
    ack[ack > now_ts] = np.nan
    channel = channel_codes(flags)

    wall = answer - ts
    ack_wall = ack - ts
    answered = ~np.isnan(answer)
    business = np.full(ts.shape, np.nan)
    business_waited = np.full(ts.shape, np.nan)  # business time from arrival to now
    goals = [config.target_for(name) for name in CHANNELS]
    by_hours = _channels_by_hours(config, channel)
    for hours, codes in by_hours:
        mask = np.isin(channel, codes) if len(by_hours) > 1 else slice(None)
        instants = [ts[mask], answer[mask]]
        if any(goals[code].business for code in codes):
            instants.append(np.array([now_ts]))
        clocks = hours.business_clocks(*instants)
        business[mask] = clocks[1] - clocks[0]
        if len(clocks) > 2:
            business_waited[mask] = clocks[2][0] - clocks[0]
    on_business = np.array([goal.business for goal in goals])[channel]
    judged = np.where(  # time that counts against the target
        on_business, np.where(answered, business, business_waited),
        np.where(answered, wall, now_ts - ts))
    late = judged > np.array([goal.seconds for goal in goals])[channel]
    columns = _Columns(wall, business, ack_wall, answered, ~np.isnan(ack), late)

    public = (flags & PUBLIC) != 0
    opener = pairs.opener[sel]
    everything = np.arange(ts.size)
    platform = pairs.platform[sel]
    who = pairs.responder[sel]
    by_responder = {
        pairs.responders[code]: columns.stats(idx)
        for code, idx in _groups(who, np.flatnonzero((who >= 0) & answered)).items()
    }
    return MetricsReport(
        now=now, since=since, until=until,
        total=columns.stats(everything),
        private=columns.stats(np.flatnonzero(~public)),
        public=columns.stats(np.flatnonzero(public)),
        conversations={
            "private": columns.stats(np.flatnonzero(opener & ~public)),
            "public": columns.stats(np.flatnonzero(opener & public)),
        },
        by_channel={CHANNELS[c]: columns.stats(idx) for c, idx in sorted(_groups(channel, everything).items())},
        by_platform=dict(sorted(
            (pairs.platforms[c], columns.stats(idx)) for c, idx in _groups(platform, everything).items())),
        by_responder=dict(sorted(by_responder.items(), key=lambda kv: (-kv[1].answered, kv[0]))),
        targets={name: config.target_for(name).describe() for name in CHANNELS},
        responder_names=dict(names),
    )


def _channels_by_hours(config: MetricsConfig, channel: np.ndarray) -> list[tuple[BusinessHours, list[int]]]:
    """The channel codes present, grouped by the opening hours they are measured with."""
    groups: dict[int, tuple[BusinessHours, list[int]]] = {}
    for code in np.flatnonzero(np.bincount(channel, minlength=len(CHANNELS))).tolist():
        hours = config.hours_for(CHANNELS[code])
        groups.setdefault(id(hours), (hours, []))[1].append(code)
    return list(groups.values())


def _groups(codes: np.ndarray, idx: np.ndarray) -> dict[int, np.ndarray]:
    """Split the positions `idx` by their code, in one sort."""
    if idx.size == 0:
        return {}
    sub = codes[idx]
    if 0 <= sub.min() and sub.max() < 1 << 15:
        sub = sub.astype(np.int16)  # numpy sorts 16-bit keys by radix, several times faster
    order = np.argsort(sub, kind="stable")
    sorted_codes = sub[order]
    cuts = np.flatnonzero(np.diff(sorted_codes)) + 1
    return {int(part_codes[0]): idx[order_part]
            for part_codes, order_part in zip(np.split(sorted_codes, cuts), np.split(order, cuts))}


@dataclass(slots=True)
class _Columns:
    wall: np.ndarray
    business: np.ndarray
    ack_wall: np.ndarray
    answered: np.ndarray
    acked: np.ndarray
    late: np.ndarray

    def stats(self, idx: np.ndarray) -> ResponseStats:
        if idx.size == 0:
            return ResponseStats()
        answered = self.answered[idx]
        late = self.late[idx]
        n_answered = int(answered.sum())
        overdue = int((~answered & late).sum())
        in_time = int((answered & ~late).sum())
        judged = n_answered + overdue
        done = idx[answered]
        acked = idx[self.acked[idx]]
        median, p90 = _percentiles(self.wall[done])
        b_median, b_p90 = _percentiles(self.business[done])
        a_median, a_p90 = _percentiles(self.ack_wall[acked])
        return ResponseStats(
            messages=int(idx.size), answered=n_answered, acknowledged=int(acked.size),
            waiting=int(idx.size) - n_answered - overdue, overdue=overdue,
            within_target=in_time / judged if judged else None,
            median_minutes=median, p90_minutes=p90,
            business_median_minutes=b_median, business_p90_minutes=b_p90,
            ack_median_minutes=a_median, ack_p90_minutes=a_p90,
        )


def _percentiles(seconds: np.ndarray) -> tuple[float | None, float | None]:
    """Median and 90th percentile in minutes (linear interpolation between ranks)."""
    if seconds.size == 0:
        return None, None
    median, p90 = np.percentile(seconds, [50, 90])
    return float(median) / 60, float(p90) / 60


# -- text report -------------------------------------------------------------------------------


def format_report(report: MetricsReport) -> str:
    """A plain-text report for a terminal or a chat message."""
    window = ""
    if report.since:
        window += f", customer messages since {_when(report.since)}"
    if report.until:
        window += f"{',' if not report.since else ''} until {_when(report.until)}"
    lines = [f"First response times at {_when(report.now)}{window}"]
    lines.append("targets: " + ", ".join(f"{k} {v}" for k, v in report.targets.items()))
    header = f"{'':<22}{'msgs':>7}{'answ':>7}{'wait':>6}{'late':>6}{'in time':>8}" \
             f"{'median':>9}{'p90':>9}{'bus.med':>9}{'bus.p90':>9}{'ack.med':>9}"
    sections: list[tuple[str, Mapping[str, ResponseStats]]] = [
        ("overall", {"all messages": report.total, "private": report.private, "public": report.public}),
        ("conversations (first message after 24 h silence)",
         {f"{k} conversations": v for k, v in report.conversations.items()}),
        ("per channel", report.by_channel),
        ("per platform", report.by_platform),
        ("per responder", {
            (report.responder_names.get(k) or k): v for k, v in report.by_responder.items()}),
    ]
    for title, rows in sections:
        if not rows:
            continue
        lines += ["", title, header]
        for name, stats in rows.items():
            lines.append(_format_row(name, stats))
    return "\n".join(lines)


def _format_row(name: str, s: ResponseStats) -> str:
    share = "-" if s.within_target is None else f"{100 * s.within_target:.0f}%"
    return (f"{name[:21]:<22}{s.messages:>7}{s.answered:>7}{s.waiting:>6}{s.overdue:>6}{share:>8}"
            f"{_minutes(s.median_minutes):>9}{_minutes(s.p90_minutes):>9}"
            f"{_minutes(s.business_median_minutes):>9}{_minutes(s.business_p90_minutes):>9}"
            f"{_minutes(s.ack_median_minutes):>9}")


def _minutes(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    if value < 60:
        return f"{value:.0f}m" if value >= 10 else f"{value:.1f}m"
    if value < 48 * 60:
        return f"{value / 60:.1f}h"
    return f"{value / 1440:.1f}d"


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value else ""
