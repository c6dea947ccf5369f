"""Facebook's displayed responsiveness, recomputed by the documented rules, and its forecast.

Every expected number below is worked out by hand in the comment next to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from webcare.models import Author, Message
from webcare.responsiveness import (
    Exclusions, ResponsivenessRules, counted_messages, forecast_label, responsiveness,
)

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=timezone.utc)
MIN = 60
HOUR = 3600
DAY = 86400


def say(mid: str, at: datetime, *, conv: str, brand: bool = False, automated: bool = False,
        text: str = "Hallo?", author: str | None = None, public: bool = False,
        reply_to: str | None = None) -> Message:
    who = author or ("anna" if brand else f"cust-{conv}")
    return Message("facebook", mid, "comment" if public else "dm", public, Author(who), text, at,
                   conversation_id=conv, in_reply_to=reply_to, from_brand=brand, automated=automated)


def asked(conv: str, at: datetime, reply_after: float | None = None) -> list[Message]:
    """A customer opens conversation `conv` at `at`; the brand replies after that many seconds."""
    out = [say(f"{conv}-q", at, conv=conv)]
    if reply_after is not None:
        out.append(say(f"{conv}-r", at + timedelta(seconds=reply_after), conv=conv, brand=True, text="Hoi!"))
    return out


def many(delays: list[float | None], last: datetime = NOW - timedelta(hours=1),
         spacing: timedelta = timedelta(hours=2)) -> list[Message]:
    """One conversation per delay, the last one asked at `last`, earlier ones `spacing` apart."""
    out: list[Message] = []
    for i, delay in enumerate(delays):
        out += asked(f"t{i}", last - spacing * (len(delays) - 1 - i), delay)
    return out


def ids(counted) -> list[str]:
    return [uid.split(":", 1)[1] for uid in counted.ids]


# -- counted messages ----------------------------------------------------------------------------


def test_only_the_first_message_after_24_hours_of_silence_either_way_counts():
    t0 = NOW - timedelta(days=5)
    messages = [
        say("c1", t0, conv="a"),                                    # first ever: counted
        say("b1", t0 + timedelta(minutes=10), conv="a", brand=True, text="Hoi"),
        say("c2", t0 + timedelta(hours=5), conv="a"),                # 4h50 after b1: not counted
        say("b2", t0 + timedelta(hours=5, minutes=10), conv="a", brand=True, text="Ok"),
        say("c3", t0 + timedelta(hours=28), conv="a"),               # 22h50 after b2: not counted
        say("c4", t0 + timedelta(hours=60), conv="a"),               # 32 h after c3: counted
    ]
    private, public = counted_messages(messages)
    assert ids(private) == ["c1", "c4"]
    assert public.ts.size == 0


def test_auto_replies_neither_break_the_silence_nor_count_as_the_reply():
    t0 = NOW - timedelta(days=3)
    messages = [
        say("c1", t0, conv="a"),
        say("i1", t0 + timedelta(seconds=2), conv="a", brand=True, automated=True, text="Instant reply"),
        say("t1", t0 + timedelta(minutes=1), conv="a", brand=True,
            text="Bedankt voor je bericht, we reageren zo snel mogelijk."),
        say("r1", t0 + timedelta(hours=2), conv="a", brand=True, text="Je bestelling is onderweg."),
    ]
    figures = responsiveness(messages, NOW).inbox
    assert figures.counted == 1
    assert figures.response_seconds == 2 * HOUR  # the real reply, not the instant or template one


def test_messages_received_while_away_are_not_counted():
    t0 = NOW - timedelta(days=2)
    messages = asked("a", t0, 30 * MIN) + asked("b", t0 + timedelta(hours=3), 10 * MIN)
    away = Exclusions(away=[(t0 - timedelta(minutes=1), t0 + timedelta(hours=1))])
    figures = responsiveness(messages, NOW, exclusions=away).inbox
    assert figures.counted == 1
    assert figures.response_seconds == 10 * MIN


def test_spam_and_conversations_marked_done_are_left_out():
    t0 = NOW - timedelta(days=2)
    messages = asked("a", t0, 5 * MIN) + asked("b", t0, None) + asked("c", t0, 9 * HOUR)
    exclusions = Exclusions(spam={"facebook:b-q"}, done={"c"})
    figures = responsiveness(messages, NOW, exclusions=exclusions).inbox
    assert (figures.counted, figures.replied, figures.not_replied) == (1, 1, 0)
    assert figures.response_seconds == 5 * MIN


def test_public_threads_are_measured_apart_and_do_not_move_the_label():
    t0 = NOW - timedelta(days=2)
    messages = asked("dm", t0, 5 * MIN) + [
        say("p1", t0, conv="post", author="alice", public=True),
        say("p1r", t0 + timedelta(hours=5), conv="post", brand=True, public=True, reply_to="p1", text="Hoi"),
        say("p2", t0 + timedelta(minutes=3), conv="post", author="bob", public=True),
    ]
    result = responsiveness(messages, NOW)
    assert result.label == "within minutes"
    assert result.public.counted == 2  # alice and bob each open a conversation in the thread
    assert result.public.response_seconds == 5 * HOUR
    assert result.public.response_rate == 0.5  # bob has waited over 24 h


# -- window and response time -------------------------------------------------------------------


def test_window_is_the_30_days_before_the_last_counted_message():
    last = NOW - timedelta(hours=1)
    old = asked("old1", last - timedelta(days=70), 10 * HOUR) + asked("old2", last - timedelta(days=31), 10 * HOUR)
    recent = many([5 * MIN] * 11, last=last, spacing=timedelta(days=2))  # 11 within 20 days
    figures = responsiveness(old + recent, NOW).inbox
    assert figures.counted == 11
    assert figures.response_seconds == 5 * MIN
    assert figures.window_start == last - timedelta(days=20)


def test_fewer_than_ten_in_the_window_takes_the_last_ten():
    # 15 counted, 10 days apart: only 4 fall within 30 days of the last (days 0, -10, -20, -30)
    delays = [float(i * MIN) for i in range(1, 16)]
    messages = many(delays, spacing=timedelta(days=10))
    figures = responsiveness(messages, NOW).inbox
    assert figures.counted == 10
    # the last ten replied after 6..15 min; fastest 9 of them: 6..14 -> mean 10 min
    assert figures.response_seconds == 10 * MIN


def test_fewer_than_ten_in_total_takes_them_all():
    messages = many([MIN, 2 * MIN, 3 * MIN], spacing=timedelta(days=40))
    figures = responsiveness(messages, NOW).inbox
    assert figures.counted == 3
    assert figures.response_seconds == 2 * MIN


def test_response_time_is_the_mean_of_the_fastest_90_percent():
    # 10 replies: 1..9 min and 600 min; the slowest floor(10/10) = 1 is dropped: mean 5 min
    last = NOW - timedelta(days=2)  # every reply has happened by now
    ten = many([i * MIN for i in range(1, 10)] + [600 * MIN], last=last)
    assert responsiveness(ten, NOW).inbox.response_seconds == 5 * MIN
    assert responsiveness(ten, NOW).label == "within minutes"
    # 9 replies: nothing is dropped: (1+..+8 + 600) / 9 = 636 / 9 min
    nine = many([i * MIN for i in range(1, 9)] + [600 * MIN], last=last)
    assert responsiveness(nine, NOW).inbox.response_seconds == pytest.approx(636 / 9 * MIN)
    assert responsiveness(nine, NOW).label == "within a few hours"


def test_response_rate_judges_only_messages_past_the_answer_deadline():
    messages = many([5 * MIN] * 8, last=NOW - timedelta(days=3))
    messages += asked("late", NOW - timedelta(days=2), None)   # 2 days without reply: not replied
    messages += asked("fresh", NOW - timedelta(hours=3), None)  # 3 h: still waiting
    figures = responsiveness(messages, NOW).inbox
    assert (figures.replied, figures.not_replied, figures.waiting) == (8, 1, 1)
    assert figures.response_rate == pytest.approx(8 / 9)


def test_label_thresholds_are_configurable():
    messages = many([20 * MIN] * 3)
    assert responsiveness(messages, NOW).label == "within an hour"
    strict = ResponsivenessRules(labels=(("within minutes", 30 * MIN), ("within a day", DAY)))
    assert responsiveness(messages, NOW, rules=strict).label == "within minutes"


# -- the badge ----------------------------------------------------------------------------------------


def test_very_responsive_needs_90_percent_and_15_minutes_over_seven_days():
    fast = many([5 * MIN] * 9, last=NOW - timedelta(days=2), spacing=timedelta(hours=6))
    one_missed = fast + asked("x", NOW - timedelta(days=3), None)      # 9 of 10: 90 %
    two_missed = one_missed + asked("y", NOW - timedelta(days=4), None)  # 9 of 11
    assert responsiveness(fast, NOW).very_responsive
    assert responsiveness(one_missed, NOW).very_responsive
    assert not responsiveness(two_missed, NOW).very_responsive
    slow = many([16 * MIN] * 9, last=NOW - timedelta(days=2), spacing=timedelta(hours=6))
    assert not responsiveness(slow, NOW).very_responsive


def test_badge_looks_only_at_the_past_seven_days():
    old_misses = asked("m1", NOW - timedelta(days=9), None) + asked("m2", NOW - timedelta(days=10), None)
    fast = many([5 * MIN] * 5, last=NOW - timedelta(days=1))
    result = responsiveness(old_misses + fast, NOW)
    assert result.very_responsive
    assert result.badge_window.counted == 5
    assert result.inbox.response_rate == pytest.approx(5 / 7)


# -- the forecast -------------------------------------------------------------------------------------


def test_forecast_names_the_messages_and_the_minutes_left():
    # 5 replies after exactly 60 min: mean 60 min, "within an hour". Three counted messages
    # have waited 40 min. Answered together x seconds from now, the 8 replies (n < 10, none
    # dropped) average (5*3600 + 3*(2400 + x)) / 8, which exceeds 3600 once x > 1200.
    messages = many([HOUR] * 5, last=NOW - timedelta(days=1))
    for name in ("w1", "w2", "w3"):
        messages += asked(name, NOW - timedelta(minutes=40), None)
    forecast = forecast_label(messages, NOW)
    assert forecast.label == "within an hour"
    assert forecast.at_risk
    assert forecast.reply_within_seconds == 1201
    assert forecast.deadline == NOW + timedelta(seconds=1201)
    assert forecast.drops_to == "within a few hours"
    assert sorted(ids_of(forecast.waiting_ids)) == ["w1-q", "w2-q", "w3-q"]
    assert forecast.describe() == (
        "label drops from 'within an hour' to 'within a few hours' "
        "unless these 3 messages get a reply in the next 20 minutes")


def ids_of(uids) -> list[str]:
    return [uid.split(":", 1)[1] for uid in uids]


def test_forecast_with_the_slowest_tenth_dropped():
    # 7 replies after 40 min, 3 waiting for 10, 5 and 0 min. With x: replies 2400 (x7),
    # 600+x, 300+x, x; 10 replies so the slowest (600+x) is dropped:
    # (7*2400 + 300 + 2x) / 9 > 3600  <=>  x > 7650
    messages = many([40 * MIN] * 7, last=NOW - timedelta(days=1))
    for name, age in (("w1", 10), ("w2", 5), ("w3", 0)):
        messages += asked(name, NOW - timedelta(minutes=age), None)
    forecast = forecast_label(messages, NOW)
    assert forecast.label == "within an hour"
    assert forecast.reply_within_seconds == 7651


def test_forecast_when_even_an_immediate_reply_is_too_late():
    # 5 replies after 5 min; one message has waited 3 h: (5*300 + 10800) / 6 = 2050 s > 15 min
    messages = many([5 * MIN] * 5, last=NOW - timedelta(days=1)) + asked("w", NOW - timedelta(hours=3), None)
    forecast = forecast_label(messages, NOW)
    assert forecast.label == "within minutes"
    assert forecast.reply_within_seconds == 0
    assert forecast.drops_to == "within an hour"
    assert "even if this message gets a reply right now" in forecast.describe()


def test_forecast_without_waiting_messages_is_calm():
    forecast = forecast_label(many([20 * MIN] * 4), NOW)
    assert not forecast.at_risk and not forecast.badge_at_risk
    assert forecast.reply_within_seconds is None
    assert forecast.describe() == "label 'within an hour' holds"


def test_forecast_of_the_badge():
    # 5 replies after 5 min in the past week: badge. One message arrives now. Answered after x:
    # (5*300 + x) / 6 > 900 once x > 3900; the label ("within minutes", <= 15 min) drops too.
    messages = many([5 * MIN] * 5, last=NOW - timedelta(days=1)) + asked("w", NOW, None)
    forecast = forecast_label(messages, NOW)
    assert forecast.very_responsive
    assert forecast.badge_at_risk
    assert forecast.badge_within_seconds == 3901
    assert forecast.reply_within_seconds == 3901
    assert ids_of(forecast.badge_waiting_ids) == ["w-q"]
    assert forecast.describe().endswith(
        "; 'very responsive' badge is lost unless the waiting message gets a reply in the next 65 minutes")


def test_forecast_ignores_messages_after_now_and_serialises():
    messages = many([20 * MIN] * 4) + asked("future", NOW + timedelta(hours=1), None)
    forecast = forecast_label(messages, NOW)
    assert forecast.waiting_ids == ()
    data = forecast.to_dict()
    assert data["label"] == "within an hour" and data["at_risk"] is False
    assert data["text"] == forecast.describe()
