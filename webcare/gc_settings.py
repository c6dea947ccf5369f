"""Cycle-collector settings for a long-running webcare process.

CPython's collector walks every tracked object each time 700 more have been allocated than
freed, and now and then walks all of them. webcare keeps large, long-lived structures (the
lexicons, the playbooks, the engine's state of customers and threads) and creates almost no
reference cycles, so with the defaults the collector takes a tenth of the engine's time
re-examining objects that will never be garbage. Freezing what exists after start-up and
collecting the young generation less often keeps that work small; memory is still freed by
reference counting as before.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000  # allocations between young-generation collections (CPython: 700)


def settle() -> None:
    """Call once start-up has built what lives for the whole run."""
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(YOUNG_THRESHOLD, young), middle, old)
