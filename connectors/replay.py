"""Replay (file) connector: reads message JSONL, for replays, demos and file-drop inboxes.

The cursor is the byte offset after the last consumed line, so a restart resumes exactly
where the last committed batch ended and a re-read never duplicates. A line that is not yet
terminated by a newline is left for the next poll while following a growing file. A file
that is now shorter than that offset, or another file under the same name (rotated or
truncated in place), is read again from its start: messages are stored by id, so lines read
before are not stored twice. A line over `jsonl.MAX_LINE` (a runaway exporter) is quarantined
with its line number without being held in memory, and the lines after it are read.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, replace
from datetime import timedelta
from importlib import resources
from pathlib import Path

from connectors import ConnectorContext, TransientError
from webcare.jsonl import MAX_LINE, next_line, parse_line, too_long
from webcare.models import Batch, Message, Rejected, parse_time
from webcare.settings import at_least, iso_time, setting

log = logging.getLogger(__name__)

def bundled_demo() -> Path:
    return Path(str(resources.files("webcare") / "data" / "demo.jsonl"))


@dataclass(frozen=True)
class Options:
    path: str = setting("", help="JSONL file to read; empty = the bundled demo scenario")
    batch_size: int = setting(500, check=at_least(1), help="lines per poll at most")
    follow: bool = setting(False, help="keep watching the file for appended lines")
    realtime: bool = setting(
        False, help="shift timestamps so the file starts at the first poll and release each "
        "message when the clock reaches it (a live rehearsal of a recorded stream)")
    start_at: str = setting(
        "", check=lambda v: iso_time(v) if v else None,
        help="with realtime: the moment in the file that coincides with the first poll; what came "
        "before it arrives at once as history (empty = the file's first message)")


class ReplayConnector:
    type = "replay"
    Options = Options

    def __init__(self, name: str, path: Path, options: Options, ctx: ConnectorContext):
        self.name = name
        self.path = path
        self.options = options
        self._ctx = ctx

    @classmethod
    def create(cls, name: str, options: Options, ctx: ConnectorContext) -> "ReplayConnector":
        path = Path(options.path).expanduser() if options.path else bundled_demo()
        if not path.is_absolute():
            path = ctx.base_dir / path
        return cls(name, path, options, ctx)

    async def poll(self, cursor: str | None) -> Batch:
        state = self._state(cursor)
        if self.options.realtime and "shift" not in state:
            state["shift"] = self._shift_to_now()
        shift = timedelta(seconds=state.get("shift", 0))
        due = self._ctx.now() if self.options.realtime else None
        messages: list[Message] = []
        rejected: list[Rejected] = []
        try:
            fh = open(self.path, "rb")
        except FileNotFoundError:
            if self.options.follow:
                return Batch((), cursor)
            raise TransientError(f"replay file {self.path} does not exist") from None
        except OSError as exc:
            raise TransientError(f"cannot read {self.path}: {exc}") from None
        with fh:
            self._check_same_file(os.fstat(fh.fileno()), state)
            offset, line_no, more = state["offset"], state["line"], False
            fh.seek(offset)
            if state.get("rest"):  # of a line too long, quarantined when it was not yet ended
                _, size, ends = next_line(fh, 0)
                offset += size
                if ends:
                    del state["rest"]
            while not state.get("rest"):
                if len(messages) + len(rejected) >= self.options.batch_size:
                    more = True
                    break
                raw, size, ends = next_line(fh)
                where = f"{self.path.name}:{line_no + 1}"
                if size > MAX_LINE:  # quarantined at once, even while it is still being written
                    offset, line_no = offset + size, line_no + 1
                    rejected.append(too_long(where, raw, size, ends))
                    if not ends and self.options.follow:
                        state["rest"] = True
                    continue
                if not raw or (not ends and self.options.follow):
                    break  # end of file, or a line still being written
                item = parse_line(raw.decode("utf-8", errors="replace"), where)
                if isinstance(item, Message) and shift:
                    item = replace(item, created_at=item.created_at + shift)
                if due is not None and isinstance(item, Message) and item.created_at > due:
                    break  # not yet time for this one: read it again next poll
                offset += len(raw)
                line_no += 1
                if isinstance(item, Rejected):
                    rejected.append(item)
                elif item is not None:
                    messages.append(item)
        state.update(offset=offset, line=line_no)
        return Batch(tuple(messages), json.dumps(state, sort_keys=True), more, tuple(rejected))

    def _state(self, cursor: str | None) -> dict:
        """The stored cursor, or a fresh start with one warning when it is not one of ours (a
        connector retyped under the same name inherits the other's cursor): it failed every
        poll, and the file was never read. Messages are stored by id: none is stored twice."""
        try:
            state = json.loads(cursor) if cursor else None
        except ValueError:
            state = False
        whole = lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0  # noqa: E731
        if cursor and not (isinstance(state, dict) and whole(state.get("offset")) and whole(state.get("line"))
                           and isinstance(state.get("shift", 0), (int, float))):
            log.warning("%s: cannot read the stored cursor %.200r; reading %s from the start",
                        self.name, cursor, self.path)
            state = None
        return state or {"offset": 0, "line": 0}

    def _check_same_file(self, stat: os.stat_result, state: dict) -> None:
        """Start over at 0 when the file was replaced or truncated since the offset was taken.

        Seeking past the end of a truncated file reads nothing, for ever: every line written
        to it afterwards would be lost without a word.
        """
        replaced = state.get("inode", stat.st_ino) != stat.st_ino
        if replaced or stat.st_size < state["offset"]:
            log.warning("%s: %s was %s since byte %d was read; reading it again from the start",
                        self.name, self.path, "replaced" if replaced else "truncated", state["offset"])
            state.update(offset=0, line=0)
            state.pop("rest", None)
        state["inode"] = stat.st_ino

    def _shift_to_now(self) -> float:
        if self.options.start_at:
            return (self._ctx.now() - parse_time(self.options.start_at)).total_seconds()
        try:
            with open(self.path, "rb") as fh:
                while True:
                    raw, size, _ = next_line(fh)
                    if not size:
                        break
                    item = parse_line(raw.decode("utf-8", errors="replace"), "") if size <= MAX_LINE else None
                    if isinstance(item, Message):
                        return (self._ctx.now() - item.created_at).total_seconds()
        except OSError:
            pass
        return 0.0

    async def aclose(self) -> None:
        return None
