"""Pile-up, response target and urgent-message playbooks on a fake clock."""

from datetime import datetime, timedelta, timezone

from webcare.models import Score

from conftest import msg
from test_engine import NEU, Sim, book

CEST = timezone(timedelta(hours=2))
MONDAY = datetime(2026, 10, 5, 10, 0, tzinfo=CEST)
QUESTION = Score("nl", 0.0, "neu", "question", False, 0.1, 0.2)

PILE = {"name": "pile", "trigger": "pile_up", "match": {"negative_or_complaint": True},
        "pile_up": {"min_waiting": 4, "min_oldest_minutes": 30},
        "incident": {"update_every_minutes": 0, "update_growth": 0.5, "close_after_minutes": 30}}


def post(at):
    return msg("post1", "Wat een sfeer! 🎉", at=at, kind="post", author="brand", from_brand=True)


def comment(i, at):
    return msg(f"c{i}", "Geen water bij km 10, schandalig", at=at, author=f"u{i}", conversation_id="post1",
               in_reply_to="post1")


def test_pile_up_fires_once_when_the_oldest_waited_long_enough_and_updates_as_it_grows():
    sim = Sim(book(PILE))
    sim.send(post(MONDAY), NEU)
    for i in range(4):
        sim.send(comment(i, MONDAY + timedelta(minutes=i)))
    sim.until(MONDAY + timedelta(minutes=29))
    assert sim.alerts == []
    sim.until(MONDAY + timedelta(minutes=36))
    assert [a.kind for a in sim.alerts] == ["open"]
    assert sim.alerts[0].title.startswith("4 complaints on our post 'Wat een sfeer! 🎉' waiting, oldest 3")
    for i in range(4, 8):
        sim.send(comment(i, MONDAY + timedelta(minutes=40 + i)))
    assert [a.kind for a in sim.alerts] == ["open", "update"]
    assert len({a.incident for a in sim.alerts}) == 1


def test_answers_empty_the_pile_and_auto_replies_do_not():
    sim = Sim(book(PILE))
    sim.send(post(MONDAY), NEU)
    for i in range(4):
        sim.send(comment(i, MONDAY + timedelta(minutes=i)))
    for i in range(4):
        sim.send(msg(f"auto{i}", "Bedankt, we komen erop terug", at=MONDAY + timedelta(minutes=5), author="brand",
                     from_brand=True, automated=True, in_reply_to=f"c{i}", conversation_id="post1"), NEU)
    sim.until(MONDAY + timedelta(minutes=40))
    assert [a.kind for a in sim.alerts] == ["open"]
    for i in range(4):
        sim.send(msg(f"re{i}", "Sorry! We zoeken het uit.", at=MONDAY + timedelta(minutes=41), author="brand",
                     from_brand=True, in_reply_to=f"c{i}", conversation_id="post1"), NEU)
    sim.until(MONDAY + timedelta(minutes=90))
    assert [a.kind for a in sim.alerts] == ["open", "close"]


def test_complaints_under_someone_elses_post_are_not_our_pile():
    sim = Sim(book(PILE))
    for i in range(6):
        sim.send(msg(f"c{i}", "slecht", at=MONDAY + timedelta(minutes=i), author=f"u{i}", conversation_id="other"))
    sim.until(MONDAY + timedelta(hours=2))
    assert sim.alerts == []


TARGET = {"name": "target", "trigger": "response_target", "severity": "medium",
          "match": {"intents": ["complaint", "question"]},
          "response_target": {"targets": {"email": 480, "comment": 60}, "warn_before_minutes": 15},
          "incident": {"update_every_minutes": 0, "update_growth": 0.5, "close_after_minutes": 10}}


def email(i, at):
    return msg(f"m{i}", "Waar blijft mijn terugbetaling?", at=at, platform="email", kind="email",
               public=False, author="klant@example.nl", conversation_id=f"t{i}")


def test_breach_is_counted_in_business_hours_warned_before_and_raised_when_passed():
    sim = Sim(book(TARGET))
    friday_evening = datetime(2026, 10, 9, 18, 0, tzinfo=CEST)  # closed until Monday 09:00
    sim.send(email(1, friday_evening), QUESTION)
    sim.until(datetime(2026, 10, 12, 16, 30, tzinfo=CEST))
    assert sim.alerts == []  # 8 business hours end Monday 17:00
    sim.until(datetime(2026, 10, 12, 17, 10, tzinfo=CEST))
    assert [(a.kind, a.severity) for a in sim.alerts] == [("open", "medium"), ("update", "high")]
    warn, breach = sim.alerts
    assert warn.at <= datetime(2026, 10, 12, 16, 50, tzinfo=CEST) and "within" in warn.title
    assert breach.at >= datetime(2026, 10, 12, 17, 0, tzinfo=CEST) and "past the response target" in breach.title
    assert warn.incident == breach.incident


def test_a_public_holiday_is_not_a_working_day():
    sim = Sim(book(TARGET))
    kings_day_eve = datetime(2027, 4, 26, 17, 30, tzinfo=CEST)  # Koningsdag is Tuesday 27 April 2027
    sim.send(email(2, kings_day_eve), QUESTION)
    sim.until(datetime(2027, 4, 28, 16, 30, tzinfo=CEST))
    assert sim.alerts == []
    sim.until(datetime(2027, 4, 28, 17, 5, tzinfo=CEST))
    assert sim.alerts and sim.alerts[-1].severity == "high"


def test_a_real_answer_stops_the_clock_and_the_incident_closes():
    sim = Sim(book(TARGET))
    sim.send(email(3, MONDAY), QUESTION)
    sim.send(msg("answer", "Het bedrag is teruggestort.", at=MONDAY + timedelta(hours=2), platform="email",
                 kind="email", public=False, author="brand", from_brand=True, conversation_id="t3"), NEU)
    sim.until(MONDAY + timedelta(days=2))
    assert sim.alerts == []


def test_praise_needs_no_answer():
    sim = Sim(book(TARGET))
    sim.send(email(4, MONDAY), Score("nl", 0.8, "pos", "praise", False, 0.0, 0.0))
    sim.until(MONDAY + timedelta(days=2))
    assert sim.alerts == []


def test_a_message_fetched_late_is_flagged_at_its_own_target_not_at_a_later_ones():
    """A connector walking back in time delivers a comment already past its target after a
    newer one was warned of: the breach must not wait for the newer comment's target."""
    sim = Sim(book(TARGET))
    sim.send(comment(1, MONDAY), QUESTION)  # due 11:00
    sim.until(MONDAY + timedelta(minutes=50))
    assert [a.severity for a in sim.alerts] == ["medium"]  # the warning only
    sim.send(comment(2, MONDAY - timedelta(minutes=40)), QUESTION)  # 09:20, due 10:20, fetched at 10:50
    sim.until(MONDAY + timedelta(minutes=58))
    breach = [a for a in sim.alerts if a.severity == "high"]
    assert breach and "1 facebook public message(s) past the response target" in breach[0].title
    assert breach[0].at < MONDAY + timedelta(hours=1)


URGENT = {"name": "urgent", "trigger": "urgent", "severity": "high",
          "urgent": {"severity_for": {"safety risk": "critical"}},
          "incident": {"update_every_minutes": 0, "update_growth": 1.0, "close_after_minutes": 60}}


def scored(reasons, urgency=0.5, label="neg"):
    return Score("nl", -0.6, label, "complaint", True, 0.9, urgency, tuple(reasons))


def test_one_incident_per_signal_raised_to_critical_for_safety():
    sim = Sim(book(URGENT))
    for i in range(4):
        sim.send(msg(f"s{i}", "Levensgevaarlijk druk bij de finish", at=MONDAY + timedelta(minutes=i),
                     author=f"u{i}"), scored(["safety risk: 'levensgevaarlijk'"]))
    sim.send(msg("l1", "Mijn advocaat neemt contact op", at=MONDAY + timedelta(minutes=5)),
             scored(["legal threat: 'advocaat'"]))
    opens = [a for a in sim.alerts if a.kind == "open"]
    assert [(a.severity, a.title.split(" (")[0]) for a in opens] == [
        ("critical", "Urgent: safety risk"), ("high", "Urgent: legal threat")]
    assert [a.kind for a in sim.alerts if a.incident == opens[0].incident] == ["open", "update", "update"]


def test_reach_counts_only_when_the_author_is_unhappy():
    sim = Sim(book(URGENT))
    star = dict(at=MONDAY, platform="x", kind="mention", author="star", name="Star", followers=250_000)
    sim.send(msg("h", "Top georganiseerd!", **star), Score("nl", 0.8, "pos", "praise", False, 0.0, 0.1))
    assert sim.alerts == []
    sim.send(msg("u", "Wat een puinhoop", **star), scored([]))
    assert [a.reasons[0] for a in sim.alerts] == ["author reach: 250,000 followers"]


def test_urgent_groups_reports_by_when_they_were_written_even_when_fetched_late():
    sim = Sim(book(URGENT))
    danger = scored(["safety risk: 'levensgevaarlijk'"])
    sim.send(msg("s0", "Levensgevaarlijk druk bij de finish", at=MONDAY, author="u0"), danger)
    sim.send(msg("s1", "Levensgevaarlijk bij de start", at=MONDAY + timedelta(hours=5), author="u1"), danger)
    # a connector paging back delivers one written before s1, then one from before the window
    sim.send(msg("s2", "Levensgevaarlijk op de brug", at=MONDAY + timedelta(hours=4), author="u2"), danger)
    sim.send(msg("old", "Levensgevaarlijk gisteren", at=MONDAY - timedelta(hours=3), author="u3"), danger)
    later = msg("s3", "Levensgevaarlijk bij km 5", at=MONDAY + timedelta(hours=7), author="u4")
    sim.send(later, danger)
    last = sim.alerts[-1]
    # seven hours on, s0 (and the older one fetched late) fell out of the six-hour grouping window
    assert last.kind == "update" and "(3 messages, latest" in last.title
    assert last.message_ids == ("facebook:s2", "facebook:s1", "facebook:s3")  # in the order written
