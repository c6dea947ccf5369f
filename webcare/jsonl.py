"""Reading the message interchange format: a bad line is reported, never fatal, never lost."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import IO, Iterable, Iterator

from webcare.models import Message, MessageFormatError, Rejected

log = logging.getLogger(__name__)


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
    """Yield the good messages; log each bad line with `source:line` and collect it."""
    for number, line in enumerate(lines, start=first_line):
        item = parse_line(line, f"{source}:{number}")
        if item is None:
            continue
        if isinstance(item, Rejected):
            log.warning("skipped %s: %s", item.source, item.error)
            if rejected is not None:
                rejected.append(item)
            continue
        yield item


def read_file(path: Path, rejected: list[Rejected] | None = None) -> Iterator[Message]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        yield from read_messages(fh, path.name, rejected=rejected)


def write_line(fh: IO[str], obj: dict) -> None:
    fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
