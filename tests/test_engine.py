"""The engine on a fake clock: storms, repeat contact, incidents, escalation."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from webcare.engine import Engine
from webcare.models import Score
from webcare.playbooks import load_dir, parse
from webcare.triggers import TRIGGERS, Finding

from conftest import T0, msg

NEG = Score("nl", -0.7, "neg", "complaint", True, 0.9, 0.5)
NEU = Score("nl", 0.0, "neu", "other", False, 0.0, 0.0)


def book(text: dict):
    problems = []
    pb = parse(text, "test.toml", problems)
    assert not problems, problems
    return pb


STORM = {
    "name": "storm", "trigger": "storm", "severity": "high", "notify": ["team"],
    "match": {"public": True, "negative_or_complaint": True},
    "storm": {"min_count": 5},
    "incident": {"update_every_minutes": 10, "update_growth": 0.5, "close_after_minutes": 60,
                 "cooldown_minutes": 30},
    "escalation": [{"after_minutes": 15, "notify": ["oncall"]}, {"after_minutes": 45, "notify": ["lead"]}],
}


class Sim:
    """Drives an engine like the pipeline does: messages at their time, ticks every minute."""

    def __init__(self, *books, sensitivity="balanced"):
        self.engine = Engine(books, sensitivity)
        self.state = self.engine.new_state()
        self.now = T0
        self.alerts = []

    def until(self, when):
        while self.now + timedelta(minutes=1) <= when:
            self.now += timedelta(minutes=1)
            self.alerts += self.engine.on_tick(self.state, self.now)

    def send(self, m, score=NEG):
        self.until(m.created_at)
        self.alerts += self.engine.on_message(self.state, m, score, max(self.now, m.created_at))

    def kinds(self):
        return [(a.kind, a.seq) for a in self.alerts]


def complaints(n, every=2.0, start=T0, platform="facebook"):
    return [msg(f"{platform}{start:%H%M}{i}", at=start + timedelta(minutes=every * i),
                platform=platform, author=f"u{i}") for i in range(n)]


def test_storm_opens_one_incident_at_the_threshold():
    sim = Sim(book(STORM))
    for m in complaints(5):
        sim.send(m)
    assert sim.kinds() == [("open", 0)]
    a = sim.alerts[0]
    assert a.at == T0 + timedelta(minutes=8)  # the fifth complaint, not later
    assert "5 matching public messages in the last 10 minutes, normally about 0.1 (threshold 5)" in a.text
    assert a.severity == "high" and a.recipients == ("team",) and len(a.message_ids) == 5


def test_below_threshold_or_private_or_neutral_is_no_storm():
    sim = Sim(book(STORM))
    for m in complaints(4):
        sim.send(m)
    for i in range(10):
        sim.send(msg(f"dm{i}", kind="dm", public=False, at=T0 + timedelta(minutes=10 + i)))
        sim.send(msg(f"ok{i}", at=T0 + timedelta(minutes=10 + i)), NEU)
    sim.until(T0 + timedelta(hours=3))
    assert sim.alerts == []


def test_slow_trickle_spread_over_the_day_is_no_storm():
    sim = Sim(book(STORM))
    for m in complaints(30, every=20):
        sim.send(m)
    assert sim.alerts == []


def test_growing_storm_updates_the_same_incident_not_more_often_than_allowed():
    sim = Sim(book({**STORM, "escalation": []}))
    for m in complaints(30, every=1):
        sim.send(m)
    incidents = {a.incident for a in sim.alerts}
    assert len(incidents) == 1
    assert [k for k, _ in sim.kinds()] == ["open", "update", "update"]
    times = [a.at for a in sim.alerts]
    assert all(b - a >= timedelta(minutes=10) for a, b in zip(times, times[1:]))
    assert [a.seq for a in sim.alerts] == [0, 1, 2]


def test_unacknowledged_incident_climbs_the_ladder_and_acknowledged_does_not():
    sim = Sim(book(STORM))
    for m in complaints(5):
        sim.send(m)
    sim.until(T0 + timedelta(minutes=70))
    assert [(a.kind, a.recipients) for a in sim.alerts[1:3]] == [
        ("escalate", ("oncall",)), ("escalate", ("lead",))]
    assert sim.alerts[1].at == sim.alerts[0].at + timedelta(minutes=15)

    sim2 = Sim(book(STORM))
    for m in complaints(5):
        sim2.send(m)
    sim2.engine.on_human(sim2.state, sim2.alerts[0].incident, "acknowledge", "anna", sim2.now)
    sim2.until(T0 + timedelta(minutes=70))
    assert "escalate" not in [a.kind for a in sim2.alerts]


def test_storm_closes_when_quiet_and_a_flare_up_within_cooldown_reopens_it():
    sim = Sim(book({**STORM, "escalation": []}))
    for m in complaints(5):
        sim.send(m)
    # the 10-minute window stops passing at 10:10; closed 60 minutes without a finding later
    sim.until(T0 + timedelta(minutes=100))
    assert sim.kinds() == [("open", 0), ("close", 1)]
    assert sim.alerts[1].at == T0 + timedelta(minutes=70)
    for m in complaints(5, start=T0 + timedelta(minutes=90)):
        sim.send(m)
    assert sim.kinds()[-1] == ("update", 2)
    assert len({a.incident for a in sim.alerts}) == 1
    # after the cooldown a new storm is a new incident
    sim.until(T0 + timedelta(hours=6))
    for m in complaints(5, start=T0 + timedelta(hours=7)):
        sim.send(m)
    assert sim.alerts[-1].kind == "open" and len({a.incident for a in sim.alerts}) == 2


def test_storms_are_per_platform():
    sim = Sim(book(STORM))
    for a, b in zip(complaints(3), complaints(3, platform="x")):
        sim.send(a)
        sim.send(b)
    assert sim.alerts == []


@pytest.mark.parametrize("sensitivity, fires", [("fewer", False), ("balanced", True), ("more", True)])
def test_sensitivity_scales_the_threshold(sensitivity, fires):
    sim = Sim(book({**STORM, "storm": {"min_count": 6}}), sensitivity=sensitivity)
    for m in complaints(6):
        sim.send(m)
    assert bool(sim.alerts) == fires


REPEAT = {
    "name": "repeat", "trigger": "repeat_contact", "severity": "medium",
    "match": {"kinds": ["dm", "email", "mention"]},
    "repeat_contact": {"min_contacts": 3, "days": 30},
    "incident": {"update_every_minutes": 0, "update_growth": 0, "close_after_minutes": 1440},
}


def contact(i, platform, author, at, kind="dm", name="Marieke de Vries"):
    return msg(f"{platform}-{i}", "Waar blijft mijn geld?", platform=platform, kind=kind,
               public=kind == "mention", author=author, name=name, at=at)


def auto_reply(to, at):
    return msg(f"re-{to.id}", "Bedankt voor je bericht, je hoort z.s.m. van ons", platform=to.platform,
               kind=to.kind, public=to.public, author="brand", from_brand=True, automated=True,
               in_reply_to=to.id, at=at)


def test_six_attempts_across_channels_with_only_auto_replies_alert_once_and_update():
    sim = Sim(book(REPEAT))
    day = timedelta(days=1)
    attempts = [
        contact(1, "phone", "call-log-7", T0, kind="dm"),
        contact(2, "email", "marieke@example.nl", T0 + 3 * day, kind="email"),
        contact(3, "email", "marieke@example.nl", T0 + 8 * day, kind="email"),
        contact(4, "messenger", "psid-99881", T0 + 12 * day),
        contact(5, "x", "mdevries", T0 + 15 * day, kind="mention"),
        contact(6, "email", "marieke@example.nl", T0 + 20 * day, kind="email"),
    ]
    for a in attempts:
        sim.send(a, NEU)
        sim.send(auto_reply(a, a.created_at + timedelta(minutes=1)), NEU)
    opens = [a for a in sim.alerts if a.kind == "open"]
    updates = [a for a in sim.alerts if a.kind == "update"]
    assert len(opens) == 1 and opens[0].at == attempts[2].created_at
    assert len(updates) == 3 and len({a.incident for a in sim.alerts}) == 1
    assert "6 times" in updates[-1].title and "auto-replies" in updates[-1].title
    assert set(updates[-1].message_ids) == {a.uid for a in attempts}


def test_a_real_reply_clears_the_count():
    sim = Sim(book(REPEAT))
    a1 = contact(1, "email", "m@example.nl", T0, kind="email")
    a2 = contact(2, "email", "m@example.nl", T0 + timedelta(days=1), kind="email")
    for a in (a1, a2):
        sim.send(a, NEU)
    real = msg("answer", "Hoi Marieke, je geld is teruggestort.", platform="email", kind="email",
               public=False, author="brand", from_brand=True, in_reply_to=a2.id,
               at=T0 + timedelta(days=1, hours=2))
    sim.send(real, NEU)
    sim.send(contact(3, "email", "m@example.nl", T0 + timedelta(days=2), kind="email"), NEU)
    assert sim.alerts == []


def test_different_people_with_one_word_names_are_not_linked():
    sim = Sim(book(REPEAT))
    for i, platform in enumerate(["email", "messenger", "x"]):
        sim.send(contact(i, platform, f"person{i}", T0 + timedelta(hours=i), name="Sam"), NEU)
    assert sim.alerts == []


def test_namesakes_on_one_platform_are_two_customers():
    # three people called Jan de Vries, each writing once: two X accounts and an e-mail
    sim = Sim(book({**REPEAT, "repeat_contact": {"min_contacts": 3, "min_channels": 2, "days": 30}}))
    hour = timedelta(hours=1)
    sim.send(contact(1, "x", "jdevries", T0, name="Jan de Vries"), NEU)
    sim.send(contact(2, "email", "jan@example.nl", T0 + hour, kind="email", name="Jan de Vries"), NEU)
    sim.send(contact(3, "x", "jan_vries_1987", T0 + 2 * hour, name="Jan de Vries"), NEU)
    # the name is now shared on X, so it cannot tell which one writes on Messenger
    sim.send(contact(4, "messenger", "psid-1", T0 + 3 * hour, name="Jan de Vries"), NEU)
    assert sim.alerts == []
    # the first Jan writes again on his own X account: his X and e-mail contacts add up
    sim.send(contact(5, "x", "jdevries", T0 + 4 * hour, name="Jan de Vries"), NEU)
    assert [a.kind for a in sim.alerts] == ["open"]
    assert set(sim.alerts[0].message_ids) == {"x:x-1", "email:email-2", "x:x-5"}


def test_a_name_written_surname_first_links_the_same_customer():
    sim = Sim(book(REPEAT))
    day = timedelta(days=1)
    sim.send(contact(1, "email", "j.devries@example.nl", T0, kind="email", name="Vries, Jan de"), NEU)
    sim.send(contact(2, "messenger", "psid-7", T0 + day, name="Jan de Vries"), NEU)
    sim.send(contact(3, "x", "jdv", T0 + 2 * day, kind="mention", name="de Vries, Jan"), NEU)
    assert [a.kind for a in sim.alerts] == ["open"] and "3 times" in sim.alerts[0].title


def test_bundled_playbooks_load():
    names = {b.name for b in load_dir(None)}
    assert {"complaint-storm", "repeat-contact"} <= names


def test_same_stream_gives_same_incident_ids():
    def run():
        sim = Sim(book(STORM))
        for m in complaints(12, every=1):
            sim.send(m)
        return [a.key for a in sim.alerts]
    assert run() == run()


def test_snooze_pauses_the_ladder_and_it_resumes_after():
    sim = Sim(book(STORM))
    for m in complaints(5):
        sim.send(m)
    opened = sim.alerts[0].at
    inc = sim.engine.on_human(sim.state, sim.alerts[0].incident, "snooze", "anna", opened, minutes=30)
    assert inc.status == "snoozed"
    sim.until(opened + timedelta(minutes=29))
    assert [a.kind for a in sim.alerts] == ["open"]
    sim.until(opened + timedelta(minutes=31))
    assert [(a.kind, a.recipients) for a in sim.alerts] == [("open", ("team",)), ("escalate", ("oncall",))]
    assert sim.alerts[1].at == opened + timedelta(minutes=30)


def test_claim_assigns_and_stops_escalation():
    sim = Sim(book(STORM))
    for m in complaints(5):
        sim.send(m)
    inc = sim.engine.on_human(sim.state, sim.alerts[0].incident, "claim", "bram", sim.now)
    assert inc.assignee == "bram" and inc.status == "acknowledged"
    sim.until(T0 + timedelta(minutes=70))
    assert "escalate" not in [a.kind for a in sim.alerts]
    assert sim.engine.on_human(sim.state, "no-such-incident", "claim", "bram", sim.now) is None


class Scripted:
    """A trigger that reports its situation at the scripted minutes after T0, and never else."""

    kind = "scripted"
    sees_unmatched = False
    sees_brand = False
    tick_seconds = 60.0

    @dataclass(frozen=True)
    class Options:
        minutes: list[int] = field(default_factory=list)

    def __init__(self, options, sensitivity="balanced"):
        self.minutes = set(options.minutes)

    def new_state(self):
        return None

    def observe(self, state, seen, matched):
        return []

    def tick(self, state, now):
        if (now - T0) // timedelta(minutes=1) in self.minutes:
            return [Finding(key="k", size=1, title="situation", facts=("scripted",))]
        return []


def test_a_reopened_incident_does_not_flap_closed_and_open(monkeypatch):
    monkeypatch.setitem(TRIGGERS, "scripted", Scripted)
    sim = Sim(book({"name": "s", "trigger": "scripted", "scripted": {"minutes": [1, 75]},
                    "incident": {"close_after_minutes": 60, "cooldown_minutes": 30}}))
    sim.until(T0 + timedelta(minutes=200))
    assert sim.kinds() == [("open", 0), ("close", 1), ("update", 2), ("close", 3)]
    assert [a.at - T0 for a in sim.alerts] == [timedelta(minutes=m) for m in (1, 61, 75, 135)]


def test_explicit_links_join_identities_that_share_nothing():
    linked = {**REPEAT, "repeat_contact": {"min_contacts": 3, "link_by_name": False,
                                           "links": [["email:m@example.nl", "x:mdv", "phone:+31600000000"]]}}
    for links, expected in ((REPEAT, 0), (linked, 1)):
        sim = Sim(book(links))
        sim.send(contact(1, "email", "m@example.nl", T0, kind="email", name="M."), NEU)
        sim.send(contact(2, "x", "mdv", T0 + timedelta(days=1), kind="mention", name="mdv"), NEU)
        sim.send(contact(3, "phone", "+31600000000", T0 + timedelta(days=2), name="unknown caller"), NEU)
        assert len([a for a in sim.alerts if a.kind == "open"]) == expected


class Broken(Scripted):
    """A trigger whose timer has a bug."""

    kind = "broken"

    def tick(self, state, now):
        raise KeyError("a bug")


def test_a_playbook_whose_timer_fails_stops_no_other_playbook(monkeypatch, caplog):
    monkeypatch.setitem(TRIGGERS, "broken", Broken)
    sim = Sim(book({"name": "b", "trigger": "broken", "broken": {}}), book(STORM))
    for m in complaints(5):
        sim.send(m)
    sim.until(T0 + timedelta(minutes=70))
    assert [a.kind for a in sim.alerts] == ["open", "escalate", "escalate", "close"]  # the storm's ladder
    assert caplog.text.count("playbook b: its timer failed") == 1  # said once, not every minute
