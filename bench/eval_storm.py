"""The complaint-storm trigger on real volume curves: CrisisLexT26's 25 crisis timelines.

    python bench/eval_storm.py [--events NAME,...] [--days-after 7] [--jobs 2] [--json OUT]

CrisisLexT26 (../shared/data/crisislex_t26, not shipped) holds, per crisis event, the timestamp
of every tweet collected about it: real volume curves, instantaneous (train crashes,
explosions) and progressive (floods), with a known onset: the first tweet. For each event:

1. two weeks of ordinary brand traffic before the onset and `--days-after` days after it
   (`background`, seeded): a daily rhythm in Europe/Amsterdam time, weekday differences, a
   random factor per day, public mentions on x, comments under the brand's Facebook posts,
   Instagram comments, Messenger DMs, brand replies; a quarter of the public customer
   messages negative or complaining (the rest neutral, questions, praise). The brand's normal
   volume of *matching* messages (public, negative or complaint) on x goes 1, 3, 8, 20, 60 an
   hour across the events in turn, so both a quiet and a busy brand are tested.
2. every tweet of the event's `*-tweetids_entire_period.csv` (Included Y and N), at its real
   time (the background is dated so that its two weeks end at the first tweet), overlaid as a
   public negative complaint mention on x: all of them ("x1", unscaled) and sub-sampled, seeded,
   so that the peak hour holds about 100 messages like a brand storm ("1/k": 1 in k kept;
   events peaking below 100 an hour are the same in both and run once).
3. everything through the real engine with every bundled playbook (Engine(load_dir(None))) on
   a simulated clock with a tick every minute, driven exactly as bench/bench_engine.py does;
   scores are built directly (the overlay 'neg' + complaint, the background a realistic mix),
   so the classifier plays no part. The engine state at the onset is copied, so the x1 and the
   scaled overlay continue from the same history.

Columns, in time from the onset: when the event's own messages in the trailing 60 minutes
first reached 3x and 10x the brand's background (its measured mean matching messages per hour
on x over the two weeks); the first complaint-storm alert on x (open or update) at a moment
when event messages are at least half of the matching ones of the last hour (so background
noise does not count as a detection) and its delay after 3x and 10x; storm incidents opened on x
in the 24 h from the first alert's incident / in the whole run (and updates); storm incidents on
any platform during the two background weeks (false alarms). "peers" is the yardstick measured
in the same run on the same messages: the naive rule "matching messages in the last hour >= 3x
the hourly mean of the 12 hours before it, and >= the playbook's min_count", checked every
minute, attributed to the event the same way; its false alarms are firing episodes (2 h of
silence ends one) in the background weeks.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import math
import random
import statistics
import sys
import time
from bisect import bisect_left, bisect_right
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from webcare.engine import Engine
from webcare.models import Author, Message, Score
from webcare.playbooks import load_dir
from webcare.scenario import poisson

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "crisislex_t26"
STORM = "complaint-storm"
PLATFORM = "x"
LEVELS = (1, 3, 8, 20, 60)  # matching messages per hour on x, given to the events in turn
SCALED_PEAK = 100  # the scaled overlay's peak hour holds about this many messages
BACKGROUND_DAYS = 14
HOUR = 3600.0
TZ = ZoneInfo("Europe/Amsterdam")

# Daily rhythm (local hour) and weekday factors, each normalised to a mean of 1.
_HOURLY = [0.25, 0.15, 0.1, 0.08, 0.08, 0.15, 0.4, 0.9, 1.4, 1.6, 1.6, 1.5,
           1.5, 1.5, 1.4, 1.4, 1.5, 1.6, 1.7, 1.8, 1.7, 1.3, 0.9, 0.5]
HOURLY = [h * 24 / sum(_HOURLY) for h in _HOURLY]
_WEEKLY = [1.15, 1.05, 1.0, 1.0, 0.95, 0.8, 0.75]
WEEKLY = [w * 7 / sum(_WEEKLY) for w in _WEEKLY]
MATCHING_SHARE = 0.25  # of public customer messages: negative (0.18) or a neutral complaint (0.07)
# Other channels, relative to the volume of public customer messages on x.
CHANNELS = (("x", "mention", True, 1.0), ("facebook", "comment", True, 0.2),
            ("instagram", "comment", True, 0.05), ("messenger", "dm", False, 0.08))
REPLY_SHARE = 0.3  # of customer messages (other than plain neutral ones) the brand answers

EVENT_SCORE = Score("en", -0.62, "neg", "complaint", True, 0.9, 0.45)
_SCORES = {  # (language, label) -> the score a background message gets
    (lang, kind): s for lang in ("nl", "en") for kind, s in (
        ("neg_complaint", Score(lang, -0.55, "neg", "complaint", True, 0.85, 0.4)),
        ("neg", Score(lang, -0.4, "neg", "other", False, 0.2, 0.25)),
        ("neu_complaint", Score(lang, 0.0, "neu", "complaint", True, 0.7, 0.3)),
        ("question", Score(lang, 0.05, "neu", "question", False, 0.1, 0.2)),
        ("neu", Score(lang, 0.0, "neu", "other", False, 0.05, 0.1)),
        ("pos", Score(lang, 0.6, "pos", "praise", False, 0.0, 0.05)))}
_TEXTS = {"neg_complaint": "Weer geen reactie, dit is echt slecht", "neg": "Jammer dit",
          "neu_complaint": "Mijn bestelling is nog steeds niet binnen", "question": "Hoe laat openen jullie?",
          "neu": "Ik zag jullie bericht", "pos": "Top geregeld, dank!"}
EVENT_TEXT = "This is a disgrace, nobody tells us anything"


# --- the real curves ----------------------------------------------------------------------
@dataclass(frozen=True)
class Curve:
    name: str
    development: str  # Instantaneous | Progressive
    times: tuple[float, ...]  # UTC epoch seconds, sorted

    @property
    def onset(self) -> float:
        return self.times[0]

    def peak_hour(self) -> int:
        return max_in_window(self.times, HOUR)


def events(data: Path = DATA) -> list[str]:
    return sorted(p.parent.name for p in data.glob("*/*-tweetids_entire_period.csv"))


def load_curve(name: str, data: Path = DATA) -> Curve:
    folder = data / name
    with open(folder / f"{name}-tweetids_entire_period.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, skipinitialspace=True))[1:]
    times = sorted(datetime.strptime(r[0], "%a %b %d %H:%M:%S %z %Y").timestamp() for r in rows if r)
    description = json.loads((folder / f"{name}-event_description.json").read_text(encoding="utf-8"))
    return Curve(name, description["time"]["development"], tuple(times))


def max_in_window(times, width: float) -> int:
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - width:
            j += 1
        best = max(best, i - j + 1)
    return best


def first_reaching(times, count: float, width: float = HOUR) -> float | None:
    """The first moment at which `times` holds at least `count` entries in the trailing window."""
    need = max(1, math.ceil(count))
    j = 0
    for i, t in enumerate(times):
        while times[j] <= t - width:
            j += 1
        if i - j + 1 >= need:
            return t
    return None


def scale_factor(curve: Curve) -> int:
    return max(1, round(curve.peak_hour() / SCALED_PEAK))


def overlay(curve: Curve, factor: int, seed: int, until: float) -> list[tuple[Message, Score]]:
    """The event's tweets (1 in `factor`, seeded) as public negative complaint mentions on x."""
    rng = random.Random(seed)
    out = []
    for i, t in enumerate(curve.times):
        if t > until:
            break
        if factor > 1 and rng.random() * factor >= 1:
            continue
        at = datetime.fromtimestamp(t, timezone.utc)
        out.append((Message(PLATFORM, f"ev{i}", "mention", True, Author(f"evu{i}", f"Person {i}"),
                            EVENT_TEXT, at), EVENT_SCORE))
    return out


# --- ordinary brand traffic ---------------------------------------------------------------
def background(start: float, end: float, level: float, seed: int) -> list[tuple[Message, Score]]:
    """Seeded brand traffic from `start` to `end` (epoch seconds) with `level` matching messages
    (public, negative or complaint) per hour on x on average; sorted by time."""
    rng = random.Random(seed)
    out: list[tuple[Message, Score]] = []
    public_x = level / MATCHING_SHARE  # public customer messages per hour on x
    people = max(500, int(level * 100))
    day_factor: dict[int, float] = {}
    posts: list[str] = []
    n = 0
    t = start - start % 60
    while t < end:
        local = datetime.fromtimestamp(t, TZ)
        day = local.toordinal()
        if day not in day_factor:
            day_factor[day] = math.exp(rng.gauss(0, 0.15))
            # the brand posts on Facebook a few times a day; comments hang under the latest
            for _ in range(rng.randint(1, 3)):
                n += 1
                at = t + rng.uniform(8, 20) * HOUR - local.hour * HOUR
                if start <= at < end:
                    out.append((Message("facebook", f"post{n}", "post", True, Author("brand_fb", "Brand"),
                                        "Goedemorgen!", _utc(at), from_brand=True), _SCORES[("nl", "pos")]))
                    posts.append(f"post{n}")
        rate = public_x * HOURLY[local.hour] * WEEKLY[local.weekday()] * day_factor[day] / 60
        for platform, kind, public, share in CHANNELS:
            for _ in range(poisson(rng, rate * share)):
                n += 1
                at = t + rng.random() * 60
                p = int(rng.random() ** 2 * people)  # a few people write a lot
                lang = "en" if p % 5 == 0 else "nl"
                r = rng.random()
                label = ("neg_complaint" if r < 0.126 else "neg" if r < 0.18 else "neu_complaint" if r < 0.25
                         else "question" if r < 0.45 else "neu" if r < 0.6 else "pos")
                mid = f"{platform[:2]}{n}"
                conv = posts[-1] if kind == "comment" and platform == "facebook" and posts else mid
                # one-word names: repeat-contact links two-word names across channels and would track
                # thousands of synthetic people there, which costs time and tests nothing here
                out.append((Message(platform, mid, kind, public, Author(f"{platform[:2]}u{p}", f"klant{p}"),
                                    _TEXTS[label], _utc(at), conversation_id=conv), _SCORES[(lang, label)]))
                if label != "neu" and rng.random() < REPLY_SHARE:
                    reply = at + rng.uniform(5, 180) * 60
                    if reply < end:
                        n += 1
                        out.append((Message(platform, f"re{n}", "dm" if not public else kind, public,
                                            Author(f"brand_{platform}", "Brand"), "Sorry, we kijken ernaar",
                                            _utc(reply), conversation_id=conv, in_reply_to=mid, from_brand=True),
                                    _SCORES[(lang, "neu")]))
        t += 60
    out.sort(key=lambda pair: pair[0].created_at)
    return out


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, timezone.utc)


# --- the run ------------------------------------------------------------------------------
class Peers:
    """The naive yardstick: last hour >= 3x the hourly mean of the 12 hours before it (and at
    least the playbook's min_count), checked at every minute tick."""

    def __init__(self, min_count: int):
        self.min_count = min_count
        self.times: deque[float] = deque()
        self.last_fire = -1e18
        self.episodes: list[float] = []  # starts of firing episodes (2 h of silence ends one)
        self.firing: list[float] = []  # every minute it fired (kept only while `record`)
        self.record = False

    def add(self, t: float) -> None:
        self.times.append(t)

    def tick(self, t: float) -> None:
        times = self.times
        while times and times[0] <= t - 13 * HOUR:
            times.popleft()
        last_hour = len(times) - bisect_right(times, t - HOUR)
        before = len(times) - last_hour
        if last_hour >= self.min_count and last_hour >= 3 * before / 12:
            if t - self.last_fire > 2 * HOUR:
                self.episodes.append(t)
            self.last_fire = t
            if self.record:
                self.firing.append(t)


@dataclass
class Run:
    engine: Engine
    state: object
    peers: Peers
    tick: datetime
    storm_alerts: list = field(default_factory=list)
    messages: int = 0
    ticks: int = 0


def start_run(first: datetime) -> Run:
    engine = Engine(load_dir(None))
    book = engine.by_name[STORM]
    return Run(engine, engine.new_state(), Peers(book.options.min_count), first.replace(second=0, microsecond=0))


def feed(run: Run, stream, until: datetime) -> None:
    """Drive the engine as bench/bench_engine.py does: a tick every simulated minute, then each
    message at max(tick, created_at); finally tick on to `until`."""
    engine, state, peers = run.engine, run.state, run.peers
    match = engine.by_name[STORM].match
    step = timedelta(minutes=1)
    tick = run.tick
    out = run.storm_alerts
    for m, s in stream:
        while tick + step <= m.created_at:
            tick += step
            run.ticks += 1
            out += [a for a in engine.on_tick(state, tick) if a.playbook == STORM]
            peers.tick(tick.timestamp())
        out += [a for a in engine.on_message(state, m, s, max(tick, m.created_at)) if a.playbook == STORM]
        run.messages += 1
        if m.platform == PLATFORM and not m.from_brand and match.accepts(m, s):
            peers.add(m.created_at.timestamp())
    while tick + step <= until:
        tick += step
        run.ticks += 1
        out += [a for a in engine.on_tick(state, tick) if a.playbook == STORM]
        peers.tick(tick.timestamp())
    run.tick = tick


def merge(a, b):
    out = a + b
    out.sort(key=lambda pair: pair[0].created_at)
    return out


@dataclass
class Result:
    event: str
    development: str
    level: int  # the brand's matching messages per hour on x, as generated
    scale: str  # "x1" or "1/k"
    factor: int
    onset: str
    peak_hour: int  # event messages in the busiest 60 minutes simulated, at this scale
    background_per_hour: float  # measured: mean matching messages per hour on x, two weeks
    at_3x: float | None  # minutes after the onset
    at_10x: float | None
    alert: float | None  # minutes after the onset: first storm alert on x that is the event's
    incidents: int  # storm incidents opened on x after the onset
    updates: int
    incidents_first_day: int  # of them, opened in the 24 h from the opening of the first alert's incident
    # storm incidents opened (any platform) in the two background weeks: hours into the history,
    # platform, what the alert said
    false_alarm_list: list[tuple[float, str, str]]
    other_after_onset: int  # storm incidents on other platforms after the onset
    peers: float | None  # minutes after the onset: the naive rule first fired for the event
    peers_false_alarm_hours: list[float]  # its firing episodes in the background weeks (x only)
    messages: int
    seconds: float
    timeline: list = field(default_factory=list)  # (minutes after onset, kind, incident, title) on x

    @property
    def false_alarms(self) -> int:
        return len(self.false_alarm_list)

    @property
    def peers_false_alarms(self) -> int:
        return len(self.peers_false_alarm_hours)

    def delay(self, moment: str, which: str = "alert") -> float | None:
        at, fired = getattr(self, moment), getattr(self, which)
        return None if at is None or fired is None else fired - at


def evaluate(name: str, index: int, days_after: float = 7.0, data: Path = DATA,
             scales: tuple[str, ...] = ("x1", "scaled"), level: int | None = None) -> list[Result]:
    """Run one event at its brand level (LEVELS[index % 5] unless given) and the given scales."""
    started = time.perf_counter()
    curve = load_curve(name, data)
    level = LEVELS[index % len(LEVELS)] if level is None else level
    onset = curve.onset
    start, end = onset - BACKGROUND_DAYS * 86400, onset + days_after * 86400
    seed = 1000 + index
    traffic = background(start, end, level, seed)
    cut = bisect_left([m.created_at.timestamp() for m, _ in traffic], onset)
    before, after = traffic[:cut], traffic[cut:]
    onset_dt = _utc(onset)
    run = start_run(before[0][0].created_at)
    feed(run, before, onset_dt - timedelta(seconds=1))
    match = run.engine.by_name[STORM].match
    bg_x = [m.created_at.timestamp() for m, s in traffic
            if m.platform == PLATFORM and not m.from_brand and match.accepts(m, s)]
    bg_rate = bisect_left(bg_x, onset) / (BACKGROUND_DAYS * 24)
    false = [a for a in run.storm_alerts if a.kind == "open"]
    peers_false = list(run.peers.episodes)
    run.peers.record = True
    on_x = f"Complaint storm on {PLATFORM}:"
    results = []
    # an event already peaking below SCALED_PEAK an hour is the same overlay in both: run once
    factors = sorted({1 if s == "x1" else scale_factor(curve) for s in scales})
    for n, factor in enumerate(factors):
        # every overlay continues from the same engine state at the onset (the last one uses it)
        state, peers, tick = (copy.deepcopy((run.state, run.peers, run.tick)) if n < len(factors) - 1
                              else (run.state, run.peers, run.tick))
        trial = Run(run.engine, state, peers, tick)
        events_ = overlay(curve, factor, seed, end)
        ev = [m.created_at.timestamp() for m, _ in events_]
        feed(trial, merge(after, events_), _utc(end))

        def the_event(t: float) -> bool:
            """At `t`, event messages are at least half of the matching ones of the last hour."""
            n_ev = bisect_right(ev, t) - bisect_right(ev, t - HOUR)
            return n_ev > 0 and n_ev >= bisect_right(bg_x, t) - bisect_right(bg_x, t - HOUR)

        at3, at10 = (first_reaching(ev, k * bg_rate) for k in (3, 10))
        ours = [a for a in trial.storm_alerts if a.at.timestamp() >= onset]
        mine = [a for a in ours if a.title.startswith(on_x)]
        hits = [a for a in mine if a.kind in ("open", "update") and the_event(a.at.timestamp())]
        opens = [a for a in mine if a.kind == "open"]
        first = hits[0].at.timestamp() if hits else None
        opened = next((a.at.timestamp() for a in opens if hits and a.incident == hits[0].incident), first)
        peers_hit = next((t for t in trial.peers.firing if the_event(t)), None)
        minutes = (lambda t: None if t is None else round((t - onset) / 60, 1))
        results.append(Result(
            event=name, development=curve.development, level=level,
            scale="x1" if factor == 1 else f"1/{factor}", factor=factor,
            onset=f"{onset_dt:%Y-%m-%d %H:%M}Z", peak_hour=max_in_window(ev, HOUR),
            background_per_hour=round(bg_rate, 2), at_3x=minutes(at3), at_10x=minutes(at10),
            alert=minutes(first), incidents=len(opens),
            updates=sum(1 for a in mine if a.kind == "update"),
            incidents_first_day=sum(1 for a in opens
                                    if opened is not None and opened <= a.at.timestamp() < opened + 86400),
            false_alarm_list=[(round((a.at.timestamp() - start) / HOUR, 2), a.title.split()[3].rstrip(":"),
                               f"{a.title.split(': ', 1)[1]}, {a.reasons[0].split(', ')[1]}") for a in false],
            other_after_onset=sum(1 for a in ours if a.kind == "open" and not a.title.startswith(on_x)),
            peers=minutes(peers_hit), peers_false_alarm_hours=[round((t - start) / HOUR, 2) for t in peers_false],
            messages=len(before) + len(after) + len(events_), seconds=0.0,
            timeline=[(minutes(a.at.timestamp()), a.kind, a.incident[-6:], a.title) for a in mine]))
    elapsed = time.perf_counter() - started
    for r in results:
        r.seconds = round(elapsed / len(results), 1)
    return results


# --- the report ---------------------------------------------------------------------------
def fmt_minutes(m: float | None) -> str:
    if m is None:
        return "—"
    sign = "-" if m <= -0.5 else ""
    m = abs(m)
    if m < 120:
        return f"{sign}{m:.0f} min"
    return f"{sign}{m / 60:.1f} h"


def table(results: list[Result]) -> str:
    head = ("| event | dev | onset (first tweet) | brand /h | scale | peak /h | 3x | 10x | alert | alert-3x | alert-10x "
            "| incidents 24 h / all (updates) | false alarms | peers | peers-10x | peers false alarms |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        lines.append(
            f"| {r.event} | {r.development[:4].lower()} | {r.onset} | {r.level} | {r.scale} | {r.peak_hour} "
            f"| {fmt_minutes(r.at_3x)} | {fmt_minutes(r.at_10x)} | {fmt_minutes(r.alert)} "
            f"| {fmt_minutes(r.delay('at_3x'))} | {fmt_minutes(r.delay('at_10x'))} "
            f"| {r.incidents_first_day} / {r.incidents} ({r.updates}) | {r.false_alarms} | {fmt_minutes(r.peers)} "
            f"| {fmt_minutes(r.delay('at_10x', 'peers'))} | {r.peers_false_alarms} |")
    return "\n".join(lines)


def summary(results: list[Result]) -> str:
    lines = []
    scaled: dict[str, Result] = {}
    for r in results:  # per event its most sub-sampled run (x1 for events peaking below 100/h)
        if r.event not in scaled or r.factor > scaled[r.event].factor:
            scaled[r.event] = r
    for scale, rows in (("x1", [r for r in results if r.factor == 1]), ("scaled", list(scaled.values()))):
        if not rows:
            continue
        for moment in ("at_10x", "at_3x"):
            reached = [r for r in rows if getattr(r, moment) is not None]
            parts = []
            for who, which in (("webcare", "alert"), ("peers", "peers")):
                fired = [r for r in reached if getattr(r, which) is not None]
                delays = [r.delay(moment, which) for r in fired]
                worst = max(fired, key=lambda r: r.delay(moment, which), default=None)
                parts.append(f"{who} fired in {len(fired)}/{len(reached)}, median {fmt_minutes(_median(delays))}, "
                             f"worst {fmt_minutes(worst.delay(moment, which)) if worst else '—'}"
                             + (f" ({worst.event}, brand {worst.level}/h)" if worst else ""))
            lines.append(f"{scale}, from {moment[3:]} (reached in {len(reached)}/{len(rows)}): " + "; ".join(parts))
        missed = [r.event for r in rows if r.at_10x is not None and r.alert is None]
        if missed:
            lines.append(f"{scale}: reached 10x but no storm alert: {', '.join(missed)}")
    seen: dict[str, Result] = {}
    for r in results:
        seen.setdefault(r.event, r)  # the background weeks are shared by an event's runs
    alarms = [(r, *fa) for r in seen.values() for fa in r.false_alarm_list]
    hours = [fa[1] for fa in alarms]
    peers = [h for r in seen.values() for h in r.peers_false_alarm_hours]
    def buckets(hs):
        return (f"{sum(h < 1 for h in hs)} in the first hour of history, {sum(1 <= h < 24 for h in hs)} in the "
                f"rest of day 1, {sum(24 <= h < 168 for h in hs)} in days 2-7, {sum(h >= 168 for h in hs)} in week 2")
    lines.append(f"false alarms in {2 * len(seen)} background weeks ({len(seen)} events x 2): webcare {len(hours)} "
                 f"storm incidents ({sum(1 for a in alarms if a[2] == PLATFORM)} on {PLATFORM}): {buckets(hours)}; "
                 f"peers' rule (x only) {len(peers)} episodes: {buckets(peers)}")
    for r, h, platform, what in alarms:
        lines.append(f"  {r.event} (brand {r.level}/h): {h:.1f} h into the history, {platform}: {what}")
    elsewhere = sum(r.other_after_onset for r in results)
    lines.append(f"storm incidents on platforms other than {PLATFORM} after the onsets: {elsewhere}")
    return "\n".join(lines)


def _median(values):
    return statistics.median(values) if values else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--events", default="", help="comma-separated event folder names (default: all)")
    ap.add_argument("--days-after", type=float, default=7.0, help="simulate this long after the onset")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", type=Path, help="write the results as JSON here")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"no data at {args.data}", file=sys.stderr)
        return 2
    names = events(args.data)
    index = {n: i for i, n in enumerate(names)}
    chosen = [n for n in args.events.split(",") if n] or names
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        # the busiest brands first, so the two workers finish together
        order = sorted(chosen, key=lambda n: -LEVELS[index[n] % len(LEVELS)])
        futures = {n: pool.submit(evaluate, n, index[n], args.days_after, args.data) for n in order}
        results = [r for n in chosen for r in futures[n].result()]
    print(table(results))
    print()
    print(summary(results))
    total = sum(r.messages for r in results)
    print(f"\n{len(chosen)} events, {total:,} messages through the engine, {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
