"""The digest's figures: what a comms lead wants to know about yesterday (or last week).

Pure: store rows and values in, a `Digest` out; `now` is injected and nothing here reads a
clock, a file or the database (`build` does that). Everything is compared with the period
before (the day before, or the week before), cut at the same time of day when the period is
still running ("today so far" against "yesterday up to the same time").

Sections: volume and sentiment per channel; the complaint topics (words that many complaints
share, with examples); incidents and how fast they were acknowledged and resolved; response
times (webcare's figures and Facebook's displayed label); what is still waiting, oldest
first; and connector gaps: a connector that returned nothing for `gap_hours` while it
usually has messages at that time of day.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from webcare.digest.schedule import Period
from webcare.digest.topics import Example, Topic, complaint_topics
from webcare.metrics import (
    PUBLIC,
    CompactRows,
    FirstResponses,
    MessageColumns,
    MetricsConfig,
    ResponseStats,
    first_responses_from_columns,
    first_responses_from_rows,
    report_from_pairs,
)
from webcare.models import Message, Score
from webcare.responsiveness import ResponsivenessRules, label_and_forecast

HOUR = 3600.0
LIVE = ("open", "acknowledged", "snoozed")
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
WAITING_DAYS = 7  # what "still waiting" looks back over (as /queue does)
BASELINE_DAYS = 7  # connector gaps are judged against the same hours of the week before
MIN_EXPECTED = 3.0  # a silent stretch matters when at least this many messages were usual


class VolumeRow(NamedTuple):
    """One row of `Store.digest_volume`: counts for an hour, connector, platform, label."""

    hour: int
    source: str
    platform: str
    brand: int
    label: str
    complaints: int
    count: int


# --- values -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    """Customer messages by sentiment label, complaints among them, and brand messages."""

    messages: int = 0
    neg: int = 0
    neu: int = 0
    pos: int = 0
    complaints: int = 0
    brand: int = 0

    @property
    def negative_share(self) -> float | None:
        return self.neg / self.messages if self.messages else None

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(a + b for a, b in zip(self._values(), other._values())))

    def _values(self) -> tuple[int, ...]:
        return (self.messages, self.neg, self.neu, self.pos, self.complaints, self.brand)


@dataclass(frozen=True)
class ChannelLine:
    platform: str
    now: Counts
    before: Counts


@dataclass(frozen=True)
class IncidentLine:
    number: int  # the marker on the chart
    id: str
    title: str
    severity: str
    playbook: str
    status: str  # as of `now`: open, acknowledged, snoozed, resolved, closed
    opened_at: datetime
    ack_seconds: float | None
    acked_by: str | None
    done_seconds: float | None
    done_how: str | None  # resolved (by a person) or closed (calmed down)


@dataclass(frozen=True)
class IncidentSummary:
    lines: tuple[IncidentLine, ...]  # opened in the period, oldest first
    opened_before: int  # in the previous period
    still_open: int  # open at `now`, whenever opened
    acknowledged: int
    median_ack_seconds: float | None
    done: int
    median_done_seconds: float | None

    @property
    def opened(self) -> int:
        return len(self.lines)


@dataclass(frozen=True)
class FacebookLabel:
    """What Facebook shows customers about the Page's inbox, recomputed (`responsiveness`)."""

    label: str | None
    response_minutes: float | None
    response_rate: float | None
    counted: int
    very_responsive: bool
    at_risk: bool
    drops_to: str | None
    reply_within_seconds: float | None
    waiting: int


@dataclass(frozen=True)
class ResponseFigures:
    now: ResponseStats
    before: ResponseStats
    by_platform: Mapping[str, ResponseStats]
    targets: Mapping[str, tuple[float, bool]]  # channel -> (seconds, business time)
    facebook: FacebookLabel | None = None


@dataclass(frozen=True)
class WaitingItem:
    message: Message
    score: Score | None
    waited_seconds: float
    acknowledged: bool  # only an auto-reply so far


@dataclass(frozen=True)
class Waiting:
    total: int
    by_platform: Mapping[str, int]
    oldest: tuple[WaitingItem, ...]


@dataclass(frozen=True)
class Gap:
    """A connector that returned nothing from `start` to `end` although `expected` was usual."""

    connector: str
    start: datetime
    end: datetime
    expected: float
    until_now: bool  # the silence lasts up to the moment of the digest

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / HOUR


@dataclass(frozen=True)
class ConnectorTrouble:
    connector: str
    status: str  # backoff, rate_limited, stopped
    error: str
    last_success: datetime | None


@dataclass(frozen=True)
class ChartData:
    """The series behind the chart: customer messages per bin by sentiment, the previous
    period's totals in the same bins, and incidents (number, opened at, severity)."""

    kind: str
    bins: tuple[datetime, ...]  # local start of each bin (hours, or days for a week)
    neg: tuple[int, ...]
    neu: tuple[int, ...]
    pos: tuple[int, ...]
    previous: tuple[int, ...]
    incidents: tuple[tuple[int, datetime, str], ...]
    upto: int  # bins at and after this index lie after `now` (a running period)

    @property
    def totals(self) -> tuple[int, ...]:
        return tuple(a + b + c for a, b, c in zip(self.neg, self.neu, self.pos))


@dataclass(frozen=True)
class Digest:
    brand: str
    period: Period
    previous: Period
    now: datetime
    total: Counts
    total_before: Counts
    channels: tuple[ChannelLine, ...]
    topics: tuple[Topic, ...]
    complaints: int  # complaint or negative customer messages the topics come from
    incidents: IncidentSummary
    response: ResponseFigures
    waiting: Waiting
    gaps: tuple[Gap, ...]
    troubles: tuple[ConnectorTrouble, ...]
    chart: ChartData
    due_at: datetime | None = None  # set when the digest goes out later than planned


# --- inputs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DigestInputs:
    """Everything `compose` needs, read by `build` from the store."""

    brand: str
    period: Period  # cut at `now`
    now: datetime
    origin: datetime  # hour 0 of `volume`: `baseline_start(period)`
    volume: Sequence[VolumeRow]
    pairs: FirstResponses | None
    complaints: Sequence[Example]
    waiting: Sequence[WaitingRow]  # oldest first
    waiting_counts: Sequence[tuple[str, int]]  # of those that need an answer, per platform, most first
    waiting_examples: Mapping[int, Example]  # by row id: the oldest that need an answer
    incidents: Sequence[Mapping]
    connectors: Sequence[Mapping]
    facebook: FacebookLabel | None = None
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    ignore_words: frozenset[str] = frozenset()
    gap_hours: float = 6.0
    top_topics: int = 5
    examples_per_topic: int = 2
    waiting_shown: int = 10
    topics: tuple[Topic, ...] | None = None  # found already (`build.read_topics`), else from `complaints`
    complaint_count: int | None = None  # with `topics`: how many complaints they come from


def baseline_start(period: Period) -> datetime:
    """Where the volume rows must start: the week before the period (for connector gaps)."""
    return datetime.combine(period.start.date() - timedelta(days=BASELINE_DAYS),
                            period.start.timetz().replace(tzinfo=None), tzinfo=period.tz)


def response_since(period: Period, now: datetime) -> datetime:
    """Where response pairing must start: the previous period or the waiting window."""
    return min(period.previous().start, now - timedelta(days=WAITING_DAYS))


# --- compose ----------------------------------------------------------------------------------

def compose(inp: DigestInputs) -> Digest:
    """Every section of the digest, as things stood at `inp.now`."""
    period, now = inp.period, inp.now
    previous = period.previous()
    volume = [VolumeRow(*row) for row in inp.volume]
    channels, total, total_before = channel_lines(volume, inp.origin, period, previous)
    incidents = incident_summary(inp.incidents, period, previous, now)
    topics = inp.topics
    if topics is None:
        topics = complaint_topics(inp.complaints, inp.ignore_words, inp.top_topics, inp.examples_per_topic)
    complaints = len(inp.complaints) if inp.complaint_count is None else inp.complaint_count
    return Digest(
        brand=inp.brand, period=period, previous=previous, now=now, total=total,
        total_before=total_before, channels=channels, topics=topics, complaints=complaints,
        incidents=incidents,
        response=response_figures(inp.pairs, period, previous, now, inp.metrics, inp.facebook),
        waiting=waiting_section(inp.waiting, inp.waiting_counts, inp.waiting_examples, inp.waiting_shown),
        gaps=connector_gaps(volume, inp.origin, period, now, inp.gap_hours),
        troubles=connector_troubles(inp.connectors, period.tz),
        chart=chart_data(volume, inp.origin, period, previous, incidents),
    )


# --- volume -----------------------------------------------------------------------------------

def _hour_ts(origin: datetime, hour: int) -> float:
    return origin.timestamp() + hour * HOUR


def _counts(rows: Iterable[VolumeRow]) -> Counts:
    messages = neg = neu = pos = complaints = brand = 0
    for r in rows:
        if r.brand:
            brand += r.count
            continue
        messages += r.count
        complaints += r.complaints
        if r.label == "neg":
            neg += r.count
        elif r.label == "pos":
            pos += r.count
        else:
            neu += r.count
    return Counts(messages, neg, neu, pos, complaints, brand)


def _in(rows: Sequence[VolumeRow], origin: datetime, period: Period) -> list[VolumeRow]:
    a, b, o = period.start.timestamp(), period.end.timestamp(), origin.timestamp()
    return [r for r in rows if a <= o + r.hour * HOUR < b]  # _hour_ts, with the origin read once


def channel_lines(rows: Sequence[VolumeRow], origin: datetime, period: Period, previous: Period
                  ) -> tuple[tuple[ChannelLine, ...], Counts, Counts]:
    """Per platform, this period against the previous one; busiest first."""
    now_rows, before_rows = _in(rows, origin, period), _in(rows, origin, previous)
    platforms = {r.platform for r in now_rows} | {r.platform for r in before_rows}
    lines = [ChannelLine(p, _counts(r for r in now_rows if r.platform == p),
                         _counts(r for r in before_rows if r.platform == p)) for p in platforms]
    lines.sort(key=lambda c: (-c.now.messages, -c.before.messages, c.platform))
    return tuple(lines), _counts(now_rows), _counts(before_rows)


def chart_data(rows: Sequence[VolumeRow], origin: datetime, period: Period, previous: Period,
               incidents: IncidentSummary) -> ChartData:
    """Hourly bins for a day, daily bins for a week; previous period aligned by local hour
    (or day index), so a 23- or 25-hour day still lines up with the day before."""
    tz = period.tz
    if period.kind == "day":
        first = period.start.timestamp()
        n = round((period.full_end.timestamp() - first) / HOUR)
        bins = tuple(datetime.fromtimestamp(first + i * HOUR, timezone.utc).astimezone(tz) for i in range(n))

        def index(ts: float) -> int:
            return int((ts - first) // HOUR)
    else:
        day0 = period.start.date()
        bins = tuple(datetime.combine(day0 + timedelta(days=i), period.start.timetz().replace(tzinfo=None),
                                      tzinfo=tz) for i in range(7))

        def index(ts: float) -> int:
            return (datetime.fromtimestamp(ts, tz).date() - day0).days

    series = {label: [0] * len(bins) for label in ("neg", "neu", "pos")}
    for r in _in(rows, origin, period):
        if r.brand:
            continue
        i = index(_hour_ts(origin, r.hour))
        if 0 <= i < len(bins):
            series[r.label if r.label in series else "neu"][i] += r.count
    before = [0] * len(bins)
    slot_of_hour: dict[int, list[int]] = defaultdict(list)
    for i, b in enumerate(bins):
        slot_of_hour[b.hour].append(i)
    prev_day0 = previous.start.date()
    for r in _in(rows, origin, previous):
        if r.brand:
            continue
        ts = _hour_ts(origin, r.hour)
        if period.kind == "day":
            slots = slot_of_hour.get(datetime.fromtimestamp(ts, tz).hour, [])
            if slots:
                before[slots[0]] += r.count
        else:
            i = (datetime.fromtimestamp(ts, tz).date() - prev_day0).days
            if 0 <= i < len(bins):
                before[i] += r.count
    end = period.end.timestamp()
    upto = sum(1 for b in bins if b.timestamp() < end)
    marks = tuple((line.number, line.opened_at, line.severity) for line in incidents.lines)
    return ChartData(period.kind, bins, tuple(series["neg"]), tuple(series["neu"]), tuple(series["pos"]),
                     tuple(before), marks, upto)


# --- connector health -------------------------------------------------------------------------

def connector_gaps(rows: Sequence[VolumeRow], origin: datetime, period: Period, now: datetime,
                   gap_hours: float, min_expected: float = MIN_EXPECTED) -> tuple[Gap, ...]:
    """Stretches of at least `gap_hours` whole hours without a message from a connector,
    where the week before had at least `min_expected` messages in the same hours of day."""
    tz = period.tz
    start_hour = round((period.start.timestamp() - origin.timestamp()) / HOUR)
    cut = min(period.end, now).timestamp()
    last_hour = start_hour + int((cut - period.start.timestamp()) // HOUR)  # whole hours only
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        counts[r.source][r.hour] += r.count
    hour_of_day = {h: datetime.fromtimestamp(_hour_ts(origin, h), tz).hour
                   for h in range(0, max(last_hour, start_hour) + 1)}
    days = max(1, (period.start.date() - origin.date()).days)
    gaps = []
    for source, per_hour in sorted(counts.items()):
        usual: dict[int, float] = defaultdict(float)
        for h, n in per_hour.items():
            if h < start_hour:
                usual[hour_of_day[h]] += n / days
        if not usual:
            continue
        run_start = None
        for h in range(start_hour, last_hour + 1):
            silent = h < last_hour and per_hour.get(h, 0) == 0
            if silent and run_start is None:
                run_start = h
            elif not silent and run_start is not None:
                expected = sum(usual.get(hour_of_day[k], 0.0) for k in range(run_start, h))
                if h - run_start >= gap_hours and expected >= min_expected:
                    gaps.append(Gap(
                        source, datetime.fromtimestamp(_hour_ts(origin, run_start), tz),
                        datetime.fromtimestamp(_hour_ts(origin, h), tz), round(expected, 1),
                        until_now=h == last_hour and period.partial))
                run_start = None
    gaps.sort(key=lambda g: (-g.expected, g.start))
    return tuple(gaps)


def connector_troubles(rows: Sequence[Mapping], tz) -> tuple[ConnectorTrouble, ...]:
    """Connectors that are not healthy right now (from the store's connector status)."""
    out = []
    for r in rows:
        if (r.get("status") or "ok") == "ok":
            continue
        last = r.get("last_success")
        out.append(ConnectorTrouble(r["connector"], r["status"], r.get("last_error") or "",
                                    datetime.fromtimestamp(last, tz) if last else None))
    return tuple(out)


# --- incidents --------------------------------------------------------------------------------

def _time(value) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def incident_summary(rows: Sequence[Mapping], period: Period, previous: Period, now: datetime
                     ) -> IncidentSummary:
    """Incidents opened in the period, as they stood at `now` (later changes are ignored)."""
    lines = []
    opened_before = still_open = 0
    for r in rows:
        opened = _time(r["opened_at"])
        if opened is None or opened > now:
            continue
        acked = _time(r.get("acked_at"))
        acked = acked if acked is not None and acked <= now else None
        done_at, how = None, None
        if r.get("status") == "resolved" and r.get("resolved_at"):
            done_at, how = _time(r["resolved_at"]), "resolved"
        elif r.get("status") == "closed":
            done_at, how = _time(r.get("updated_at")), "closed"
        if done_at is not None and done_at > now:
            done_at, how = None, None
        status = how or ("acknowledged" if acked else "open")
        if r.get("status") == "snoozed" and how is None:
            status = "snoozed"
        if how is None:
            still_open += 1
        if previous.start <= opened < previous.end:
            opened_before += 1
        if not period.start <= opened < period.end:
            continue
        lines.append(IncidentLine(
            number=0, id=r["id"], title=r.get("title") or r["id"], severity=r.get("severity") or "low",
            playbook=r.get("playbook") or "", status=status, opened_at=opened.astimezone(period.tz),
            ack_seconds=(acked - opened).total_seconds() if acked else None,
            acked_by=r.get("acked_by") if acked else None,
            done_seconds=(done_at - opened).total_seconds() if done_at else None, done_how=how))
    lines.sort(key=lambda line: (line.opened_at, line.id))
    lines = [replace(line, number=i + 1) for i, line in enumerate(lines)]
    acks = [line.ack_seconds for line in lines if line.ack_seconds is not None]
    dones = [line.done_seconds for line in lines if line.done_seconds is not None]
    return IncidentSummary(
        lines=tuple(lines), opened_before=opened_before, still_open=still_open,
        acknowledged=len(acks), median_ack_seconds=statistics.median(acks) if acks else None,
        done=len(dones), median_done_seconds=statistics.median(dones) if dones else None)



def most_severe(lines: Sequence[IncidentLine], n: int) -> list[IncidentLine]:
    """The `n` most severe incidents (earliest first among equals), shown in time order."""
    chosen = sorted(lines, key=lambda line: (-SEVERITY_RANK.get(line.severity, 0), line.opened_at))[:n]
    return sorted(chosen, key=lambda line: line.number)


# --- responses --------------------------------------------------------------------------------

def response_figures(pairs: FirstResponses | None, period: Period, previous: Period, now: datetime,
                     metrics: MetricsConfig, facebook: FacebookLabel | None) -> ResponseFigures:
    targets = {name: (metrics.target_for(name).seconds, metrics.target_for(name).business)
               for name in ("public", "dm", "email", "review")}
    if pairs is None or len(pairs) == 0:
        return ResponseFigures(ResponseStats(), ResponseStats(), {}, targets, facebook)
    report = report_from_pairs(pairs, now, metrics, since=period.start, until=period.end)
    before = report_from_pairs(pairs, now, metrics, since=previous.start, until=previous.end)
    return ResponseFigures(report.total, before.total, dict(report.by_platform), targets, facebook)


def facebook_label(rows: CompactRows | MessageColumns, now: datetime,
                   rules: ResponsivenessRules | None = None) -> FacebookLabel | None:
    """Facebook's inbox label as customers see it at `now`, and whether waiting messages
    threaten it; None when the Page's inbox has no counted message yet.

    `rows` are the inbox messages up to `now` with their row ids: compact rows
    (`Store.digest_inbox_rows`) or columns (`Store.digest_inbox_columns`).
    """
    rules = rules or ResponsivenessRules()
    if isinstance(rows, MessageColumns):
        pairs = first_responses_from_columns(rows, rules.silence)
        row_ids = rows.store_rows
    else:
        pairs = first_responses_from_rows(rows, rules.silence)
        row_ids = np.fromiter((row[4] for row in rows.rows), dtype=np.int64, count=len(rows))
    openers = np.flatnonzero(pairs.opener)
    counted = list(zip(pairs.ts[openers].tolist(), pairs.answer[openers].tolist(),
                       row_ids[pairs.row[openers]].tolist(), ((pairs.flags[openers] & PUBLIC) != 0).tolist()))
    shown, forecast = label_and_forecast(counted, now, rules)
    if shown.inbox.counted == 0:
        return None
    seconds = shown.inbox.response_seconds
    return FacebookLabel(
        label=shown.label, response_minutes=None if seconds is None else seconds / 60,
        response_rate=shown.inbox.response_rate, counted=shown.inbox.counted,
        very_responsive=shown.very_responsive, at_risk=forecast.at_risk, drops_to=forecast.drops_to,
        reply_within_seconds=forecast.reply_within_seconds, waiting=len(forecast.waiting_ids))


WaitingRow = tuple[int, float, bool]  # row id, seconds waited, acknowledged by an auto-reply


def waiting_rows(row_ids: np.ndarray, pairs: FirstResponses, now: datetime, days: float = WAITING_DAYS,
                 cap: int = 20000) -> list[WaitingRow]:
    """Customer messages of the last `days` without an answer at `now`, oldest first.

    `row_ids` are the store row ids of the paired messages (`MessageColumns.store_rows`).
    """
    at = now.timestamp()
    with np.errstate(invalid="ignore"):
        open_ = ~(pairs.answer <= at)
        acked = pairs.ack <= at
    keep = np.flatnonzero(open_ & (pairs.ts <= at) & (pairs.ts >= at - days * 86400))
    keep = keep[np.argsort(pairs.ts[keep], kind="stable")][:cap]
    rows = row_ids[pairs.row[keep]].tolist()
    return [(rowid, at - float(pairs.ts[i]), bool(acked[i])) for rowid, i in zip(rows, keep.tolist())]


def waiting_section(rows: Sequence[WaitingRow], counts: Sequence[tuple[str, int]],
                    examples: Mapping[int, Example], limit: int = 10) -> Waiting:
    """What still waits for an answer: how many per platform and the oldest `limit`
    (`examples` are those that need an answer, `Store.digest_waiting`)."""
    items = [WaitingItem(*examples[rowid], waited, acked) for rowid, waited, acked in rows
             if rowid in examples][:limit]
    return Waiting(sum(n for _, n in counts), dict(counts), tuple(items))
