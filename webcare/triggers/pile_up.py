"""Unanswered pile-up: complaints on one of our posts or threads waiting for the brand.

"14 complaints on the race-day post, oldest 2 h, no reply." A complaint waits until the
brand answers it (a brand reply to it, or for a private conversation any later brand message
in it). An auto-reply is not an answer.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from webcare.models import Message
from webcare.settings import at_least, positive, setting
from webcare.triggers import Finding, Seen, stale_keys
from webcare.triggers.text import age, quote


@dataclass(frozen=True)
class Options:
    min_waiting: int = setting(5, check=at_least(1), help="waiting complaints on one thread that alert")
    min_oldest_minutes: float = setting(30.0, check=at_least(0), help="... once the oldest waited this long")
    owned_only: bool = setting(True, help="only threads under our own posts (or our private conversations)")
    forget_hours: float = setting(72.0, check=positive, help="stop tracking a complaint after this long")
    examples: int = setting(5, check=at_least(1))


@dataclass
class Thread:
    platform: str
    root: str  # uid of the post or conversation
    waiting: dict[str, float] = field(default_factory=dict)  # uid -> created ts, in arrival order
    private: bool = False
    ts_sum: float = 0.0  # sum of the waiting created ts, for the total waiting time in O(1)

    def add(self, uid: str, ts: float) -> None:
        if uid not in self.waiting:
            self.waiting[uid] = ts
            self.ts_sum += ts

    def remove(self, uid: str) -> None:
        ts = self.waiting.pop(uid, None)
        if ts is not None:
            self.ts_sum -= ts


@dataclass
class State:
    threads: dict[str, Thread] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)  # complaint uid -> thread key
    brand_posts: dict[str, str] = field(default_factory=dict)  # thread key of our posts -> text
    # threads with at least min_waiting complaints, in the order they filled (a dict, not a set:
    # a tick reports them in this order, so a replay writes its alerts in the same order every run)
    full: dict[str, None] = field(default_factory=dict)
    last_sweep: float = 0.0
    # what the hourly sweep must look at, so it need not walk every thread: a heap of
    # (created ts, thread key) per complaint added, and the threads answered down to nothing
    expiry: list[tuple[float, str]] = field(default_factory=list)
    emptied: set[str] = field(default_factory=set)


class PileUp:
    kind = "pile_up"
    Options = Options
    sees_unmatched = False
    sees_brand = True  # brand posts name the thread; brand replies answer complaints
    tick_seconds = 300.0  # the oldest-waiting figure moves in minutes; 5-minute steps suffice

    def __init__(self, options: Options, sensitivity: str = "balanced"):
        self.options = options

    def new_state(self) -> State:
        return State()

    def observe(self, state: State, seen: Seen, matched: bool) -> list[Finding]:
        message = seen.message
        root = _root(message)
        if message.from_brand:
            if message.kind == "post" and not message.in_reply_to:
                state.brand_posts[root] = message.text
            if not message.automated:
                self._answer(state, message, root)
            return []
        owned = root in state.brand_posts or not message.public
        if self.options.owned_only and not owned:
            return []
        key = root
        thread = state.threads.get(key)
        if thread is None:
            thread = state.threads[key] = Thread(message.platform, root, private=not message.public)
        thread.add(seen.uid, seen.ts)
        state.owner[seen.uid] = key
        heapq.heappush(state.expiry, (seen.ts, key))
        return self._check(state, key, seen.t)

    def tick(self, state: State, now: datetime) -> list[Finding]:
        t = now.timestamp()
        if t - state.last_sweep >= 3600:  # forget old complaints once an hour
            state.last_sweep = t
            horizon = t - self.options.forget_hours * 3600
            for key in stale_keys(state.expiry, state.emptied, horizon):
                thread = state.threads.get(key)
                if thread is None:
                    continue
                for uid in [u for u, ts in thread.waiting.items() if ts < horizon]:
                    thread.remove(uid)
                    state.owner.pop(uid, None)
                if not thread.waiting:
                    del state.threads[key]
        found = []
        for key in list(state.full):
            if key in state.threads:
                found += self._check(state, key, t)
            else:
                state.full.pop(key, None)
        return found

    def _answer(self, state: State, reply: Message, root: str) -> None:
        target = f"{reply.platform}:{reply.in_reply_to}" if reply.in_reply_to else None
        key = state.owner.get(target) if target else None
        if key is not None and key in state.threads:
            state.threads[key].remove(target)
            state.owner.pop(target, None)
            if not state.threads[key].waiting:
                state.emptied.add(key)
        thread = state.threads.get(root)
        if thread is not None and thread.private:  # in a conversation, a reply answers everything before it
            for uid in list(thread.waiting):
                state.owner.pop(uid, None)
            thread.waiting.clear()
            thread.ts_sum = 0.0
            state.emptied.add(root)

    def _check(self, state: State, key: str, t: float) -> list[Finding]:
        thread = state.threads[key]
        n = len(thread.waiting)
        if n < self.options.min_waiting:
            state.full.pop(key, None)
            return []
        state.full[key] = None
        oldest = next(iter(thread.waiting.values()))  # arrival order: the first waited longest
        if t - oldest < self.options.min_oldest_minutes * 60:
            return []
        return [self._finding(state, key, thread, n, t, oldest)]

    def _finding(self, state: State, key: str, thread: Thread, n: int, t: float, oldest: float) -> Finding:
        """The finding, its words composed only if an alert is written (kept out of `_check`,
        where the closure's set-up would cost every thread that is below the threshold)."""
        def explain():
            hours = (n * t - thread.ts_sum) / 3600
            post = state.brand_posts.get(thread.root)
            where = f"our post {quote(post, 60)}" if post else f"{thread.platform} conversation {thread.root}"
            newest = list(islice(reversed(thread.waiting), self.options.examples))[::-1]
            return (f"{n} complaints on {where} waiting, oldest {age(t - oldest)}, no reply",
                    (f"{n} complaints without a reply from us on {thread.platform}, "
                     f"oldest {age(t - oldest)} ({hours:.1f} customer-hours of waiting in all)",
                     "auto-replies do not count as an answer"),
                    tuple(newest))

        return Finding(key=key, size=n, explain=explain)


def _root(message: Message) -> str:
    """The thread a message belongs to: its conversation, else what it replies to, else itself."""
    ref = message.conversation_id or message.in_reply_to or message.id
    return f"{message.platform}:{ref}"
