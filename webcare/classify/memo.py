"""A bounded memo of what a pure function says about one key (mostly: one token).

Messages are short and their words repeat: the few thousand words a brand's customers use
make up nearly all of every message. Working out a word's facts once (its pieces, its
spelling, its valence) and looking them up afterwards is what keeps the classifier's cost per
message down. A memo only ever gains entries that are a pure function of their key, so sharing
it between threads is safe and it never changes a result; past `limit` distinct keys new ones
are simply worked out each time, so memory stays bounded whatever the traffic.
"""

from __future__ import annotations

from typing import Callable, Generic, Hashable, TypeVar

V = TypeVar("V")

# Distinct tokens each memo keeps: a month of a busy brand's traffic uses fewer.
LIMIT = 50_000


class Memo(dict, Generic[V]):
    """`memo[key]` is `fn(key)`, computed once per key while there is room."""

    def __init__(self, fn: Callable[[Hashable], V], limit: int = LIMIT) -> None:
        super().__init__()
        self._fn = fn
        self._limit = limit

    def __missing__(self, key: Hashable) -> V:
        value = self._fn(key)
        if len(self) < self._limit:
            self[key] = value
        return value
