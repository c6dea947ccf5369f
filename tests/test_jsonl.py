"""The message interchange format: good lines parse, bad lines are reported, never lost."""

import json

import pytest
from hypothesis import given, strategies as st

from webcare.jsonl import parse_line, read_messages
from webcare.models import Message, MessageFormatError, Rejected

GOOD = {
    "platform": "x", "id": "1", "kind": "mention", "public": True,
    "author": {"id": "a1", "name": "Jan", "followers": 1200}, "text": "Waar blijft mijn pakket?",
    "created_at": "2026-10-04T10:00:00+02:00", "lang": "nl", "campaign": "race-2026",
}


def test_round_trip_keeps_unknown_fields():
    m = Message.from_dict(GOOD)
    assert m.author.followers == 1200
    assert m.extra == {"campaign": "race-2026"}
    assert Message.from_dict(m.to_dict()) == m
    assert m.to_dict()["campaign"] == "race-2026"


@pytest.mark.parametrize("change, field", [
    ({"kind": "tweet"}, "kind"),
    ({"public": "yes"}, "public"),
    ({"created_at": "2026-10-04T10:00:00"}, "created_at"),
    ({"created_at": "yesterday"}, "created_at"),
    ({"author": {"name": "no id"}}, "author.id"),
    ({"text": None}, "text"),
    ({"from_brand": 1}, "from_brand"),
])
def test_bad_field_is_named(change, field):
    with pytest.raises(MessageFormatError) as err:
        Message.from_dict({**GOOD, **change})
    assert err.value.field == field


def test_numeric_ids_and_z_suffix_are_accepted():
    m = Message.from_dict({**GOOD, "id": 17, "created_at": "2026-10-04T08:00:00Z"})
    assert m.id == "17" and m.created_at.utcoffset().total_seconds() == 0


def test_bad_lines_are_reported_with_line_numbers_and_good_ones_survive():
    lines = [json.dumps(GOOD), "{not json", "", json.dumps({**GOOD, "id": "2", "kind": "?"}),
             json.dumps({**GOOD, "id": "3"})]
    rejected = []
    got = list(read_messages(lines, "feed.jsonl", rejected=rejected))
    assert [m.id for m in got] == ["1", "3"]
    assert [r.source for r in rejected] == ["feed.jsonl:2", "feed.jsonl:4"]
    assert "kind" in rejected[1].error and rejected[1].raw.startswith("{")


@given(st.text(max_size=200))
def test_any_line_is_parsed_or_rejected_never_raises(line):
    result = parse_line(line, "fuzz:1")
    assert result is None or isinstance(result, (Message, Rejected))


@given(st.dictionaries(st.sampled_from(list(GOOD) + ["extra"]),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))))
def test_any_object_is_parsed_or_rejected(obj):
    result = parse_line(json.dumps({**GOOD, **obj}), "fuzz:1")
    assert isinstance(result, (Message, Rejected))
