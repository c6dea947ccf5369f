"""Reading the message interchange format: a bad line is reported, never fatal, never lost."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import IO, Iterable, Iterator

from webcare.models import Message, MessageFormatError, Rejected

log = logging.getLogger(__name__)
# A line longer than this (bytes, or characters of a text file) is no message but a runaway
# export: it is quarantined unread, by its first `KEPT` characters, so memory stays bounded.
MAX_LINE = 16 * 1024 * 1024
KEPT = 1000
_CHUNK = 1024 * 1024


def next_line(fh: IO, limit: int = MAX_LINE) -> tuple[bytes | str, int, bool]:
    """The next line of `fh` (binary or text) as (line, size, ends): a line over `limit` is
    read in chunks and only its start returned; `size` counts what was consumed and `ends`
    says a newline ended it (else the end of the file did). Memory: `limit` at most."""
    line = fh.readline(limit + 1)
    newline = "\n" if isinstance(line, str) else b"\n"
    if len(line) <= limit:
        return line, len(line), line.endswith(newline)
    size, head, ends = len(line), line[:KEPT], line.endswith(newline)
    while not ends:
        chunk = fh.readline(_CHUNK)
        if not chunk:
            break
        size, ends = size + len(chunk), chunk.endswith(newline)
    return head, size, ends


def too_long(where: str, head: bytes | str, size: int, ends: bool) -> Rejected:
    text = head.decode("utf-8", errors="replace") if isinstance(head, bytes) else head
    unit = "bytes" if isinstance(head, bytes) else "characters"
    return Rejected(where, f"line too long ({size:,} {unit}{'' if ends else ' so far'}; at most "
                    f"{MAX_LINE:,}): not read", text + "…")


def parse_line(line: str, where: str) -> Message | Rejected | None:
    """One JSONL line -> Message, or Rejected saying what is wrong; None for a blank line.

    A byte-order mark (the first line of a file saved by Windows tools, or of each file when
    several were concatenated) is not part of the JSON, so it is dropped rather than costing
    the line.
    """
    stripped = line.strip().lstrip("\ufeff")
    if not stripped:
        return None
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        return Rejected(where, f"not valid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})",
                        stripped)
    except ValueError as exc:  # a number of more than 4,300 digits: no JSONDecodeError, yet as bad
        return Rejected(where, f"not valid JSON ({str(exc).partition(';')[0]})", stripped)
    except RecursionError:  # arrays or objects nested thousands deep
        return Rejected(where, "not valid JSON (nested too deeply)", stripped)
    if isinstance(data, dict) and "id" in data and "text" in data and "platform" not in data:
        return Rejected(where, "platform: missing (a bare {id, text} line is not a message)", stripped)
    try:
        return Message.from_dict(data)
    except MessageFormatError as exc:
        return Rejected(where, str(exc), stripped)


def read_messages(lines: Iterable[str], source: str, *, first_line: int = 1,
                  rejected: list[Rejected] | None = None) -> Iterator[Message]:
    """Yield the good messages; log each bad line with `source:line` and collect it.

    A file object is read line by line with `next_line`, so one runaway line cannot take
    all memory."""
    for number, line in enumerate(_bounded(lines), start=first_line):
        item = too_long(f"{source}:{number}", *line) if isinstance(line, tuple) else parse_line(
            line, f"{source}:{number}")
        if item is None:
            continue
        if isinstance(item, Rejected):
            log.warning("skipped %s: %s", item.source, item.error)
            if rejected is not None:
                rejected.append(item)
            continue
        yield item


def _bounded(lines: Iterable[str]) -> Iterator[str | tuple]:
    """The lines, or for a file object each line over `MAX_LINE` as (start, size, ends)."""
    if not hasattr(lines, "readline"):
        yield from lines
        return
    while True:
        line, size, ends = next_line(lines)
        if not size:
            return
        yield line if size <= MAX_LINE else (line, size, ends)


def read_file(path: Path, rejected: list[Rejected] | None = None) -> Iterator[Message]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        yield from read_messages(fh, path.name, rejected=rejected)


def write_line(fh: IO[str], obj: dict) -> None:
    fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
