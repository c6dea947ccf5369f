"""What every connector test needs around its fake server: the real runner and store."""

from __future__ import annotations

import logging
import random

from webcare.clock import SimClock
from webcare.engine import Engine
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.runner import Coordinator, RetryPolicy
from webcare.store import Store


def coordinator(store: Store, conn, clock: SimClock) -> Coordinator:
    """A coordinator as `webcare run` builds it, with fixed retry timings and no jitter."""
    pipeline = Pipeline(store, Engine(load_dir(None)), [])
    return Coordinator(conn, pipeline, RetryPolicy(interval=60, jitter=0, initial=10, cap=80),
                       clock.now, random.Random(1))


def stored(store: Store, platform: str | None = None) -> dict[str, dict]:
    """Stored message rows by id (of one platform, if given)."""
    sql, params = "SELECT * FROM messages", ()
    if platform:
        sql, params = sql + " WHERE platform = ?", (platform,)
    return {row["id"]: row for row in store.db.query(sql, params)}


def status(store: Store) -> dict:
    return store.connector_status()[0]


async def fail_then_recover(coord: Coordinator, clock: SimClock) -> dict:
    """Poll into an answer the connector must refuse, then again when the runner retries.

    Returns the status row as it was in between: what `webcare status` showed while it failed.
    """
    retry = await coord.poll()
    failing = dict(status(coord.pipeline.store))
    assert retry is not None, failing
    clock.set(retry)
    await coord.poll()
    return failing


def runner_said(records) -> list[str]:
    """The runner's log lines (from caplog.records): a state change or a recovery each."""
    return [r.getMessage() for r in records if r.name == "webcare.runner" and r.levelno >= logging.INFO]
