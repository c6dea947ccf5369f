"""The store at scale: insert rate, database size, /queue and /digest times, and the bot's memory.

    python bench/bench_store.py [--sizes 10000,100000] [--full] [--json] [--keep DIR]

For each size N (`--full` adds 1,000,000):
1. N synthetic messages (`webcare.scenario.generate_traffic`, ~2 s apart, so 1M span about five
   weeks), shifted so the newest is now, are written through the real `Store` API the pipeline
   uses (`save_messages` + `save_scores`, one transaction per 5,000, WAL): insert rate, and the
   database size afterwards. Scores are computed once per distinct text (the generator repeats
   texts) so the figure is the store's, not the classifier's (bench_replay measures that).
2. A real `webcare run` process opens that database, with Telegram pointed at the fake Bot API
   (in this process) and no connectors. `/queue` and `/digest` are sent as a person would; the
   time is from the command entering Telegram's update queue to the bot's reply arriving, three
   times each (the first is cold). The bot's peak RSS (VmHWM) is read from /proc afterwards.
With `--keep DIR` the databases stay in DIR, and a run finding one there times it again without
building it (a database of an older store schema is migrated first, untimed, as the bot would).
Baseline measured in the same run: a bare `SELECT count(*)` and a full read of the `ts` column,
the floor for any query that touches every row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

ALICE = 11
BATCH = 5000


@dataclass
class SizeResult:
    messages: int
    insert_per_s: float = 0.0
    insert_s: float = 0.0
    db_mb: float = 0.0
    count_ms: float = 0.0  # baseline: SELECT count(*)
    scan_ts_ms: float = 0.0  # baseline: read every row's ts
    startup_s: float = 0.0
    help_ms: list[float] = field(default_factory=list)  # baseline: /help, the command path alone
    queue_ms: list[float] = field(default_factory=list)
    digest_ms: list[float] = field(default_factory=list)
    queue_window: int = 0  # messages in /queue's 7-day window
    rss_mb: float = 0.0
    rss_idle_mb: float = 0.0


# --- building the database --------------------------------------------------------------------------

def build(path: Path, n: int) -> tuple[float, int]:
    """Write n messages through the Store API; return (seconds spent inserting, messages stored)."""
    from webcare.classify import Classifier
    from webcare.models import Message
    from webcare.scenario import generate_traffic
    from webcare.store import Store

    last = None
    for d in generate_traffic(n, seed=11):
        last = d["created_at"]
    shift = datetime.now(timezone.utc) - datetime.fromisoformat(last)
    classifier = Classifier()
    cache: dict[tuple, object] = {}
    store = Store(path)
    spent = 0.0
    batch: list = []
    now = datetime.now(timezone.utc)

    def flush() -> float:
        scored = []
        for m in batch:
            key = (m.text, m.public, m.kind, (m.author.followers or 0) >= 10000)
            if key not in cache:
                cache[key] = classifier.score(m)
            scored.append((m, cache[key]))
        started = time.perf_counter()
        with store.transaction():
            new = {m.uid for m in store.save_messages(batch, "bench", now)}
            store.save_scores([(m, s) for m, s in scored if m.uid in new])
        batch.clear()
        return time.perf_counter() - started

    for d in generate_traffic(n, seed=11):
        m = Message.from_dict(d)
        batch.append(replace(m, created_at=m.created_at + shift))
        if len(batch) >= BATCH:
            spent += flush()
    if batch:
        spent += flush()
    stored = store.count_messages()
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return spent, stored


def migrate(path: Path) -> None:
    """Bring a kept database to the current schema before it is timed, so that the bot's
    start and the baselines see what a freshly built one would be."""
    from webcare.store import Store

    Store(path).close()


def baselines(path: Path) -> tuple[float, float]:
    conn = sqlite3.connect(path)
    started = time.perf_counter()
    conn.execute("SELECT count(*) FROM messages").fetchone()
    count = time.perf_counter() - started
    started = time.perf_counter()
    for _ in conn.execute("SELECT ts FROM messages"):
        pass
    scan = time.perf_counter() - started
    conn.close()
    return count * 1000, scan * 1000


# --- the bot process and the fake Telegram ----------------------------------------------------------

class FakeTelegram:
    """The fake Bot API on a background loop, recording when each reply arrives."""

    def __init__(self) -> None:
        from aiohttp import web

        from fakes.telegram_api import FakeBotApi

        class Timed(FakeBotApi):
            def __init__(self) -> None:
                super().__init__()
                self.replies: list[tuple[float, int]] = []  # (arrival, chat) of sendMessage
                self.polls = 0

            async def _handle(self, request: web.Request) -> web.Response:
                arrived = time.monotonic()
                method = request.match_info["method"].lower()
                if method == "getupdates":
                    self.polls += 1
                response = await super()._handle(request)
                if method == "sendmessage":
                    self.replies.append((arrived, int(self.calls[-1][1].get("chat_id") or 0)))
                return response

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.api = self.run(Timed().start())
        self.api.add_chat(ALICE)
        self.user = self.api.user(ALICE, "alice")

    def run(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def ask(self, command: str, timeout: float = 300) -> float:
        """Send a command as alice; seconds until the bot's (first) reply reached Telegram."""
        async def push() -> float:
            self.api.command(ALICE, self.user, command)
            return time.monotonic()

        sent = self.run(push())
        deadline = time.monotonic() + timeout
        answered = float("nan")
        while time.monotonic() < deadline:
            replies = [at for at, chat in self.api.replies if at >= sent and chat == ALICE]
            if replies:
                answered = replies[0] - sent
                break
            time.sleep(0.002)
        settle = time.monotonic() + 0.3  # let a reply in several parts finish before the next command
        while time.monotonic() < settle:
            time.sleep(0.01)
        return answered

    def close(self) -> None:
        self.run(self.api.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _status_kb(pid: int, key: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return float("nan")


def run_bot(db: Path, workdir: Path, telegram: FakeTelegram, result: SizeResult, repeat: int = 3) -> None:
    config = workdir / "bench.toml"
    config.write_text(f"""
[store]
path = "{db}"
[alerts]
console = false
[digest]
enabled = false  # no scheduled digest: /digest is measured on demand
[telegram]
token_env = "BENCH_TELEGRAM_TOKEN"
api_base_url = "{telegram.api.base_url}"
people = {{ alice = {ALICE} }}
chats = {{ team = {ALICE} }}
""", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path]),
           "BENCH_TELEGRAM_TOKEN": telegram.api.token}
    polls = telegram.api.polls
    started = time.monotonic()
    with open(workdir / "bot.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "webcare.cli", "run", "--config", str(config)],
                                cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        while telegram.api.polls == polls and proc.poll() is None and time.monotonic() - started < 300:
            time.sleep(0.01)
        result.startup_s = time.monotonic() - started
        result.rss_idle_mb = _status_kb(proc.pid, "VmRSS") / 1024
        for _ in range(repeat):
            result.help_ms.append(telegram.ask("/help") * 1000)
        for _ in range(repeat):
            result.queue_ms.append(telegram.ask("/queue") * 1000)
        for _ in range(repeat):
            result.digest_ms.append(telegram.ask("/digest") * 1000)
        result.rss_mb = _status_kb(proc.pid, "VmHWM") / 1024
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def queue_window(db: Path) -> int:
    conn = sqlite3.connect(db)
    since = time.time() - 7 * 86400
    n = conn.execute("SELECT count(*) FROM messages WHERE ts >= ?", (since,)).fetchone()[0]
    conn.close()
    return n


def measure(sizes: list[int], keep: Path | None = None) -> list[SizeResult]:
    telegram = FakeTelegram()
    results = []
    try:
        for n in sizes:
            with tempfile.TemporaryDirectory(prefix="webcare-store-") as tmp:
                results.append(measure_size(n, keep or Path(tmp), telegram, reuse=keep is not None))
                print(_row(results[-1]), file=sys.stderr, flush=True)
    finally:
        telegram.close()
    return results


def measure_size(n: int, work: Path, telegram: FakeTelegram, reuse: bool) -> SizeResult:
    """One size; with `reuse`, a database `work` already holds for n is timed again (its
    insert rate is not measured, and its newest message is as old as the database)."""
    work.mkdir(parents=True, exist_ok=True)
    db = work / f"store-{n}.db"
    result = SizeResult(n)
    if not (reuse and db.exists()):
        result.insert_s, stored = build(db, n)
        result.insert_per_s = stored / result.insert_s
    else:
        migrate(db)
    result.db_mb = sum(p.stat().st_size for p in work.glob(f"{db.name}*")) / 1e6
    result.count_ms, result.scan_ts_ms = baselines(db)
    result.queue_window = queue_window(db)
    run_bot(db, work, telegram, result)
    return result


HEADER = (f"{'messages':>10} {'insert msg/s':>12} {'DB MB':>7} {'7-day':>8} {'/queue ms':>12} "
          f"{'/digest ms':>12} {'/help ms':>10} {'bot RSS MB':>10} {'start s':>7} {'count(*) ms':>11} "
          f"{'scan ts ms':>10}")


def _row(r: SizeResult) -> str:
    def ms(values: list[float]) -> str:
        return f"{values[0]:.0f} / {statistics.median(values[1:] or values):.0f}" if values else "-"
    return (f"{r.messages:>10,} {r.insert_per_s:>12,.0f} {r.db_mb:>7.1f} {r.queue_window:>8,} {ms(r.queue_ms):>12} "
            f"{ms(r.digest_ms):>12} {ms(r.help_ms):>10} {r.rss_mb:>10.0f} {r.startup_s:>7.1f} {r.count_ms:>11.1f} "
            f"{r.scan_ts_ms:>10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="store scaling: insert rate, size, /queue, /digest, bot RSS")
    parser.add_argument("--sizes", default="10000,100000", help="message counts, comma separated")
    parser.add_argument("--full", action="store_true", help="also 1,000,000 messages (several minutes)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the databases in DIR and, when run again, time them without building "
                             "them again (building 1M takes minutes)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.full and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    print(HEADER, file=sys.stderr)
    results = measure(sizes, args.keep)
    if args.json:
        print(json.dumps([vars(r) for r in results]))
        return
    print("(/queue and /digest: first, cold / median of the next two; '7-day' = messages in /queue's window)")
    print(HEADER)
    for r in results:
        print(_row(r))


if __name__ == "__main__":
    main()
