"""The store keeps every message exactly once and every alert queued until delivered."""

from datetime import timedelta

import pytest

from webcare.models import Alert, Rejected, Score
from webcare.store import Store, StoreError

from conftest import T0, msg


def alert(incident="inc-1", seq=0, kind="open"):
    return Alert(at=T0, playbook="p", severity="high", incident=incident, seq=seq, kind=kind,
                 title="t", text="x", message_ids=("facebook:1",))


def test_a_message_is_stored_once_and_edits_refresh_it(store):
    with store.transaction():
        assert len(store.save_messages([msg("1", "hallo"), msg("2")], "c", T0)) == 2
    with store.transaction():
        new = store.save_messages([msg("1", "hallo (bewerkt)"), msg("3")], "c", T0)
    assert [m.id for m in new] == ["3"]
    assert store.count_messages() == 3
    (m, _), = store.get_messages(["facebook:1"])
    assert m.text == "hallo (bewerkt)"


def test_same_id_on_another_platform_is_another_message(store):
    with store.transaction():
        store.save_messages([msg("1"), msg("1", platform="x")], "c", T0)
    assert store.count_messages() == 2


def test_round_trip_keeps_offsets_and_extra_fields(store):
    original = msg("1", extra={"campaign": "race"}, url="https://example.org/1", lang="nl")
    with store.transaction():
        store.save_messages([original], "c", T0)
        store.save_scores([(original, Score("nl", -0.5, "neg", "complaint", True, 0.8, 0.6, ("r",)))])
    (m, s), = store.get_messages(["facebook:1"])
    assert m == original and m.created_at.utcoffset() == timedelta(hours=2)
    assert m.extra == {"campaign": "race"}
    assert s.label == "neg" and s.reasons == ("r",)


def test_failed_transaction_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.save_messages([msg("1")], "c", T0)
            store.set_cursor("c", "42", T0)
            raise RuntimeError("crash mid-batch")
    assert store.count_messages() == 0
    assert store.get_cursor("c") is None


def test_alerts_are_queued_per_sink_and_never_twice(store):
    with store.transaction():
        assert len(store.record_alerts([alert(), alert(seq=1, kind="update")], ["console", "jsonl"])) == 2
    with store.transaction():
        assert store.record_alerts([alert()], ["console", "jsonl"]) == []
    assert [a.key for a in store.pending("console")] == ["inc-1#0", "inc-1#1"]
    store.mark_delivered("inc-1#0", "console", T0)
    assert [a.key for a in store.pending("console")] == ["inc-1#1"]
    assert len(store.pending("jsonl")) == 2
    assert store.incidents()[0]["seq"] == 1


def test_quarantine_keeps_bad_payloads_once(store):
    bad = Rejected("feed.jsonl:3", "not valid JSON", "{oops")
    with store.transaction():
        store.quarantine("feed", [bad], T0)
    with store.transaction():
        store.quarantine("feed", [bad], T0)
    assert store.quarantined() == [{"connector": "feed", "source": "feed.jsonl:3",
                                    "error": "not valid JSON", "raw": "{oops"}]


def test_reopening_a_database_keeps_everything(tmp_path):
    path = tmp_path / "w.db"
    s = Store(path)
    with s.transaction():
        s.save_messages([msg("1")], "c", T0)
        s.set_cursor("c", "cur-1", T0)
    s.close()
    s = Store(path)
    assert s.count_messages() == 1 and s.get_cursor("c") == "cur-1"
    s.close()


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "w.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="w.db"):
        Store(path)


def test_human_actions_are_logged_and_shown_on_the_incident(store):
    with store.transaction():
        store.record_alerts([alert()], ["console"])
        store.record_human_action("inc-1", "acknowledge", "anna", T0)
        store.record_human_action("inc-1", "claim", "bram", T0 + timedelta(minutes=1))
    inc = store.incident("inc-1")
    assert (inc["status"], inc["acked_by"], inc["assignee"]) == ("acknowledged", "anna", "bram")
    with store.transaction():
        store.record_human_action("inc-1", "resolve", "bram", T0 + timedelta(minutes=5))
    assert store.incident("inc-1")["status"] == "resolved"
    assert store.incident("nope") is None
