"""Alert latency: from a poll returning a message to its alert reaching the Telegram server.

    python bench/bench_latency.py [--rates 10,100,1000] [--seconds 20] [--probes 2] [--json]

The bot runs as `webcare run` wires it: the real runner (APScheduler, one Coordinator polling
every second), store (SQLite file, WAL), classifier, all bundled playbooks, the outbox and the
Telegram sink (python-telegram-bot with AIORateLimiter). Telegram is the fake Bot API in a separate
process (so it does not share the bot's event loop or core). The connector is an in-memory source
that releases synthetic traffic (`webcare.scenario.generate_traffic`) at the offered rate, so
each poll returns what arrived since the last one, in pages of 500. The generator's people write
several times over days; released at 1,000 msg/s those days shrink to seconds and the repeat-
contact playbook would fire hundreds of times a second, so by default every background message
gets its own author (storms and urgent messages still alert). `--same-authors` keeps them: then
the alert flood, throttled to Telegram's 30 messages/s, is what the probes wait behind.

Latency probes: `--probes` per second of the offered messages are a customer's second direct
message; a probe playbook (repeat contact, 2 contacts) opens an incident on it, whose alert goes
to its own chat. Latency = arrival of that sendMessage at the fake server (time.monotonic, the
same clock in both processes) minus the moment the connector's poll returned the probe. p99 of
fewer than 100 probes is close to the maximum; `--seconds 60` gives more.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing as mp
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

TEAM, PROBES = 11, 12
PAGE = 500
PROBE_PLAYBOOK = """
name = "latency-probe"
trigger = "repeat_contact"
severity = "high"
notify = ["probes"]
[match]
kinds = ["dm"]
keywords = ["latency-probe"]
[repeat_contact]
min_contacts = 2
min_channels = 1
merge_minutes = 0
link_by_name = false
[incident]
update_every_minutes = 60
close_after_minutes = 1440
cooldown_minutes = 0
"""


# --- the fake Telegram server, in its own process --------------------------------------------------

def serve_fake_telegram(conn) -> None:
    """Child process: run the fake Bot API, report its URL and token, record every alert call."""
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]
    from aiohttp import web

    from fakes.telegram_api import FakeBotApi

    class Recording(FakeBotApi):
        def __init__(self) -> None:
            super().__init__()
            self.arrivals: list[tuple[float, str, int, str]] = []

        async def _handle(self, request: web.Request) -> web.Response:
            arrived = time.monotonic()
            response = await super()._handle(request)
            method = request.match_info["method"].lower()
            if method in ("sendmessage", "editmessagetext") and self.calls:
                params = self.calls[-1][1]
                self.arrivals.append((arrived, method, int(params.get("chat_id") or 0),
                                      str(params.get("text", ""))[:300]))
            return response

    async def main() -> None:
        fake = await Recording().start()
        fake.add_chat(TEAM)
        fake.add_chat(PROBES)
        conn.send((fake.base_url, fake.token))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # until the bench says stop
        conn.send(fake.arrivals)
        await fake.stop()

    asyncio.run(main())


# --- the source: synthetic traffic released at the offered rate ------------------------------------

class OfferedLoad:
    """A connector whose poll returns every message released since the last poll (pages of PAGE).

    The first poll returns each probe customer's first message (the warm-up); the clock of the
    offered load starts when it returns.
    """

    name = "offered-load"

    def __init__(self, rate: float, seconds: float, probes_per_second: float, same_authors: bool = False):
        from webcare.models import Message
        from webcare.scenario import generate_traffic

        self.rate = rate
        total = int(rate * seconds)
        every = max(1, round(rate / probes_per_second))
        n_probes = total // every
        traffic = iter(generate_traffic(total, seed=5))
        placeholder = datetime.now(timezone.utc)
        self.stream: list[tuple[int | None, Message]] = []
        probe = 0
        for k in range(total):
            if k % every == 0 and probe < n_probes:
                self.stream.append((probe, self._probe(probe, 2, placeholder)))
                probe += 1
            else:
                d = next(traffic)
                d["id"], d["created_at"] = f"bg{k}-{d['id']}", placeholder.isoformat()
                if not same_authors and not d.get("from_brand"):
                    d["author"] = {"id": f"bg{k}", "name": f"Klant {k}"}
                self.stream.append((None, Message.from_dict(d)))
        self.warmup = [self._probe(i, 1, placeholder - timedelta(minutes=1)) for i in range(n_probes)]
        self.probes = n_probes
        self.started: float | None = None
        self.sent = 0
        self.returned_at: dict[int, float] = {}
        self.lag: list[float] = []  # how long released messages waited for a poll

    def _probe(self, i: int, attempt: int, when: datetime):
        from webcare.models import Author, Message

        return Message("bench", f"probe-{i}-{attempt}", "dm", False, Author(f"probe-{i}", f"Probe {i}"),
                       f"latency-probe {i}: waar blijft mijn pakket? (poging {attempt})", when,
                       conversation_id=f"probe-{i}")

    async def poll(self, cursor: str | None):
        from webcare.models import Batch

        now = datetime.now(timezone.utc)
        if self.started is None:
            batch = Batch(tuple(replace(m, created_at=now - timedelta(minutes=1)) for m in self.warmup), "warm")
            self.started = time.monotonic()
            return batch
        due = min(len(self.stream), int((time.monotonic() - self.started) * self.rate))
        chunk = self.stream[self.sent:min(due, self.sent + PAGE)]
        messages = tuple(replace(m, created_at=now) for _, m in chunk)
        if chunk:
            released = self.started + self.sent / self.rate
            self.lag.append(time.monotonic() - released)
        self.sent += len(chunk)
        returned = time.monotonic()
        for probe, _ in chunk:
            if probe is not None:
                self.returned_at[probe] = returned
        return Batch(messages, str(self.sent), more=due > self.sent)

    async def aclose(self) -> None:
        return None


# --- one load level -------------------------------------------------------------------------------

@dataclass
class Level:
    rate: float
    seconds: float
    offered: int = 0
    ingested: int = 0
    probes: int = 0
    alerted: int = 0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    max_ms: float = float("nan")
    other_alert_calls: int = 0
    poll_lag_p99_ms: float = float("nan")


async def _run_level(rate: float, seconds: float, probes_per_second: float, url: str, token: str,
                     workdir: Path, same_authors: bool) -> tuple[Level, OfferedLoad]:
    from connectors import ConnectorContext  # noqa: F401 - the registry loads the real connectors
    from webcare import config
    from webcare.clock import SystemClock
    from webcare.engine import Engine
    from webcare.pipeline import Pipeline
    from webcare.playbooks import load_dir
    from webcare.runner import Coordinator, RetryPolicy, run_live
    from webcare.store import Store
    from webcare.telegram.service import start_telegram

    books = workdir / "probe-playbook"
    books.mkdir(exist_ok=True)
    (books / "probe.toml").write_text(PROBE_PLAYBOOK, encoding="utf-8")
    clock = SystemClock()
    store = Store(workdir / f"latency-{rate:g}.db")
    pipeline = Pipeline(store, Engine([*load_dir(None), *load_dir(books)]), [], tick_seconds=60)
    pipeline.classifier.score(OfferedLoad(1, 1, 1).warmup[0])  # load the lexicons before timing
    cfg = config.from_dict({"telegram": {"api_base_url": url, "people": {"alice": TEAM},
                                         "chats": {"team": TEAM, "lead": TEAM, "probes": PROBES}}})
    handle = await start_telegram(cfg, pipeline, clock.now, environ={"WEBCARE_TELEGRAM_TOKEN": token},
                                  poll_timeout=10, release_every=3600)
    await asyncio.wait_for(handle.ready.wait(), 30)
    source = OfferedLoad(rate, seconds, probes_per_second, same_authors)
    coord = Coordinator(source, pipeline, RetryPolicy(interval=1.0, jitter=0, initial=1, cap=5), clock.now)
    stop = asyncio.Event()
    runner = asyncio.create_task(run_live(pipeline, [coord], now=clock.now, tick_seconds=60, stop=stop))
    deadline = time.monotonic() + seconds + 30
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        if source.sent >= len(source.stream) and store.pending_count("telegram") == 0 and \
                len(source.returned_at) == source.probes:
            break
    await asyncio.sleep(1.0)  # let the last alert calls land
    stop.set()
    await runner
    await handle.stop()
    level = Level(rate, seconds, offered=len(source.stream), ingested=store.count_messages() - len(source.warmup),
                  probes=source.probes)
    store.close()
    if source.lag:
        level.poll_lag_p99_ms = _pct(source.lag, 99) * 1000
    return level, source


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def measure(rates: list[float], seconds: float, probes_per_second: float,
            same_authors: bool = False) -> list[Level]:
    ctx = mp.get_context("spawn")
    results = []
    for rate in rates:
        parent, child = ctx.Pipe()
        server = ctx.Process(target=serve_fake_telegram, args=(child,), daemon=True)
        server.start()
        url, token = parent.recv()
        with tempfile.TemporaryDirectory(prefix="webcare-latency-") as tmp:
            level, source = asyncio.run(_run_level(rate, seconds, min(probes_per_second, rate / 5), url, token,
                                                   Path(tmp), same_authors))
        parent.send("stop")
        arrivals = parent.recv()
        server.join(10)
        first: dict[int, float] = {}
        for arrived, method, chat, text in arrivals:
            match = re.search(r"Probe (\d+) contacted us", text)
            if chat == PROBES and method == "sendmessage" and match:
                first.setdefault(int(match.group(1)), arrived)
            elif chat != PROBES:
                level.other_alert_calls += 1
        latencies = [first[p] - t0 for p, t0 in source.returned_at.items() if p in first]
        level.alerted = len(latencies)
        if latencies:
            level.p50_ms = statistics.median(latencies) * 1000
            level.p99_ms = _pct(latencies, 99) * 1000
            level.max_ms = max(latencies) * 1000
        results.append(level)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="alert latency p50/p99 at several offered loads")
    parser.add_argument("--rates", default="10,100,1000", help="offered messages per second, comma separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of offered load per rate")
    parser.add_argument("--probes", type=float, default=2.0, help="latency probes per second (at most rate/5)")
    parser.add_argument("--same-authors", action="store_true",
                        help="keep the generator's authors (a flood of repeat-contact alerts at high rates)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the bot's own log lines are not the point here
    levels = measure([float(r) for r in args.rates.split(",")], args.seconds, args.probes, args.same_authors)
    if args.json:
        print(json.dumps([vars(level) for level in levels]))
        return
    print(f"{'offered msg/s':>13} {'ingested':>9} {'probes':>7} {'alerted':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'poll lag p99 ms':>15} {'other alert calls':>17}")
    for lv in levels:
        print(f"{lv.rate:>13,.0f} {lv.ingested:>9,} {lv.probes:>7} {lv.alerted:>8} {lv.p50_ms:>8.0f} "
              f"{lv.p99_ms:>8.0f} {lv.max_ms:>8.0f} {lv.poll_lag_p99_ms:>15.0f} {lv.other_alert_calls:>17}")


if __name__ == "__main__":
    main()
