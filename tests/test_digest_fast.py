"""The digest read the fast way is the digest read the slow way, figure for figure.

`build.read_inputs` counts in SQL, pairs Facebook's inbox from SQL rows and builds only the
messages it shows. Here the same digest is also read the way it used to be (every waiting
message and the whole inbox built as messages) from stores with varied traffic, and the two
must be equal; and the label forecast must find the same moment as checking both ends of
every stretch between two answer deadlines, as it used to.
"""

from __future__ import annotations

import math
import random
from collections import Counter
import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from webcare import config
from webcare.digest.build import (
    FACEBOOK_LOOKBACK, FACEBOOK_WINDOW, WAITING_SHOWN, build_digest, ignore_words, metrics_config,
)
from webcare.digest.content import (
    DigestInputs, FacebookLabel, baseline_start, compose, facebook_label, response_since, waiting_rows,
)
from webcare.digest.schedule import day_period, today_so_far, week_period
from webcare.metrics import (
    OTHER_PLATFORM, CompactRows, MessageColumns, compact_rows_query, first_responses_from_columns,
    first_responses_from_rows,
)
from webcare.models import Alert, Author, Message, Score
from webcare.responsiveness import (
    ResponsivenessRules, _answered_at, _figures, _until, _waiting, counted_messages, forecast_label,
    label_window, responsiveness,
)
import webcare.store as store_module
from webcare.store import SCHEMA_VERSION, Store, StoreError

AMS = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 10, 1, 0, 0, tzinfo=AMS)
CONFIG = config.default()
SCORES = [Score("nl", -0.7, "neg", "complaint", True, 0.8, 0.7), Score("nl", -0.3, "neg", "other", False, 0.2, 0.2),
          Score("nl", 0.0, "neu", "question", False, 0.1, 0.35), Score("nl", 0.6, "pos", "praise", False, 0.0, 0.1),
          Score("en", 0.0, "neu", "other", False, 0.0, 0.05)]
TEXTS = ["Geen medaille bij de finish", "Waar blijft mijn medaille?", "Parkeren was een ramp", "Top georganiseerd!",
         "Nergens parkeren bij de start", "Wanneer opent de inschrijving?", "water op bij km 10"]


def varied_store(path, seed: int) -> Store:
    """Two weeks from several connectors: comments, mentions, DMs with quick and slow replies
    and auto-replies (flagged and only recognisable by their text), e-mail, quiet spells."""
    rng = random.Random(seed)
    store = Store(path)
    messages: list[tuple[str, Message, Score | None]] = []
    at = START
    n = 0
    while at < START + timedelta(days=14):
        at += timedelta(seconds=rng.choice([0, 5, 60, 400, 900, 1800]) * (6 if 1 <= at.hour < 7 else 1))
        n += 1
        source, platform, kind, public = rng.choice([
            ("fb", "facebook", "comment", True), ("fb", "messenger", "dm", False), ("fb", "messenger", "dm", False),
            ("fb", "facebook", "dm", False), ("x", "x", "mention", True), ("mail", "email", "email", False)])
        if source == "x" and START + timedelta(days=12) <= at < START + timedelta(days=12, hours=9):
            continue  # the X connector is down for a morning
        who = f"{platform[:2]}{rng.randrange(40)}"
        conv = f"t-{who}" if not public else ("post-1" if kind == "comment" else None)
        reply_to = None
        comments = [m.id for _, m, _ in messages[-50:] if m.kind == "comment" and not m.from_brand]
        if platform == "facebook" and kind == "dm" and comments:  # a private reply to a comment
            conv, reply_to = None, rng.choice(comments)
        mid = f"{platform}-{n}"
        messages.append((source, Message(platform, mid, kind, public, Author(who, who.title()), rng.choice(TEXTS),
                                         at, conversation_id=conv, in_reply_to=reply_to,
                                         url=f"https://example.com/{mid}"),
                         rng.choice(SCORES) if rng.random() < 0.9 else None))
        if rng.random() < 0.6:  # the brand reacts: soon, late, with an auto-reply, or first auto then real
            for delay, auto in rng.choice([[(rng.choice([30, 300, 1800]), False)], [(rng.choice([3, 7200, 30000]), False)],
                                           [(2, True)], [(2, "text"), (rng.choice([600, 20000]), False)]]):
                n += 1
                text = "Bedankt voor je bericht! We reageren zo snel mogelijk." if auto else "Hoi, geregeld!"
                messages.append((source, Message(platform, f"{platform}-b{n}", kind, public, Author("brand", "Zuiderloop"),
                                                 text, at + timedelta(seconds=delay), conversation_id=conv,
                                                 in_reply_to=mid, from_brand=True, automated=auto is True), None))
    with store.transaction():
        for source in ("fb", "x", "mail"):
            batch = [(m, s) for src, m, s in messages if src == source]
            store.save_messages([m for m, _ in batch], source, START)
            store.save_scores([(m, s) for m, s in batch if s is not None])
        store.save_messages([Message("reddit", f"r{i}", "comment", True, Author(f"r{i}"), "Waar is de medaille?",
                                     START + timedelta(hours=5 * i)) for i in range(9)], "reddit", START)  # long gone
        store.record_alerts([Alert(at=START + timedelta(days=12, hours=10), playbook="complaint-storm",
                                   severity="high", incident="inc-1", seq=0, kind="open", title="Storm",
                                   text="", message_ids=(), recipients=())], [])
    return store


def slow_inputs(store: Store, period, now: datetime) -> DigestInputs:
    """`read_inputs` as it was: every row of the week in full, every waiting message built
    as a message, and Facebook's label from the inbox built as messages."""
    period = period.cut(now)
    metrics = metrics_config(CONFIG)
    origin = baseline_start(period)
    volume = slow_volume(store, origin, origin, max(period.end, period.start))
    rows = slow_response_rows(store, response_since(period, now).timestamp() - metrics.gap, now.timestamp())
    pairs = first_responses_from_rows(rows, metrics.gap) if len(rows) else None
    waiting = waiting_rows(np.array([r[4] for r in rows.rows]), pairs, now) if pairs is not None else []
    examples = store.digest_examples([rowid for rowid, _, _ in waiting])
    need = [(rowid, examples[rowid]) for rowid, _, _ in waiting if rowid in examples
            and (not examples[rowid][0].public or examples[rowid][1] is None or examples[rowid][1].complaint
                 or examples[rowid][1].intent in ("complaint", "question") or examples[rowid][1].label == "neg")]
    return DigestInputs(
        brand=CONFIG.brand.name, period=period, now=now, origin=origin, volume=volume, pairs=pairs,
        complaints=store.digest_complaints(period.start, period.end), waiting=waiting,
        waiting_counts=Counter(m.platform for _, (m, _) in need).most_common(),
        waiting_examples=dict(need[:WAITING_SHOWN]), incidents=store.incidents(),
        connectors=store.connector_status(), facebook=slow_facebook_label(store, now), metrics=metrics,
        ignore_words=ignore_words(CONFIG.brand.name), waiting_shown=WAITING_SHOWN)


def slow_volume(store: Store, origin: datetime, start: datetime, end: datetime) -> list[tuple]:
    """`Store.digest_volume` without its roll-up or SQL: every message in [start, end)
    counted by hour, connector, platform, brand flag and label (unscored: 'neu')."""
    scores = {(p, i): (label, complaint) for p, i, label, complaint in
              store.conn.execute("SELECT platform, id, label, complaint FROM scores")}
    counts: Counter = Counter()
    complaints: Counter = Counter()
    for platform, mid, ts, source, brand in store.conn.execute(
            "SELECT platform, id, ts, source, from_brand FROM messages"):
        if start.timestamp() <= ts < end.timestamp():
            label, complaint = scores.get((platform, mid), (None, None))
            key = (int((ts - origin.timestamp()) / 3600), source, platform, brand, label or "neu")
            counts[key] += 1
            complaints[key] += complaint or 0
    return [(*key, complaints[key], n) for key, n in counts.items()]


def slow_response_rows(store: Store, since: float, until: float) -> CompactRows:
    """The compact rows of [since, until], platforms as found among them, row ids appended."""
    platforms = [r[0] for r in store.conn.execute(
        "SELECT DISTINCT platform FROM messages WHERE ts >= ? AND ts <= ? ORDER BY platform", (since, until))]
    sql, params = compact_rows_query(platforms)
    sql = sql.replace("\nFROM messages", ",\n  rowid\nFROM messages") + " WHERE ts >= ? AND ts <= ?"
    rows = store.conn.execute(sql, (*params, since, until)).fetchall()
    return CompactRows((*platforms, OTHER_PLATFORM), rows)


def slow_facebook_label(store: Store, now: datetime) -> FacebookLabel | None:
    rules = ResponsivenessRules()

    def label(since: datetime) -> FacebookLabel | None:
        inbox = [m for m in store.iter_messages(since=since)
                 if m.platform in rules.platforms and not m.public and m.created_at <= now]
        shown = responsiveness(inbox, now, rules)
        if shown.inbox.counted == 0:
            return None
        forecast = forecast_label(inbox, now, rules)
        seconds = shown.inbox.response_seconds
        return FacebookLabel(
            label=shown.label, response_minutes=None if seconds is None else seconds / 60,
            response_rate=shown.inbox.response_rate, counted=shown.inbox.counted,
            very_responsive=shown.very_responsive, at_risk=forecast.at_risk, drops_to=forecast.drops_to,
            reply_within_seconds=forecast.reply_within_seconds, waiting=len(forecast.waiting_ids))

    found = label(now - FACEBOOK_WINDOW)
    if found is None or found.counted < rules.min_messages:
        found = label(now - FACEBOOK_LOOKBACK)
    return found


@pytest.mark.parametrize("seed", range(3))
def test_the_digest_read_fast_is_the_digest_read_slowly(tmp_path, seed):
    store = varied_store(tmp_path / "d.db", seed)
    try:
        for now in (START + timedelta(days=12, hours=17, minutes=3), START + timedelta(days=13, hours=8),
                    START + timedelta(days=14, hours=2)):
            periods = [today_so_far(now, AMS), day_period(now.date() - timedelta(days=1), AMS),
                       week_period(now.date() - timedelta(days=7), AMS)]
            for period in periods:
                fast = build_digest(store, CONFIG, period, now)
                assert fast == compose(slow_inputs(store, period, now))
                assert fast.total.messages and fast.waiting.total and fast.response.facebook
    finally:
        store.close()


# -- the forecast -------------------------------------------------------------------------------------

def drop_moment_as_it_was(messages: list[Message], now: datetime, rules: ResponsivenessRules) -> float | None:
    """The forecast's moment the label drops, found as before: both ends of every stretch."""
    at = now.timestamp()
    private, _ = counted_messages(_until(messages, at), rules)
    inbox = private.subset(label_window(private, rules))
    current = _figures(inbox.ts, inbox.reply, at, rules)
    if current.label is None:
        return None
    waiting = _waiting(inbox, at, rules)

    def pred(x: float) -> bool:
        hypo = _answered_at(inbox, waiting, at + x)
        return rules.rank(_figures(inbox.ts, hypo, at + x, rules).label) > rules.rank(current.label)

    if not waiting.any():
        return None
    deadlines = sorted({float(t + rules.answer_deadline - at) for t in inbox.ts[waiting]})
    lo = 0.0
    for end in [*deadlines, deadlines[-1] + 1.0]:
        start = lo if lo == 0.0 else math.floor(lo) + 1.0
        if pred(start):
            return start
        end = math.floor(end)
        if end > start and pred(end):
            good, bad = start, float(end)
            while bad - good > 1.0:
                mid = math.floor((good + bad) / 2)
                good, bad = (good, mid) if pred(mid) else (mid, bad)
            return bad
        lo = end
    return None


def forecast_case(seed: int) -> tuple[list[Message], datetime]:
    """An inbox with replies around its usual speed and some messages still waiting."""
    rng = random.Random(seed)
    now = START + timedelta(days=20)
    quick = rng.choice([5, 20, 45, 120, 600]) * 60
    messages = []
    for i in range(rng.randrange(5, 60)):
        asked_at = now - timedelta(seconds=rng.uniform(0, 5 * 86400))
        reply = asked_at + timedelta(seconds=rng.expovariate(1 / quick)) if rng.random() < 0.8 else None
        messages.append(Message("messenger", f"q{i}", "dm", False, Author(f"c{i}"), "Hallo?", asked_at,
                                conversation_id=f"t{i}"))
        if reply is not None and reply <= now:
            messages.append(Message("messenger", f"r{i}", "dm", False, Author("page"), "Hoi!", reply,
                                    conversation_id=f"t{i}", from_brand=True))
    for i in range(rng.randrange(4)):  # just asked: answering them late drags the mean up
        messages.append(Message("messenger", f"n{i}", "dm", False, Author(f"n{i}"), "Hallo?",
                                now - timedelta(seconds=rng.uniform(0, quick)), conversation_id=f"n{i}"))
    return sorted(messages, key=lambda m: m.created_at), now


@pytest.mark.parametrize("seed", range(40))
def test_the_forecast_finds_the_moment_the_label_drops_as_before(seed):
    messages, now = forecast_case(seed)
    rules = ResponsivenessRules()
    expected = drop_moment_as_it_was(messages, now, rules)
    forecast = forecast_label(messages, now, rules)
    assert forecast.reply_within_seconds == expected
    assert forecast.at_risk == (expected is not None)


def test_the_forecast_cases_include_labels_that_drop_and_labels_that_hold():
    moments = [drop_moment_as_it_was(*forecast_case(seed), ResponsivenessRules()) for seed in range(40)]
    assert None in moments and sum(1 for m in moments if m) >= 5


def test_the_inbox_columns_walk_threads_the_stored_ids_do_not_hold(tmp_path):
    """Replies without a conversation id, chains of them, a parent outside the window and
    empty conversation ids: the columns label is the rows label."""
    store = Store(tmp_path / "i.db")
    now = START + timedelta(days=3)
    at = [START + timedelta(days=1, hours=h) for h in range(12)]
    inbox = [Message("messenger", "a", "dm", False, Author("c1"), "Hallo?", at[0], conversation_id=""),
             Message("messenger", "b", "dm", False, Author("page"), "Hoi!", at[1], conversation_id="",
                     in_reply_to="a", from_brand=True),
             Message("messenger", "c", "dm", False, Author("c2"), "Nog iets", at[2], in_reply_to="old"),
             Message("messenger", "d", "dm", False, Author("page"), "Zeker", at[4], in_reply_to="c",
                     from_brand=True),
             Message("messenger", "e", "dm", False, Author("c2"), "En nu?", at[5], in_reply_to="d"),
             Message("facebook", "f", "dm", False, Author("c3"), "Vraag", at[6]),
             Message("facebook", "g", "dm", False, Author("page"), "Antwoord", at[9], in_reply_to="f",
                     from_brand=True),
             Message("messenger", "old", "dm", False, Author("c2"), "Eerder", START - timedelta(days=40))]
    with store.transaction():
        store.save_messages(inbox, "fb", START)
    try:
        rules = ResponsivenessRules()
        for since in (now - FACEBOOK_WINDOW, START + timedelta(days=1, hours=3)):
            columns = store.digest_inbox_columns(rules.platforms, since, now)
            assert isinstance(columns, MessageColumns) and len(columns) > 1
            rows = store.digest_inbox_rows(rules.platforms, since, now)
            assert facebook_label(columns, now, rules) == facebook_label(rows, now, rules)
            pairs_c = first_responses_from_columns(columns, rules.silence)
            pairs_r = first_responses_from_rows(rows, rules.silence)
            assert np.array_equal(pairs_c.answer, pairs_r.answer, equal_nan=True)
            assert np.array_equal(pairs_c.opener, pairs_r.opener)
    finally:
        store.close()


# -- the volume roll-up -------------------------------------------------------------------------------

def test_the_volume_roll_up_follows_every_write_to_messages_and_scores(tmp_path):
    """Re-scored, unscored, deleted, moved and scored-before-stored messages, also written
    around the store: the roll-up always counts as the messages do."""
    store = varied_store(tmp_path / "v.db", 3)
    try:
        def same(origin: datetime, start: datetime, end: datetime) -> None:
            fast = store.digest_volume(origin, start, end)
            assert sorted(fast, key=repr) == sorted(slow_volume(store, origin, start, end), key=repr)

        origin = START + timedelta(days=5)
        windows = [(origin, origin + timedelta(days=7, hours=13, minutes=7, seconds=3.5)),
                   (origin + timedelta(minutes=14, seconds=59.75), origin + timedelta(minutes=15)),
                   (origin + timedelta(hours=3, minutes=20), origin + timedelta(hours=3, minutes=44))]
        for start, end in windows:
            same(origin, start, end)
        ids = [r[0] for r in store.conn.execute(
            "SELECT m.id FROM messages m JOIN scores s USING (platform, id) WHERE m.platform = 'messenger' "
            "AND m.ts > ? ORDER BY m.ts LIMIT 15", ((origin + timedelta(days=1)).timestamp(),))]
        late = Message("messenger", "late-1", "dm", False, Author("l1"), "Waar blijft mijn medaille?",
                       origin + timedelta(days=2, hours=5))
        with store.transaction():
            store.save_scores([(replace(late, id=i), SCORES[0]) for i in ids[:10]])  # re-scored
            store.save_scores([(late, SCORES[1])])  # scored before it is stored
            store.save_messages([late], "fb", START)
        store.conn.execute("DELETE FROM scores WHERE platform = 'messenger' AND id IN (?, ?)", ids[10:12])
        store.conn.execute("DELETE FROM messages WHERE platform = 'messenger' AND id = ?", (ids[12],))
        store.conn.execute("UPDATE messages SET ts = ts + 86400, source = 'moved' WHERE platform = 'messenger' "
                           "AND id = ?", (ids[13],))
        foreign = sqlite3.connect(store.path)
        foreign.execute("UPDATE scores SET label = 'pos', complaint = 0 WHERE platform = 'messenger' "
                        "AND id = ?", (ids[14],))
        foreign.execute("DELETE FROM messages WHERE platform = 'messenger' AND id = ?", (ids[9],))
        foreign.commit()
        foreign.close()
        for start, end in windows:
            same(origin, start, end)
        same(origin.replace(minute=7), origin, origin + timedelta(days=3))  # off the quarter hours
    finally:
        store.close()


def test_the_kept_week_of_pairing_columns_follows_every_write(tmp_path, monkeypatch):
    """The digest keeps its week of pairing columns between digests (schema 6) and reads only
    what came since: new and late messages, one dated after the window read before, a window
    moved either way, a new platform, and changes written around the store (an update, a
    REPLACE without triggers, a delete) all give the columns a fresh read gives."""
    added = []
    kept_added = store_module._KeptWeek._added
    monkeypatch.setattr(store_module._KeptWeek, "_added", staticmethod(
        lambda *args: added.append(1) or kept_added(*args)))
    store = varied_store(tmp_path / "k.db", 2)
    now = START + timedelta(days=13, hours=8)
    gap = metrics_config(CONFIG).gap

    def message(mid: str, at: datetime, **kw) -> Message:
        return Message(kw.pop("platform", "messenger"), mid, "dm", False, Author(kw.pop("who", "k1")),
                       "Waar blijft mijn medaille?", at, conversation_id="t-k1", **kw)

    def same(since: datetime, until: datetime) -> None:
        kept = store.digest_response_columns(since, gap, until)
        fresh = store_module._in_order(store_module.read_columns(store.conn, since, gap=gap, until=until,
                                                                 row_ids=True))
        assert kept.platforms == fresh.platforms and list(kept.ref) == list(fresh.ref)
        assert kept.author_names == fresh.author_names
        for name in ("ts", "flags", "thread", "author", "store_rows"):
            assert np.array_equal(getattr(kept, name), getattr(fresh, name)), name

    try:
        with store.transaction():  # stored before the first read, dated after its window
            store.save_messages([message("ahead", now + timedelta(minutes=90))], "fb", START)
        week = now - timedelta(days=7)
        same(week, now)
        same(week, now)
        with store.transaction():
            store.save_messages([message("new", now + timedelta(minutes=30)),
                                 message("answer", now + timedelta(minutes=40), who="brand", from_brand=True),
                                 message("late", now - timedelta(days=3))], "fb", START)
        same(week + timedelta(hours=2), now + timedelta(hours=2))
        same(week + timedelta(hours=2), now - timedelta(days=1))  # an earlier end
        same(week + timedelta(hours=3), now + timedelta(hours=2))
        assert len(added) == 4  # each from what was kept
        with store.transaction():
            store.save_messages([message("m1", now + timedelta(hours=1), platform="mastodon")], "m", START)
        window = (week + timedelta(hours=3), now + timedelta(hours=2))
        same(*window)  # another platform: read again
        same(*window)
        assert len(added) == 5
        foreign = sqlite3.connect(store.path)
        foreign.execute("UPDATE messages SET in_reply_to = 'new' WHERE id = 'late'")
        foreign.commit()
        same(*window)
        same(*window)
        assert len(added) == 6  # read again once, then kept again
        row = foreign.execute("SELECT * FROM messages WHERE id = 'answer'").fetchone()
        foreign.execute(f"INSERT OR REPLACE INTO messages VALUES ({', '.join('?' * len(row))})", row)
        foreign.commit()
        foreign.close()
        same(*window)
        store.conn.execute("DELETE FROM messages WHERE id = 'new'")
        same(*window)
        assert len(added) == 6  # each change was seen: read again
    finally:
        store.close()


# -- schema 5: a store written before the roll-up and the inbox index --------------------------------

def as_schema_4(path) -> None:
    """Take a store back to schema 4: no volume roll-up, change counter or their triggers, the
    old inbox index."""
    connection = sqlite3.connect(path)
    for (trigger,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        connection.execute(f"DROP TRIGGER {trigger}")
    connection.execute("DROP TABLE volume")
    connection.execute("DROP TABLE message_changes")
    connection.execute("DROP INDEX idx_messages_inbox")
    connection.execute("CREATE INDEX idx_messages_private ON messages (platform, ts) WHERE public = 0")
    connection.execute("DELETE FROM schema_version WHERE version >= 5")
    connection.execute("INSERT OR IGNORE INTO schema_version (version) VALUES (4)")
    connection.commit()
    connection.close()


def digests(store: Store) -> list:
    now = START + timedelta(days=13, hours=8)
    return [build_digest(store, CONFIG, period, now) for period in (
        today_so_far(now, AMS), day_period(now.date() - timedelta(days=1), AMS),
        week_period(now.date() - timedelta(days=7), AMS))]


def test_a_schema_4_store_gets_the_roll_up_and_gives_the_same_digests(tmp_path):
    store = varied_store(tmp_path / "d.db", 4)
    expected = digests(store)
    store.close()
    as_schema_4(tmp_path / "d.db")
    store = Store(tmp_path / "d.db")
    try:
        assert store.conn.execute("SELECT max(version) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
        assert {"idx_messages_inbox", "idx_volume"} <= {name for (name,) in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert digests(store) == expected
        with store.transaction():  # and counts what comes after
            store.save_messages([Message("x", "new-1", "mention", True, Author("n1"), "Parkeren was een ramp",
                                         START + timedelta(days=13, hours=7))], "x", START)
        assert digests(store)[0].total.messages == expected[0].total.messages + 1
    finally:
        store.close()


def opened_cut_short(path, monkeypatch, step: str) -> tuple[set[str], int]:
    """Open the store with the schema step `step` (a list of statements in webcare.store)
    failing after its last statement, as a kill there would; return the names left in the
    database and its schema version. The step is whole again afterwards."""
    monkeypatch.setattr(f"webcare.store.{step}", (*getattr(store_module, step), "SELECT * FROM gone"))
    with pytest.raises(StoreError):
        Store(path)
    monkeypatch.undo()
    connection = sqlite3.connect(path)
    try:
        names = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
        (version,) = connection.execute("SELECT max(version) FROM schema_version").fetchone()
    finally:
        connection.close()
    return names, version


def test_a_roll_up_cut_short_leaves_schema_4_and_is_done_again(tmp_path, monkeypatch):
    store = varied_store(tmp_path / "d.db", 5)
    expected = digests(store)
    store.close()
    as_schema_4(tmp_path / "d.db")
    names, version = opened_cut_short(tmp_path / "d.db", monkeypatch, "_BACKFILL_VOLUME")  # after the roll-up's rows
    assert "volume" not in names and not any(name.startswith("volume_") for name in names)
    assert version == 4
    store = Store(tmp_path / "d.db")
    try:
        assert digests(store) == expected
        assert store.conn.execute("SELECT sum(count) FROM volume WHERE NOT scored").fetchone() == (
            store.count_messages(),)
    finally:
        store.close()


def test_a_change_counter_cut_short_leaves_schema_5_and_is_done_again(tmp_path, monkeypatch):
    store = varied_store(tmp_path / "d.db", 6)
    expected = digests(store)
    store.close()
    connection = sqlite3.connect(tmp_path / "d.db")  # back to schema 5
    connection.execute("DROP TRIGGER messages_changed")
    connection.execute("DROP TRIGGER messages_removed")
    connection.execute("DROP TABLE message_changes")
    connection.execute("DROP INDEX idx_messages_brand")
    connection.execute("DELETE FROM schema_version WHERE version >= 6")
    connection.execute("INSERT OR IGNORE INTO schema_version (version) VALUES (5)")
    connection.commit()
    connection.close()
    names, version = opened_cut_short(tmp_path / "d.db", monkeypatch, "_CHANGES")  # after the counter and its triggers
    assert not {"message_changes", "messages_changed", "messages_removed"} & names
    assert version == 5
    store = Store(tmp_path / "d.db")
    try:
        assert store.conn.execute("SELECT max(version) FROM schema_version").fetchone() == (store_module.SCHEMA_VERSION,)
        assert store.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'idx_messages_brand'").fetchone()
        assert digests(store) == expected
        store.conn.execute("UPDATE messages SET ts = ts + 1 WHERE rowid = 1")
        store.conn.execute("DELETE FROM messages WHERE rowid = 2")
        assert store.conn.execute("SELECT count FROM message_changes").fetchone() == (2,)
        with store.transaction():  # inserts and edited texts are not counted
            store.save_messages([Message("x", "new-1", "mention", True, Author("n1"), "Parkeren was een ramp",
                                         START + timedelta(days=13, hours=7))], "x", START)
            store.save_messages([Message("x", "new-1", "mention", True, Author("n1"), "Parkeren was een ramp!",
                                         START + timedelta(days=13, hours=7))], "x", START)
        assert store.conn.execute("SELECT count FROM message_changes").fetchone() == (2,)
    finally:
        store.close()


def test_the_bot_loads_the_holiday_calendar_at_start_not_at_the_first_digest(tmp_path):
    """The first /digest used to import the country's holiday module (0.2 s); the start-up
    warm-up does it now, in a fresh process, without touching the calendars the digest uses."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import sys, threading
        from webcare import config
        from webcare.digest.build import digest_provider, metrics_config
        from webcare.store import Store
        cfg = config.default()
        before = "holidays.countries.netherlands" in sys.modules
        digest_provider(cfg, Store({str(tmp_path / "w.db")!r}))
        for thread in threading.enumerate():
            if thread.name == "digest-warm-up":
                thread.join(60)
        print(before, "holidays.countries.netherlands" in sys.modules,
              metrics_config(cfg).default_hours._years)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "None"]
