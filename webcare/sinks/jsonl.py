"""Alert JSONL sink (the `--alerts-jsonl` contract): idempotent, so a crash never doubles a line.

On open it reads the keys already in the file and cuts off a half-written last line; an
alert whose key is present is acknowledged without writing it again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from webcare.models import Alert
from webcare.sinks import AlertSink, Example


class JsonlSink(AlertSink):
    def __init__(self, path: Path):
        self.path = path
        self.name = "jsonl"
        self._seen = self._recover()
        self._fh = open(self.path, "a", encoding="utf-8")

    def _recover(self) -> set[str]:
        seen: set[str] = set()
        if not self.path.exists():
            return seen
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a line cut off by a crash: drop it, it will be written again
            with open(self.path, "r+b") as fh:
                fh.truncate(end)
        for line in data[:end].splitlines():
            try:
                obj = json.loads(line)
                seen.add(f"{obj['incident']}#{obj['seq']}")
            except (ValueError, KeyError, TypeError):
                continue
        return seen

    async def deliver(self, alert: Alert, examples: list[Example]) -> str | None:
        if alert.key in self._seen:
            return None
        self._fh.write(json.dumps(alert.to_dict(), ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._seen.add(alert.key)
        return None

    async def aclose(self) -> None:
        self._fh.close()
