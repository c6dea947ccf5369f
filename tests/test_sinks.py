"""Alert sinks: readable, safe with hostile text, and the JSONL file never doubles a line."""

import asyncio
import io
import json

from webcare.models import Alert, Score
from webcare.sinks.console import ConsoleSink
from webcare.sinks.jsonl import JsonlSink

from conftest import T0, msg

ALERT = Alert(at=T0, playbook="complaint-storm", severity="high", incident="inc-1", seq=0,
              kind="open", title="Complaint storm on facebook: 8 in 30 min",
              text="8 matching", message_ids=("facebook:1",), recipients=("team",),
              reasons=("8 matching public messages",))


def test_console_block_shows_why_and_examples_without_control_characters():
    out = io.StringIO()
    hostile = msg("1", "Geen water!\x1b[2J\x1b[31m <b>nep</b>\u202egnirts\nregel 2",
                  url="https://facebook.com/zuiderloop/posts/1")
    asyncio.run(ConsoleSink(out).deliver(ALERT, [(hostile, Score("nl", -0.6, "neg", "complaint", True, 0.8, 0.5))]))
    text = out.getvalue()
    assert "[HIGH] NEW: Complaint storm on facebook" in text
    assert "8 matching public messages" in text and "-> team" in text
    assert "Geen water!" in text and "https://facebook.com/zuiderloop/posts/1" in text
    assert "\x1b" not in text and "\u202e" not in text
    assert "regel 2" in text.splitlines()[3]  # multi-line text stays on the example's line


def test_jsonl_sink_skips_known_keys_and_repairs_a_cut_off_line(tmp_path):
    path = tmp_path / "alerts.jsonl"
    first = json.dumps(ALERT.to_dict())
    path.write_text(first + "\n" + '{"at": "2026-10-04T10:')  # crash mid-write
    sink = JsonlSink(path)
    second = Alert(at=T0, playbook="p", severity="high", incident="inc-1", seq=1, kind="update",
                   title="t", text="x")
    asyncio.run(sink.deliver(ALERT, []))
    asyncio.run(sink.deliver(second, []))
    asyncio.run(sink.aclose())
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(d["incident"], d["seq"], d["update"]) for d in lines] == [("inc-1", 0, False), ("inc-1", 1, True)]
    assert set(lines[0]) >= {"at", "playbook", "severity", "incident", "message_ids", "text"}
