"""What every connector test needs around its fake server: the real runner and store."""

from __future__ import annotations

import logging
import random
from contextlib import asynccontextmanager

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


@asynccontextmanager
async def seeded(fake, module, store: Store, clock: SimClock):
    """A running fake (`fake`, not yet entered) seeded by its test module, that module's
    connector to it and a coordinator over the store: (api, connector, coordinator). The
    connector is closed afterwards."""
    async with fake as api:
        module.seed(api)
        conn = module.connector(api, clock)
        try:
            yield api, conn, coordinator(store, conn, clock)
        finally:
            await conn.aclose()


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


async def refused_once_then_caught_up(store: Store, conn, clock: SimClock, caplog, error: str,
                                      expected: set[str], platform: str | None = None) -> None:
    """Poll into the answer the fake was set to give once (a 200 of the wrong shape), then
    the runner's retry: while it failed, the status said so and why; afterwards every message
    of `expected` is stored (no page read as the last), nothing is quarantined, and the runner
    said each state change once: the failure, then the recovery."""
    coord = coordinator(store, conn, clock)
    with caplog.at_level(logging.INFO, logger="webcare.runner"):
        failing = await fail_then_recover(coord, clock)
    await conn.aclose()
    assert failing["status"] == "backoff" and error in failing["last_error"]
    assert set(stored(store, platform)) == expected
    assert status(store)["status"] == "ok" and not store.quarantined()
    said = runner_said(caplog.records)
    assert len(said) == 2 and error in said[0] and said[1] == f"connector {conn.name} recovered"
