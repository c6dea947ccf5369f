"""Storm detection against a learned baseline: quiet on normal weeks, fast on real storms."""

import random
from datetime import datetime, timedelta, timezone

import pytest

from webcare.engine import Engine
from webcare.models import Score
from webcare.playbooks import load_dir
from webcare.scenario import poisson

from conftest import msg

NEG = Score("nl", -0.7, "neg", "complaint", True, 0.9, 0.5)
NEU = Score("nl", 0.1, "neu", "question", False, 0.0, 0.1)
CEST = timezone(timedelta(hours=2))
START = datetime(2026, 9, 7, 0, 0, tzinfo=CEST)  # a Monday


def rhythm(at: datetime) -> float:
    """Messages per hour: quiet nights, busy evenings."""
    return [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 6, 8, 9, 9, 10, 10, 9, 9, 10, 12, 14, 14, 12, 8, 5, 2][at.hour]


def normal_traffic(days: int, seed: int, busy_monday: float = 2.5, neg_share: float = 0.15, scale: float = 1.0):
    rng = random.Random(seed)
    at, n = START, 0
    while at < START + timedelta(days=days):
        rate = rhythm(at) * scale * (busy_monday if at.weekday() == 0 and at >= START + timedelta(days=7) else 1)
        for _ in range(poisson(rng, rate / 60)):
            n += 1
            neg = rng.random() < neg_share
            yield msg(f"n{n}", at=at + timedelta(seconds=rng.randrange(60)), author=f"p{rng.randrange(5000)}",
                      platform=rng.choice(["facebook", "x"])), (NEG if neg else NEU)
        at += timedelta(minutes=1)



def run(stream, sensitivity="balanced"):
    engine = Engine([b for b in load_dir(None) if b.name == "complaint-storm"], sensitivity)
    state = engine.new_state()
    alerts, tick = [], None
    for m, s in sorted(stream, key=lambda p: p[0].created_at):
        now = m.created_at
        if tick is None:
            tick = now.replace(second=0, microsecond=0)
        while tick + timedelta(minutes=1) <= now:
            tick += timedelta(minutes=1)
            alerts += engine.on_tick(state, tick)
        alerts += engine.on_message(state, m, s, max(now, tick))
    return [a for a in alerts if a.kind == "open"]


# (seed 3 at scale 4 draws 12 complaints among 18 messages in half an hour, p ~ 1e-6: a real
# anomaly that the detector rightly reports, so it is not used as "normal" traffic here)
@pytest.mark.parametrize("seed", [1, 2, 4])
@pytest.mark.parametrize("scale", [0.3, 1.0, 4.0])
def test_two_weeks_of_normal_traffic_with_a_busy_monday_raise_nothing(seed, scale):
    assert run(normal_traffic(15, seed, scale=scale)) == []


def storm(onset: datetime, per_10_min: float, minutes: int, seed: int, platform="facebook"):
    """A steady flood: `per_10_min` complaints every ten minutes, each at a random moment of its slot."""
    rng = random.Random(seed)
    slot = 600 / per_10_min
    for i in range(int(minutes * 60 / slot)):
        at = onset + timedelta(seconds=slot * i + rng.uniform(0, slot))
        yield msg(f"s{onset:%d%H%M}-{i}", at=at, author=f"angry{rng.randrange(10_000)}", platform=platform), NEG


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("onset_hour", [3, 11, 19])
def test_a_storm_is_caught_within_ten_minutes_at_any_hour(seed, onset_hour):
    onset = START + timedelta(days=9, hours=onset_hour)
    stream = list(normal_traffic(12, seed)) + list(storm(onset, per_10_min=8, minutes=120, seed=seed))
    opens = run(stream)
    assert opens, "storm not detected"
    assert onset <= opens[0].at <= onset + timedelta(minutes=10)
    assert "normally about" in opens[0].text


def test_quiet_start_two_angry_tweets_at_night_are_not_a_storm():
    night = START.replace(hour=2)
    stream = [(msg("a", at=night, platform="x"), NEG), (msg("b", at=night + timedelta(minutes=3), platform="x"), NEG)]
    assert run(stream) == []


def test_a_storm_on_day_one_is_caught_without_history():
    onset = START + timedelta(hours=14)
    stream = list(normal_traffic(1, 4)) + list(storm(onset, per_10_min=8, minutes=60, seed=9))
    opens = run(stream)
    assert opens and opens[0].at <= onset + timedelta(minutes=10)


def test_a_busy_brand_needs_a_bigger_surge():
    onset = START + timedelta(days=9, hours=13)
    big = list(normal_traffic(12, 5, scale=8.0))  # ~6 complaints an hour per platform at midday
    assert run(big + list(storm(onset, per_10_min=0.5, minutes=60, seed=3))) == []
    assert run(big + list(storm(onset, per_10_min=12, minutes=60, seed=3)))


def test_planned_event_keywords_are_watched_with_a_lower_threshold():
    from webcare.playbooks import parse

    problems = []
    book = parse({"name": "storm", "trigger": "storm", "match": {"public": True, "negative_or_complaint": True},
                  "storm": {"events": [{"name": "race", "keywords": ["#zuiderloop"], "min_count": 3,
                                        "start": "2026-09-20T08:00:00+02:00", "end": "2026-09-20T17:00:00+02:00"}]}},
                 "t.toml", problems)
    assert not problems
    engine = Engine([book])
    state = engine.new_state()
    t = datetime(2026, 9, 21, 9, 0, tzinfo=CEST)  # the morning after: inside the watch window
    alerts = []
    for i in range(3):
        m = msg(f"e{i}", "Nog steeds geen uitslag #Zuiderloop", at=t + timedelta(minutes=i), author=f"r{i}")
        alerts += engine.on_message(state, m, NEG, m.created_at)
    assert [a.title for a in alerts] == ["Complaint storm on event race: 3 in 60 min"]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6, 7, 8])
def test_a_busy_brand_started_mid_morning_sees_no_storm_in_its_ordinary_complaints(seed):
    """A third of a busy brand's mentions complain (about 40 an hour from 10:00): started for the
    first time at 10:00, with nothing learned, webcare must not call its normal a storm. (Seed 2
    did, at 12:40, two hours after the start: 25 complaints
    against 24 other mentions looked like a storm against the learned 0.27; half is now assumed
    for the first six learned hours, not two.)"""
    start = START + timedelta(hours=10)
    first_hours = [(m, s) for m, s in normal_traffic(1, seed, neg_share=1 / 3, scale=12)
                   if start <= m.created_at < start + timedelta(hours=3)]
    assert sum(s is NEG for _, s in first_hours) > 100
    assert run(first_hours) == []


@pytest.mark.parametrize("seed", [1, 2])
def test_a_storm_in_the_first_hour_of_a_first_start_is_still_caught(seed):
    """webcare is often installed during a crisis: a flood on the first day still alerts at once."""
    quiet = list(normal_traffic(1, seed, scale=0.5))
    onset = START + timedelta(hours=11, minutes=10)
    opened = run(quiet + list(storm(onset, per_10_min=12, minutes=40, seed=seed)))
    assert opened and opened[0].at - onset <= timedelta(minutes=10)
