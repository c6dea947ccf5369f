"""Shared test helpers: messages made in one line, fixed clocks, real SQLite files."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

pytest.register_assert_rewrite("connector_kit")  # its shared checks fail with the values, like a test

from webcare.models import Author, Message

AMS = timezone(timedelta(hours=2))
T0 = datetime(2026, 10, 4, 10, 0, tzinfo=AMS)
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def msg(id: str, text: str = "ok", *, at: datetime = T0, platform: str = "facebook",
        kind: str = "comment", public: bool = True, author: str = "u1", name: str = "",
        followers: int | None = None, **kw) -> Message:
    return Message(platform=platform, id=id, kind=kind, public=public,
                   author=Author(author, name or author, followers), text=text, created_at=at, **kw)


def write_jsonl(path: Path, messages, extra_lines: dict[int, str] | None = None) -> Path:
    """Write messages as JSONL; `extra_lines` inserts raw lines before the given index."""
    lines = [json.dumps(m.to_dict(), ensure_ascii=False) for m in messages]
    for index, raw in sorted((extra_lines or {}).items(), reverse=True):
        lines.insert(index, raw)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def storm_stream(n: int = 40, every_minutes: float = 2, start: datetime = T0,
                 text: str = "This is terrible, awful organisation, I hate it!") -> list[Message]:
    return [msg(f"c{i}", text, at=start + timedelta(minutes=every_minutes * i), author=f"u{i}")
            for i in range(n)]


@pytest.fixture
def store(tmp_path):
    from webcare.store import Store

    s = Store(tmp_path / "test.db")
    yield s
    s.close()
