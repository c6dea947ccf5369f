"""/queue and the response metrics must never disagree about who is still waiting.

`Store.waiting_customers` answers /queue in SQL; `metrics.first_responses` pairs the same
window's messages in Python. Both run here on stores full of the cases where they could part:
replies to replies without a conversation id, auto-replies flagged and only recognisable by
their text, public threads where a reply answers one customer and a brand post answers all,
ties in time, replies to messages just outside the window, scores missing.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest
from conftest import T0

from webcare.metrics import first_responses
from webcare.models import Author, Message, Score
from webcare.telegram.format import URGENCY_BANDS, urgency_band

BANDS = [low for low, _ in URGENCY_BANDS]
AUTO_TEXT = "Bedankt voor je bericht! We reageren zo snel mogelijk."


def varied_store(store, seed: int) -> None:
    rng = random.Random(seed)
    channels = [("facebook", "comment", True), ("x", "mention", True), ("x", "comment", True),
                ("messenger", "dm", False), ("email", "email", False), ("facebook", "review", True)]
    messages: list[Message] = []
    posts: dict[str, str] = {}
    ids: set[str] = set()

    def new_id(platform: str) -> str:  # random, so that ids order ties either way
        while (mid := f"{platform}-{rng.randrange(10 ** rng.randint(2, 6))}") in ids:
            pass
        ids.add(mid)
        return mid

    def brand_reply(to: Message, at, earlier: list[Message]) -> Message:
        auto = rng.random()
        elsewhere = rng.choice(earlier).conversation_id  # a reply posted in another thread
        conversation = rng.choice([to.conversation_id] * 7 + [None, None, elsewhere])
        reply_to = None if rng.random() < 0.15 else to.id  # no target: answers the thread
        return Message(to.platform, new_id(to.platform), "comment" if to.kind == "post" else to.kind,
                       to.public, Author("brand"), AUTO_TEXT if auto < 0.3 else "Hoi, dit is opgelost.", at,
                       conversation_id=conversation, in_reply_to=reply_to, from_brand=True,
                       automated=auto < 0.15)

    at = T0 - timedelta(days=9)
    for i in range(900):
        at += timedelta(seconds=rng.choice([0, 0, 1, 30, 600, 3600, 7200]))  # ties included
        platform, kind, public = rng.choice(channels)
        person = f"{platform[:2]}u{rng.randrange(25)}"
        earlier = [m for m in messages if m.platform == platform and m.public == public]
        if rng.random() < 0.05 and public:  # a brand post: its comments join its thread
            posts[platform] = new_id(platform)
            messages.append(Message(platform, posts[platform], "post", True, Author("brand"), "Nieuws!",
                                    at, from_brand=True))
            continue
        if rng.random() < 0.35 and earlier:  # the brand answers, acknowledges or talks to everyone
            to = rng.choice(earlier[-30:])
            messages.append(brand_reply(to, at, earlier))
            if rng.random() < 0.2:  # a customer writes again in the same second, and so does the brand
                messages.append(replace(to, id=new_id(platform), created_at=at, in_reply_to=to.in_reply_to))
                messages.append(brand_reply(to, at, earlier))
            continue
        conversation = None
        reply_to = None
        if kind == "dm" or kind == "email":
            conversation = f"{platform}-t-{person}" if rng.random() < 0.9 else None
        elif kind == "comment" and platform in posts:
            conversation = posts[platform] if rng.random() < 0.7 else None
            reply_to = posts[platform]
        elif kind == "mention" and earlier and rng.random() < 0.5:  # a reply chain without ids
            reply_to = rng.choice(earlier[-20:]).id
        messages.append(Message(platform, new_id(platform), kind, public, Author(person), f"vraag {i}", at,
                                conversation_id=conversation, in_reply_to=reply_to))
    scores = [(m, Score("nl", -0.5, "neg", "complaint", True, 0.7, rng.choice([0.1, 0.35, 0.7, 0.95])))
              for m in messages if not m.from_brand and rng.random() < 0.8]
    with store.transaction():
        store.save_messages(messages, "test", T0)
        store.save_scores(scores)


def by_metrics(store, since) -> list[str]:
    """What /queue showed before it moved to SQL: the window paired in Python."""
    window = list(store.iter_messages(since=since))
    waiting = [r.message.uid for r in first_responses(window) if r.answered_at is None]
    scored = store.get_messages(waiting)
    scored.sort(key=lambda pair: (urgency_band(pair[1]), pair[0].created_at))
    return [m.uid for m, _ in scored]


@pytest.mark.parametrize("keyed", [True, False], ids=["keyed", "rows-written-around-the-store"])
@pytest.mark.parametrize("seed", range(6))
def test_the_queue_waits_for_exactly_the_messages_the_metrics_call_unanswered(store, seed, keyed, monkeypatch):
    """With the stored thread ids and author keys (a store's own rows), and without them (a
    row written around the store lacks them: the string keys are used instead)."""
    varied_store(store, seed)
    if not keyed:
        monkeypatch.setattr("webcare.store.columns_fit", lambda check: False)
    for days in (7, 3, 1):  # each window cuts threads and reply chains somewhere else
        since = T0 - timedelta(days=days)
        expected = by_metrics(store, since)
        total, shown = store.waiting_customers(since, 10_000, BANDS)
        assert total == len(expected) > 0
        assert [m.uid for m, _ in shown] == expected
        total, first = store.waiting_customers(since, 5, BANDS)
        assert total == len(expected) and [m.uid for m, _ in first] == expected[:5]


def test_the_queue_leaves_nothing_behind_in_the_database(store):
    varied_store(store, 1)
    with store.transaction():  # also inside a caller's transaction (an in-memory store does that)
        store.waiting_customers(T0 - timedelta(days=7), 10, BANDS)
    store.waiting_customers(T0 - timedelta(days=7), 10, BANDS)
    assert store.conn.execute("SELECT count(*) FROM temp.sqlite_master").fetchone()[0] == 0
