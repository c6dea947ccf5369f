"""Alert sinks: where alerts go. Each has a `name` (its outbox column) and `deliver`.

A sink raises `SinkUnavailable` when it cannot deliver right now (network down, flood
control); the alert stays in the outbox and is retried, in order, on the next flush.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from webcare.models import Alert, Message, Score

Example = tuple[Message, "Score | None"]


class SinkUnavailable(Exception):
    """Delivery failed for now; try again later. `retry_after` in seconds when known."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class AlertSink(ABC):
    name: str

    @abstractmethod
    async def deliver(self, alert: Alert, examples: list[Example]) -> str | None:
        """Send one alert; return a reference (e.g. a chat message id) or None."""

    async def aclose(self) -> None:
        return None
