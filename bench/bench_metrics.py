"""Benchmark: first-response metrics over a million stored messages.

Target (issue 7): computing the metrics over 1,000,000 stored messages takes under 2 s on
one core. The script builds a synthetic SQLite store through the store itself (`Store`,
its schema and `save_messages`, so every row gets its thread id and author key; cached in bench/out/,
rebuilt with --fresh; like the pipeline, it marks recognised auto-replies as `automated`
before storing), then measures what `webcare metrics --db` does:

  cold   a fresh Python process per run (modules imported, database file never opened by
         it before; the OS page cache holds the file, since it was just built or read):
         the bulk SQL read into columns, the pairing, and the figures with responder names
         (including the first business-hours calendar and holiday lookup of the process)
  warm   pairing and figures again in this process, columns already in memory

Baselines measured in the same run: reading just the `ts` column one row at a time (the
floor for handing every row to Python as a tuple), and reading the eleven raw columns a
naive implementation would fetch. The variant that re-checks every brand text in SQL is
timed once for comparison.

    python bench/bench_metrics.py [--rows 1000000] [--fresh] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webcare.commands_metrics import responder_names  # noqa: E402
from webcare.store import read_columns  # noqa: E402
from webcare.metrics import (  # noqa: E402
    CompactRows, MetricsConfig, compact_rows_query, first_responses_from_columns,
    first_responses_from_rows, format_report, gc_paused, mark_auto_reply, report_from_pairs,
)
from webcare.models import Author, Message  # noqa: E402
from webcare.store import Store  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
GENERATOR_VERSION = 5  # 4: written through `Store` (thread ids), 5: and author keys
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
DAYS = 180

CUSTOMER_TEXTS = [
    "Mijn pakket is nog steeds niet bezorgd, wat is er aan de hand?",
    "Hoi, ik heb een vraag over mijn factuur van vorige maand.",
    "Why was I charged twice for my order?? Not happy.",
    "De app crasht steeds bij het inloggen 😡",
    "Can someone help me change my delivery address?",
    "Al drie keer gebeld en nog steeds geen antwoord. Belachelijk.",
    "Top service, dank jullie wel! 👍",
    "Is de winkel in Utrecht morgen open?",
]
ANSWER_TEXTS = [
    "Wat vervelend! Ik heb je pakket opnieuw laten versturen, je ontvangt het morgen.",
    "Hi! I've refunded the double charge, you'll see it within a few days. ^LK",
    "Dank voor je bericht. Je factuur is aangepast, je vindt hem in Mijn Account.",
    "Sorry to hear that. Can you DM us your order number?",
    "Die storing is inmiddels verholpen, probeer je het nog eens? ^SV",
    "Yes, the Utrecht store is open tomorrow from 9 to 18.",
]
TEMPLATE_TEXTS = [
    "Bedankt voor je bericht! We reageren zo snel mogelijk.",
    "Thanks for reaching out, we'll get back to you as soon as possible.",
    "Je krijgt z.s.m. antwoord van een van onze medewerkers.",
]
AGENTS = [f"agent-{i}" for i in range(1, 9)]
CHANNELS = [  # (platform, kind, public, weight)
    ("facebook", "dm", 0, 30), ("instagram", "dm", 0, 10), ("email", "email", 0, 20),
    ("facebook", "comment", 1, 25), ("x", "mention", 1, 15),
]


def generate(rows_wanted: int, seed: int = 7) -> list[Message]:
    """Conversations with delays, auto-replies, follow-ups and unanswered messages."""
    rnd = random.Random(seed)
    weights = [c[3] for c in CHANNELS]
    span = DAYS * 86400
    base = START.timestamp()
    out: list[Message] = []
    seq = 0
    post_of: dict[str, tuple[str, float]] = {}

    def add(platform, kind, public, author, text, ts, conv, reply_to, brand, automated):
        nonlocal seq
        seq += 1
        mid = f"{platform[:2]}{seq}"
        out.append(Message(
            platform=platform, id=mid, kind=kind, public=bool(public), author=Author(author, author),
            text=text, created_at=datetime.fromtimestamp(ts, timezone.utc), conversation_id=conv,
            in_reply_to=reply_to, from_brand=bool(brand), automated=bool(automated)))
        return mid

    while len(out) < rows_wanted:
        platform, kind, public, _ = rnd.choices(CHANNELS, weights)[0]
        customer = f"c{rnd.randrange(200_000)}"
        t = base + rnd.random() * span
        if public and platform == "facebook":
            day = int((t - base) // 86400)
            post_key = f"{day}-{rnd.randrange(3)}"
            if post_key not in post_of:
                post_t = base + day * 86400 + 8 * 3600
                post_of[post_key] = (add(platform, "post", 1, "brand-page", "Nieuwe actie!", post_t,
                                         None, None, 1, 0), post_t)
            conv, post_t = post_of[post_key]
            t = max(t, post_t + 60)
        else:
            conv = None
        first = None
        for turn in range(rnd.choice((1, 1, 1, 2, 2, 3))):
            for _ in range(rnd.choice((1, 1, 1, 2))):
                mid = add(platform, kind, public, customer, rnd.choice(CUSTOMER_TEXTS), t,
                          conv if public else f"{platform}-{customer}",
                          first if public else None, 0, 0)
                first = first or mid
                conv = conv or (mid if public else f"{platform}-{customer}")
                t += rnd.expovariate(1 / 120)
            if not public and rnd.random() < 0.5:  # auto-reply, flagged or just template text
                flagged = rnd.random() < 0.6
                add(platform, kind, public, "brand", rnd.choice(TEMPLATE_TEXTS), t + 5, conv, None,
                    1, 1 if flagged else 0)
            if rnd.random() < 0.15:
                break  # never answered
            t += rnd.lognormvariate(7.5, 1.5)  # median ~30 min, long tail
            add(platform, kind, public, rnd.choice(AGENTS), rnd.choice(ANSWER_TEXTS), t, conv,
                mid if public else None, 1, 0)
            t += rnd.expovariate(1 / 3600)
    out = out[:rows_wanted]
    out.sort(key=lambda m: m.created_at.timestamp() + rnd.random() * 30)  # arrival order, slightly out of order
    return [mark_auto_reply(m) for m in out]  # what the pipeline does before storing


def build_db(path: Path, rows_wanted: int) -> None:
    """The synthetic store, written in the pipeline's batches of 5,000 per transaction."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        leftover.unlink(missing_ok=True)
    t0 = time.perf_counter()
    messages = generate(rows_wanted)
    store = Store(tmp)
    for i in range(0, len(messages), 5000):
        with store.transaction():
            store.save_messages(messages[i:i + 5000], "bench", START)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    tmp.replace(path)
    print(f"built {path.name}: {rows_wanted:,} rows in {time.perf_counter() - t0:.1f} s")


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def fetch(db: sqlite3.Connection, sql: str, params: tuple = ()) -> list[tuple]:
    """Read all rows with the cycle collector paused (it would otherwise rescan the growing
    list of tuples again and again)."""
    with gc_paused():
        return db.execute(sql, params).fetchall()


def cold_run(path: Path, now: datetime) -> dict[str, float]:
    """One measurement in this (fresh) process: what `webcare metrics --db` computes."""
    config = MetricsConfig()
    cpu, t0 = time.process_time(), time.perf_counter()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    columns = read_columns(db)
    t1 = time.perf_counter()
    pairs = first_responses_from_columns(columns, config.gap)
    t2 = time.perf_counter()
    report_from_pairs(pairs, now, config, responder_names=responder_names(db, pairs.responders))
    t3 = time.perf_counter()
    return {"sql": t1 - t0, "pair": t2 - t1, "figures": t3 - t2, "total": t3 - t0,
            "cpu": time.process_time() - cpu, "messages": len(columns)}


def same_as_row_by_row(db: sqlite3.Connection, columns, pairs, now: datetime, config: MetricsConfig) -> bool:
    """Whether the per-row compact read (the digest's) pairs and reports exactly the same."""
    platforms = columns.platforms[:-1]
    sql, params = compact_rows_query(platforms)
    slow = first_responses_from_rows(CompactRows(columns.platforms, fetch(db, sql, params)), config.gap)
    same = all(np.array_equal(getattr(slow, f), getattr(pairs, f), equal_nan=True)
               for f in ("row", "ts", "flags", "platform", "opener", "ack", "answer"))
    same &= [slow.responders[i] if i >= 0 else None for i in slow.responder.tolist()] == \
        [pairs.responders[i] if i >= 0 else None for i in pairs.responder.tolist()]
    return same and report_from_pairs(slow, now, config) == report_from_pairs(pairs, now, config)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--fresh", action="store_true", help="rebuild the synthetic database")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs")
    ap.add_argument("--report", action="store_true", help="print the metrics report")
    ap.add_argument("--cold-run", type=Path, help=argparse.SUPPRESS)  # the child process
    args = ap.parse_args()
    now = START + timedelta(days=DAYS + 1)
    if args.cold_run:
        print(json.dumps(cold_run(args.cold_run, now)))
        return

    path = OUT / f"metrics_{args.rows}_v{GENERATOR_VERSION}.db"
    if args.fresh or not path.exists():
        build_db(path, args.rows)
    db = sqlite3.connect(path)
    config = MetricsConfig()

    floor = min(timed(lambda: fetch(db, "SELECT ts FROM messages"))[1] for _ in range(args.repeat))
    naive = min(timed(lambda: fetch(
        db, "SELECT platform, id, kind, public, author_id, ts, conversation_id, in_reply_to, "
            "from_brand, automated, text FROM messages"))[1] for _ in range(args.repeat))
    _, recheck = timed(lambda: read_columns(db, recheck_text=True))

    runs = [json.loads(subprocess.run(
        [sys.executable, __file__, "--cold-run", str(path)], check=True, capture_output=True,
        text=True).stdout) for _ in range(args.repeat)]
    best = min(runs, key=lambda run: run["total"])
    total, n = best["total"], best["messages"]

    columns = read_columns(db)
    pairs = first_responses_from_columns(columns, config.gap)
    report = report_from_pairs(pairs, now, config)
    warm = min(timed(lambda: report_from_pairs(
        first_responses_from_columns(columns, config.gap), now, config))[1] for _ in range(args.repeat))
    same = same_as_row_by_row(db, columns, pairs, now, config)

    print(f"messages:                 {n:,}")
    print(f"SQL read (columns):       {best['sql']:.2f} s")
    print(f"pairing:                  {best['pair']:.2f} s")
    print(f"figures:                  {best['figures']:.2f} s")
    each = ", ".join(f"{run['total']:.2f}" for run in runs)
    print(f"total, cold:              {total:.2f} s  ({n / total:,.0f} messages/s; target < 2 s; "
          f"{best['cpu']:.2f} s CPU; best of {args.repeat} fresh processes: {each})")
    print(f"total, columns in memory: {warm:.2f} s  ({n / warm:,.0f} messages/s)")
    print(f"same pairs and figures as the row-by-row read: {'yes' if same else 'NO'}")
    print(f"baseline SELECT ts only:  {floor:.2f} s  -> cold total is {total / floor:.1f}x the floor")
    print(f"naive 11-column read:     {naive:.2f} s  -> cold total is {total / naive:.2f}x a bare read")
    print(f"SQL read re-checking every brand text: {recheck:.2f} s "
          f"({recheck / best['sql']:.1f}x the read that trusts the stored flag)")
    if args.report:
        print()
        print(format_report(report))


if __name__ == "__main__":
    main()
