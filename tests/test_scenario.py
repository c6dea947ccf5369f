"""The demo story must tell both webcare cases faithfully, and the traffic stream must be valid."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import pytest

from webcare import scenario
from webcare.models import Message
from webcare.scenario import (
    CUSTOMER_IDENTITIES, CUSTOMER_NAME, CUSTOMER_REFUSAL_AT, CUSTOMER_REFUSAL_ID, DEMO_PATH,
    DEMO_SEED, EVENT_DAY, LEGAL_MESSAGE_ID, PRESS_MESSAGE_ID, SAFETY_MESSAGE_ID, STATEMENT_AT,
    STORM_ONSET, generate_demo, generate_traffic,
)


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    return generate_demo(DEMO_SEED)


@pytest.fixture(scope="module")
def demo(raw) -> list[Message]:
    return [Message.from_dict(d) for d in raw]


def _inbound(demo):
    return [m for m in demo if not m.from_brand]


# ---------------------------------------------------------------- format and file
def test_every_committed_line_parses_and_round_trips():
    lines = DEMO_PATH.read_text(encoding="utf-8").splitlines()
    assert 1500 <= len(lines) <= 3000
    for number, line in enumerate(lines, 1):
        data = json.loads(line)
        message = Message.from_dict(data)
        assert message.to_dict() == data, f"line {number} does not round-trip"


def test_committed_file_is_the_generators_output():
    assert DEMO_PATH.read_text(encoding="utf-8") == scenario.dumps_jsonl(generate_demo(DEMO_SEED)), (
        "webcare/data/demo.jsonl is stale: run python -m webcare.scenario --out webcare/data/demo.jsonl")


def test_main_writes_the_demo_file(tmp_path):
    out = tmp_path / "demo.jsonl"
    assert scenario.main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == DEMO_PATH.read_text(encoding="utf-8")


def test_generation_is_deterministic_and_seeded(raw):
    assert generate_demo(DEMO_SEED) == raw
    assert generate_demo(DEMO_SEED + 1) != raw


def test_sorted_unique_and_replies_point_backwards(demo):
    times = [m.created_at for m in demo]
    assert times == sorted(times)
    assert len({m.key for m in demo}) == len(demo)
    seen: dict[tuple[str, str], Message] = {}
    for m in demo:
        if m.in_reply_to:
            target = seen.get((m.platform, m.in_reply_to))
            assert target is not None, f"{m.uid} answers an unknown or later message"
            assert target.created_at <= m.created_at
        seen[m.key] = m


def test_offsets_follow_amsterdam_summer_time(raw):
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        ams = zoneinfo.ZoneInfo("Europe/Amsterdam")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no tz database")
    offsets = Counter()
    for d in raw:
        at = datetime.fromisoformat(d["created_at"])
        assert at.utcoffset() == at.astimezone(ams).utcoffset(), d["created_at"]
        offsets[d["created_at"][-6:]] += 1
    assert offsets["+02:00"] and offsets["+01:00"], "the story spans the end of summer time"
    assert CUSTOMER_REFUSAL_AT.utcoffset() == timedelta(hours=1)


def test_channels_look_like_their_platforms(demo):
    for m in demo:
        assert m.public == (m.platform in ("facebook", "x", "instagram")), m.uid
        assert (m.url is not None) == m.public, m.uid
        if m.platform == "x":
            assert len(m.text) <= 280, m.uid
            assert m.author.followers is not None and m.lang in ("nl", "en")
        if m.automated:
            assert m.from_brand
    assert sum(1 for m in demo if m.platform == "x" and m.author.followers >= 50_000) >= 2
    langs = Counter(m.lang for m in demo if m.platform == "x" and not m.from_brand)
    assert langs["en"] >= 0.04 * sum(langs.values())


# ---------------------------------------------------------------- the baseline
def test_baseline_is_quiet_with_a_daily_rhythm(demo):
    base = [m for m in demo if scenario.BASELINE_START <= m.created_at < scenario.amsterdam(datetime(2026, 10, 4))]
    per_day = Counter(m.created_at.date() for m in base)
    assert len(per_day) == 6 and all(20 <= n <= 70 for n in per_day.values()), per_day
    night = sum(1 for m in base if m.created_at.hour < 6 and not m.from_brand)
    day = sum(1 for m in base if 9 <= m.created_at.hour < 22 and not m.from_brand)
    assert night * 8 < day
    # the team is responsive in a normal week: most questions get a real answer within ~2 hours
    answered = {m.in_reply_to: m for m in base if m.from_brand and not m.automated and m.in_reply_to}
    assert len(answered) >= 0.3 * sum(1 for m in base if not m.from_brand)


# ---------------------------------------------------------------- the storm
def test_event_day_complaints_dwarf_the_baseline(demo):
    hourly = Counter(m.created_at.replace(minute=0, second=0) for m in _inbound(demo))
    baseline_peak = max(n for h, n in hourly.items() if h < STORM_ONSET.replace(hour=0, minute=0))
    storm_peak_hour, storm_peak = max(((h, n) for h, n in hourly.items() if h.date() == EVENT_DAY),
                                      key=lambda x: x[1])
    assert storm_peak >= 100 and storm_peak >= 15 * baseline_peak
    assert STORM_ONSET < storm_peak_hour < STORM_ONSET + timedelta(hours=5)
    # a flood builds up within minutes, but is not a wall at once
    first_ten = [m for m in _inbound(demo) if STORM_ONSET <= m.created_at < STORM_ONSET + timedelta(minutes=10)]
    assert 3 <= len(first_ten) <= 15
    # and it tails off over the next day
    assert hourly[STORM_ONSET.replace(hour=14, minute=0) + timedelta(days=2)] < storm_peak / 10


def test_storm_onset_is_the_first_complaint_on_the_brand_page(demo):
    first = next(m for m in _inbound(demo) if m.created_at >= STORM_ONSET)
    assert first.created_at == STORM_ONSET
    assert first.platform == "facebook" and first.kind == "comment"
    assert "start" in first.text.lower()


def test_participants_flood_the_brands_own_cheerful_posts(demo):
    race_posts = {m.id: m for m in demo if m.platform == "facebook" and m.kind == "post"
                  and m.created_at.date() == EVENT_DAY}
    assert any("Wat een sfeer" in p.text for p in race_posts.values())
    assert any(p.created_at > STORM_ONSET + timedelta(hours=2) for p in race_posts.values())
    on_page = [m for m in _inbound(demo) if m.conversation_id in race_posts]
    assert len(on_page) >= 500
    assert sum(1 for m in on_page if m.in_reply_to not in race_posts) >= 50  # threads under comments


def test_brand_stays_silent_until_its_generic_statement(demo):
    silent = [m for m in demo if m.from_brand and not m.automated and m.in_reply_to
              and STORM_ONSET <= m.created_at < STATEMENT_AT]
    assert silent == []
    statement = [m for m in demo if m.from_brand and m.kind == "post" and m.created_at == STATEMENT_AT]
    assert statement and "betreuren" in statement[0].text
    assert STATEMENT_AT - STORM_ONSET > timedelta(hours=30)


def test_single_signals_are_present(demo):
    by_id = {m.id: m for m in demo}
    safety, press, legal = by_id[SAFETY_MESSAGE_ID], by_id[PRESS_MESSAGE_ID], by_id[LEGAL_MESSAGE_ID]
    assert "ambulance" in safety.text and "flauw" in safety.text and safety.platform == "facebook"
    assert "artikel" in press.text and press.author.followers >= 10_000
    assert "advocaat" in legal.text and "Consumentenbond" in legal.text
    for m in (safety, press, legal):
        assert STORM_ONSET < m.created_at < STATEMENT_AT and not m.from_brand
    # the lawyer is a single signal, not a chorus
    assert sum("advocaat" in m.text for m in demo) == 1


# ---------------------------------------------------------------- the customer nobody answers
def test_customer_tries_six_times_on_several_channels_and_gets_only_auto_replies(demo):
    identities = set(CUSTOMER_IDENTITIES)
    contacts = [m for m in demo if (m.platform, m.author.id) in identities and not m.from_brand]
    assert len(contacts) == 6
    assert {m.author.name for m in contacts} == {CUSTOMER_NAME}
    assert len({m.platform for m in contacts}) >= 3
    assert contacts[-1].created_at - contacts[0].created_at >= timedelta(days=21)
    assert contacts[0].created_at < STORM_ONSET
    ids = {m.id for m in contacts}
    answers = [m for m in demo if m.from_brand and m.in_reply_to in ids]
    refusal = answers[-1]
    assert refusal.id == CUSTOMER_REFUSAL_ID and not refusal.automated
    assert refusal.created_at == CUSTOMER_REFUSAL_AT > contacts[-1].created_at
    assert all(m.automated for m in answers[:-1])
    assert len(answers) == 7  # one auto-reply per attempt, then the refusal


# ---------------------------------------------------------------- bulk traffic
def test_traffic_yields_n_unique_valid_messages_in_time_order():
    stream = list(generate_traffic(20_000, seed=3))
    assert len(stream) == 20_000
    messages = [Message.from_dict(d) for d in stream]
    assert len({m.key for m in messages}) == len({m.uid for m in messages}) == 20_000
    times = [m.created_at for m in messages]
    assert times == sorted(times)
    seen = set()
    for m in messages:
        if m.in_reply_to:
            assert m.in_reply_to in seen
        seen.add(m.id)


def test_traffic_is_a_realistic_mix():
    messages = [Message.from_dict(d) for d in generate_traffic(20_000, seed=5)]
    platforms = Counter(m.platform for m in messages)
    assert len(platforms) >= 6
    public = sum(m.public for m in messages) / len(messages)
    assert 0.6 < public < 0.9
    brand = [m for m in messages if m.from_brand]
    assert 0.05 < len(brand) / len(messages) < 0.3
    assert any(m.automated for m in brand) and any(m.in_reply_to and not m.automated for m in brand)
    langs = Counter(m.lang for m in messages if m.lang)
    assert langs["en"] > 0.1 * langs["nl"]
    assert len({m.text for m in messages}) > 2_000
    assert any("!" in m.text for m in messages) and any("🙄" in m.text for m in messages)
    by_hour = Counter(m.created_at.hour for m in messages)
    assert by_hour[20] > 2 * by_hour[4]


def test_traffic_is_deterministic_per_seed():
    assert list(generate_traffic(500, seed=9)) == list(generate_traffic(500, seed=9))
    assert list(generate_traffic(500, seed=9)) != list(generate_traffic(500, seed=10))
