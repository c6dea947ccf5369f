"""The bundled scenario end to end: the two cases webcare exists for are caught, in time."""

import json
from datetime import timedelta

import pytest

from webcare import scenario
from webcare.cli import main


@pytest.fixture(scope="module")
def demo_alerts(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "alerts.jsonl"
    assert main(["demo", "--alerts-jsonl", str(out)]) == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


def opened(alerts, playbook):
    return [a for a in alerts if a["playbook"] == playbook and a["kind"] == "open"]


def at(alert):
    from webcare.models import parse_time
    return parse_time(alert["at"])


def test_the_storm_on_the_race_page_is_caught_within_ten_minutes(demo_alerts):
    first = min(opened(demo_alerts, "complaint-storm"), key=at)
    assert scenario.STORM_ONSET <= at(first) <= scenario.STORM_ONSET + timedelta(minutes=10)
    assert "facebook" in first["title"]


def test_the_storm_keeps_nagging_until_someone_owns_it(demo_alerts):
    storm = min(opened(demo_alerts, "complaint-storm"), key=at)["incident"]
    escalations = [a for a in demo_alerts if a["incident"] == storm and a["kind"] == "escalate"]
    assert [a["recipients"] for a in escalations][:2] == [["oncall"], ["lead"]]


def test_the_customer_nobody_answers_is_linked_across_channels_and_escalated(demo_alerts):
    mine = [a for a in demo_alerts if a["playbook"] == "repeat-contact"
            and scenario.CUSTOMER_NAME in a["title"]]
    assert len({a["incident"] for a in mine}) == 1, "one incident for her, updated"
    assert at(mine[0]) < scenario.CUSTOMER_REFUSAL_AT
    last = [a for a in mine if a["kind"] in ("open", "update")][-1]
    assert "6 times" in last["title"] and "auto-replies" in last["title"]
    platforms = {uid.split(":")[0] for uid in last["message_ids"]}
    assert len(platforms) >= 3
    assert any(a["kind"] == "escalate" for a in mine)


def test_safety_signal_is_critical(demo_alerts):
    urgent = opened(demo_alerts, "urgent-message")
    assert any(a["severity"] == "critical" and "safety" in a["title"] for a in urgent)


def test_unanswered_complaints_on_our_race_day_posts_pile_up(demo_alerts):
    piles = opened(demo_alerts, "unanswered-pile-up")
    assert piles and all("our post" in a["title"] for a in piles)
