"""Console sink: one readable block per alert, with the messages that triggered it."""

from __future__ import annotations

import sys
from typing import TextIO

from webcare.models import Alert
from webcare.sinks import AlertSink, Example
from webcare.sinks.text import render


class ConsoleSink(AlertSink):
    name = "console"

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream

    async def deliver(self, alert: Alert, examples: list[Example]) -> str | None:
        out = self.stream or sys.stdout
        out.write(render(alert, examples) + "\n\n")
        out.flush()
        return None
