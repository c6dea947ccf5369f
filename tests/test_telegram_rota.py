"""On-call rota, take-overs, quiet hours, recipient resolution and the delivery plan (all pure)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from webcare import config
from webcare.models import Alert
from webcare.settings import SettingsError
from webcare.telegram.directory import Directory, Target
from webcare.telegram.rota import (
    next_change, on_call, parse_duration, parse_shift, parse_window, quiet_until, take_over_until,
)
from webcare.telegram.sink import plan

AMS = ZoneInfo("Europe/Amsterdam")
MON = datetime(2026, 10, 5, 12, 0, tzinfo=AMS)  # a Monday
ROTA = ["mon-fri 08:00-18:00 alice", "mon-fri 18:00-08:00 bob", "sat,sun 00:00-24:00 carol"]
SHIFTS = [parse_shift(s) for s in ROTA]


def at(day_offset: int, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return (MON + timedelta(days=day_offset)).replace(hour=h, minute=m)


@pytest.mark.parametrize("when, person", [
    (at(0, "08:00"), "alice"), (at(0, "17:59"), "alice"), (at(0, "18:00"), "bob"),
    (at(1, "03:00"), "bob"),  # Monday's night shift runs into Tuesday
    (at(5, "07:59"), "bob"),  # Friday's night shift comes first in the rota: first match wins
    (at(5, "08:00"), "carol"), (at(6, "23:59"), "carol"),
    (at(7, "07:00"), None),  # Sunday night to Monday 08:00: nobody is on the rota
])
def test_the_rota_names_who_is_on_call_by_local_time(when, person):
    assert on_call(SHIFTS, when, AMS).person == person


def test_a_take_over_wins_until_it_ends_then_the_rota_resumes():
    until = at(0, "18:00")
    assert on_call(SHIFTS, at(0, "12:00"), AMS, override=("bob", until)).source == "take-over"
    assert on_call(SHIFTS, at(0, "12:00"), AMS, override=("bob", until)).person == "bob"
    assert on_call(SHIFTS, at(0, "18:30"), AMS, override=("carol", until)).person == "bob"


def test_a_take_over_without_duration_lasts_until_the_next_handover():
    assert take_over_until(SHIFTS, at(0, "12:00"), AMS) == at(0, "18:00")
    assert next_change(SHIFTS, at(4, "20:00"), AMS) == at(5, "08:00")
    assert take_over_until([], MON, AMS) == MON + timedelta(hours=12)


def test_nobody_on_call_falls_back_to_the_configured_person():
    assert on_call([], MON, AMS).person is None
    assert on_call([], MON, AMS, fallback="dana").person == "dana"


def test_rota_times_stay_local_across_the_daylight_saving_change():
    shifts = [parse_shift("daily 08:00-18:00 alice")]
    after = datetime(2026, 10, 26, 8, 30, tzinfo=AMS)  # the clocks went back on Oct 25
    assert on_call(shifts, after, AMS).until == datetime(2026, 10, 26, 18, 0, tzinfo=AMS)
    assert on_call(shifts, after - timedelta(minutes=31), AMS).person is None


def test_quiet_hours_end_at_their_local_end_time():
    window = parse_window("22:00-07:00")
    assert quiet_until(window, at(0, "23:30"), AMS) == at(1, "07:00")
    assert quiet_until(window, at(1, "06:59"), AMS) == at(1, "07:00")
    assert quiet_until(window, at(1, "07:00"), AMS) is None
    assert quiet_until(None, at(0, "23:30"), AMS) is None


@pytest.mark.parametrize("text, minutes", [("30m", 30), ("2h", 120), ("1h30m", 90), ("45", 45),
                                           ("1d", 1440), ("2 hours", 120)])
def test_durations_read_like_people_write_them(text, minutes):
    assert parse_duration(text) == timedelta(minutes=minutes)


def test_bad_rota_and_quiet_hours_are_explained_at_config_load():
    with pytest.raises(SettingsError) as err:
        config.from_dict({"telegram": {"rota": ["weekdays 8-18 alice"], "quiet_hours": {"team": "22-7"}}})
    text = "; ".join(err.value.problems)
    assert "telegram.rota: [0]: expected days such as mon-fri" in text
    assert "telegram.quiet_hours: team: expected a time HH:MM" in text


def directory(**overrides) -> Directory:
    cfg = config.from_dict({"telegram": {
        "people": {"alice": 11, "bob": 22, "carol": 33}, "chats": {"team": -100, "lead": 33},
        "rota": ROTA, "quiet_hours": {"bob": "22:00-07:00"}, **overrides}}).telegram
    return Directory(cfg, AMS)


def test_oncall_resolves_through_the_rota_and_unknown_names_go_to_the_fallback():
    d = directory()
    targets, unknown = d.resolve(["team", "oncall"], at(0, "12:00"))
    assert [(t.chat_id, t.label) for t in targets] == [(-100, "team"), (11, "oncall (alice)")]
    targets, unknown = d.resolve(["marketing"], at(0, "12:00"))
    assert unknown == ["marketing"] and [t.chat_id for t in targets] == [-100]
    targets, _ = d.resolve(["oncall"], at(0, "23:00"))
    assert targets[0].name == "bob" and targets[0].quiet_until == at(1, "07:00")
    targets, _ = d.resolve(["oncall"], at(0, "12:00"), override=("carol", at(0, "13:00")))
    assert targets[0].chat_id == 33


def test_only_configured_people_in_configured_chats_may_command():
    d = directory()
    assert d.may_command(-100, 11) and d.may_command(22, 22)
    assert not d.may_command(-100, 99)  # a stranger in the team group
    assert not d.may_command(-555, 11)  # a known person in an unknown group
    assert not d.may_command(99, 99)


def test_names_that_refer_to_nobody_are_reported():
    problems = directory(rota=["daily 08:00-18:00 dave"], quiet_hours={"ops": "22:00-07:00"},
                         oncall_fallback="erin").problems()
    assert any("'dave'" in p for p in problems)
    assert any("quiet_hours.ops" in p for p in problems)
    assert any("oncall_fallback" in p for p in problems)
    assert directory().problems() == []


# --- the delivery plan ---------------------------------------------------------------------

def alert(kind="open", seq=0, severity="medium") -> Alert:
    return Alert(at=MON, playbook="p", severity=severity, incident="inc", seq=seq, kind=kind,
                 title="t", text="x", recipients=("team",))


TEAM = Target(-100, "team", "team")
QUIET = Target(22, "bob", "oncall", quiet_until=at(1, "07:00"))


def shown(chat: int, seq: int, severity="medium", kind="open", message_id=5) -> dict:
    return {chat: {"message_id": message_id, "seq": seq, "severity": severity, "kind": kind}}


def ops(steps):
    return [(s.op, s.chat_id) for s in steps]


def test_growth_edits_the_message_already_there():
    assert ops(plan(alert("update", 1), shown(-100, 0), [TEAM], lambda c: False)) == [("edit", -100)]


def test_a_severity_rise_rings_again_with_a_new_message():
    steps = plan(alert("update", 1, "high"), shown(-100, 0), [TEAM], lambda c: False)
    assert ops(steps) == [("send", -100)]
    assert steps[0].message_id == 5 and steps[0].reason == "severity rose to high"


def test_an_escalation_rings_the_new_person_and_updates_the_others_silently():
    steps = plan(alert("escalate", 2), shown(-100, 1), [Target(11, "alice", "oncall")], lambda c: False)
    assert ops(steps) == [("send", 11), ("edit", -100)]


def test_a_retried_delivery_skips_chats_that_already_have_it():
    assert plan(alert("update", 1), shown(-100, 1), [TEAM], lambda c: False) == []


def test_quiet_hours_hold_low_and_medium_but_not_high():
    assert ops(plan(alert("escalate", 1), {}, [QUIET], lambda c: False)) == [("hold", 22)]
    assert ops(plan(alert("escalate", 1, "high"), {}, [QUIET], lambda c: False)) == [("send", 22)]


def test_muted_chats_get_silent_messages_except_critical():
    assert plan(alert(), {}, [TEAM], lambda c: True)[0].silent
    assert not plan(alert(severity="critical"), {}, [TEAM], lambda c: True)[0].silent


def test_check_config_explains_a_missing_token_and_broken_names():
    from webcare.telegram.directory import config_problems

    cfg = config.from_dict({"telegram": {"people": {"alice": 11}, "rota": ["daily 08:00-18:00 dave"]}})
    assert config_problems(cfg, {}) == ["telegram.token_env: environment variable WEBCARE_TELEGRAM_TOKEN "
                                        "is not set, so Telegram stays off"]
    assert any("'dave'" in p for p in config_problems(cfg, {"WEBCARE_TELEGRAM_TOKEN": "1:x"}))
    assert config_problems(config.default(), {}) == []  # the example config: Telegram off, nothing to say


def test_self_hosted_bot_api_urls_are_accepted_with_or_without_the_bot_suffix():
    from webcare.telegram.service import api_base_url

    assert api_base_url("") == "https://api.telegram.org/bot"
    assert api_base_url("http://localhost:8081") == "http://localhost:8081/bot"
    assert api_base_url("http://localhost:8081/bot/") == "http://localhost:8081/bot"
    assert api_base_url("http://tg.local/custom/{token}") == "http://tg.local/custom/{token}"
