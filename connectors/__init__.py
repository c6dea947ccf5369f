"""Connectors: one module per platform, all with the same small surface.

A connector turns a platform's payloads into `Message` values and its failures into the three
errors below; scheduling, retries and storage belong to the runner. Each module exports a class
with `type` (the config `type = ...`), an `Options` dataclass (its config keys) and
`create(name, options, ctx)`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

from webcare.models import Batch


class ConnectorError(Exception):
    """Base of the errors a connector may raise from `poll`."""


# The longest a platform's word can pause polling. A reset header from a wrong clock or a
# broken proxy ("come back in 2100") must not silence a connector for years; X's monthly usage
# cap, which has no reset at all, is looked at again this often too.
MAX_WAIT = timedelta(hours=6)


class RateLimited(ConnectorError):
    """The platform asked us to wait; `reset_at` is when the budget returns (None: unknown)."""

    def __init__(self, message: str = "rate limited", reset_at: datetime | None = None):
        super().__init__(message)
        self.reset_at = reset_at


class AuthFailed(ConnectorError):
    """Credentials are missing, expired or lack a permission: retrying will not help."""


class TransientError(ConnectorError):
    """A network fault, timeout or server error: worth retrying later."""


@runtime_checkable
class Connector(Protocol):
    name: str

    async def poll(self, cursor: str | None) -> Batch:
        """Fetch what is new since `cursor` (None: first run) and the cursor to resume from."""

    async def aclose(self) -> None:
        """Release sockets and files."""


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ConnectorContext:
    """What a connector may use from its surroundings, injected so tests control all of it."""

    base_dir: Path = Path(".")
    now: Callable[[], datetime] = _utcnow
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def secret(self, env_name: str, what: str) -> str:
        """The value of a secret's environment variable; AuthFailed names the variable if unset."""
        value = self.env.get(env_name, "") if env_name else ""
        if not value:
            raise AuthFailed(f"{what}: environment variable {env_name or '(not configured)'} is not set")
        return value


class ConnectorType(Protocol):
    type: str
    Options: type

    @classmethod
    def create(cls, name: str, options: Any, ctx: ConnectorContext) -> Connector: ...


def _registry() -> dict[str, ConnectorType]:
    from connectors import bluesky, facebook, feed, imap, instagram, mastodon, reddit, x
    from connectors.replay import ReplayConnector

    return {c.type: c for c in (ReplayConnector, x.XConnector, facebook.FacebookPageConnector,
                                instagram.InstagramConnector, mastodon.MastodonConnector,
                                bluesky.BlueskyConnector, reddit.RedditConnector, imap.ImapConnector,
                                feed.FeedConnector)}


CONNECTORS: dict[str, ConnectorType] = _registry()

__all__ = [
    "AuthFailed", "CONNECTORS", "Connector", "ConnectorContext", "ConnectorError",
    "ConnectorType", "MAX_WAIT", "RateLimited",
    "TransientError",
]
