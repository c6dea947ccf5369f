"""The `webcare` command: run, demo, replay, check-config, classify."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
import time
from datetime import timedelta, timezone
from pathlib import Path

from webcare import __version__, commands_digest, commands_metrics, config as config_mod
from webcare.settings import SettingsError
from webcare.store import StoreError

log = logging.getLogger("webcare")
STORE_CHECK_SECONDS = 1.0  # how often `webcare run` looks whether its database file is still there


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="webcare", description="Self-hosted social-media webcare bot.")
    parser.add_argument("--version", action="version", version=f"webcare {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="poll the configured connectors and alert (the main job)")
    _config_arg(p)

    p = sub.add_parser("demo", help="replay the bundled Dutch scenario at simulated speed")
    p.add_argument("--db", type=Path, help="database file (default: a fresh temporary one)")
    p.add_argument("--alerts-jsonl", type=Path, metavar="OUT", help="also write alerts as JSONL")

    p = sub.add_parser("replay", help="replay a message JSONL file on a simulated clock")
    p.add_argument("file", type=Path)
    _config_arg(p)
    p.add_argument("--db", type=Path, help="database file (default: the config's store.path)")
    p.add_argument("--alerts-jsonl", type=Path, metavar="OUT", help="write alerts as JSONL")
    p.add_argument("--quiet", action="store_true", help="do not print alerts to the console")
    p.add_argument("--batch-size", type=int, default=5000, help="messages per transaction")
    p.add_argument("--tail-minutes", type=float, default=60.0,
                   help="keep the simulated clock running this long after the last message")

    p = sub.add_parser("check-config", help="validate a config and its playbooks")
    p.add_argument("config", nargs="?", type=Path, help="config file (default: the embedded default)")

    sub.add_parser("classify", help="score message JSONL (or {id, text} lines) from stdin")

    commands_metrics.register(sub)
    commands_digest.register(sub)

    p = sub.add_parser("status", help="connector health, open incidents and queued alerts")
    _config_arg(p)
    p.add_argument("--db", type=Path, help="database file (default: the config's store.path)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not args.verbose:  # the scheduler logs every job run; webcare logs state changes itself
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    handler = {"run": cmd_run, "demo": cmd_demo, "replay": cmd_replay,
               "check-config": cmd_check_config, "classify": cmd_classify,
               "status": cmd_status, "metrics": commands_metrics.run,
               "digest": commands_digest.run}[args.command]
    try:
        return handler(args)
    except SettingsError as exc:
        _print_problems(exc)
        return 2
    except StoreError as exc:  # a corrupt or unreadable database: say which file, touch nothing
        print(f"webcare: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, default=_env_path("WEBCARE_CONFIG"),
                   help="config TOML (default: $WEBCARE_CONFIG, else the embedded default)")


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def _print_problems(exc: SettingsError) -> None:
    where = exc.source or "configuration"
    print(f"{where}: {len(exc.problems)} problem(s):", file=sys.stderr)
    for problem in exc.problems:
        print(f"  - {problem}", file=sys.stderr)


# --- commands ---------------------------------------------------------------------------

def cmd_check_config(args) -> int:
    from webcare.app import load_engine

    problems: list[str] = []
    try:
        cfg = config_mod.load(args.config)
    except SettingsError as exc:
        _print_problems(exc)
        return 1
    try:
        engine = load_engine(cfg)
    except SettingsError as exc:
        problems.extend(f"playbooks: {p}" for p in exc.problems)
        engine = None
    from webcare.digest.config import config_problems as digest_problems
    from webcare.telegram.directory import config_problems

    problems += config_problems(cfg, os.environ)
    problems += digest_problems(cfg)
    for c in cfg.connectors:
        for key, value in vars(c.options).items():
            if key.endswith("_env") and value and not os.environ.get(value):
                problems.append(f"connectors[{c.name}].{key}: environment variable {value} is not set")
    problems += _store_problems(cfg.resolve(cfg.store.path))
    if problems:
        _print_problems(SettingsError(problems, cfg.source))
        return 1
    print(f"{cfg.source}: OK")
    print(f"  store: {cfg.resolve(cfg.store.path)}")
    print(f"  connectors: {', '.join(f'{c.name} ({c.type})' for c in cfg.connectors) or 'none'}")
    print(f"  playbooks: {', '.join(b.name for b, _ in engine.books) or 'none'}")
    return 0


def _store_problems(path: Path) -> list[str]:
    """What would keep `webcare run` from opening the database, read without writing to it:
    not a database, or written by a newer webcare."""
    import sqlite3

    from webcare.store import SCHEMA_VERSION

    if not Path(path).is_file():
        return []  # created at the first start
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # not written by webcare yet
        return [f"store.path: cannot open database {path}: {exc}"]
    except sqlite3.Error as exc:
        return [f"store.path: cannot open database {path}: {exc}"]
    if found is not None and found > SCHEMA_VERSION:
        return [f"store.path: {path} was written by a newer webcare (schema {found}); this one knows "
                f"up to schema {SCHEMA_VERSION}"]
    return []


def cmd_replay(args) -> int:
    cfg = config_mod.load(args.config)
    if not args.file.exists():
        print(f"{args.file}: no such file", file=sys.stderr)
        return 1
    return _replay(cfg, args.file, db=args.db, jsonl=args.alerts_jsonl, console=not args.quiet,
                   tail=timedelta(minutes=args.tail_minutes), batch_size=max(1, args.batch_size))


def cmd_demo(args) -> int:
    from connectors.replay import bundled_demo

    cfg = config_mod.default()
    with tempfile.TemporaryDirectory(prefix="webcare-demo-") as tmp:
        db = args.db or Path(tmp) / "demo.db"
        print(f"Replaying the bundled scenario ({bundled_demo().name}) on a simulated clock...\n")
        return _replay(cfg, bundled_demo(), db=db, jsonl=args.alerts_jsonl, console=True,
                       tail=timedelta(hours=2))


def _replay(cfg, file: Path, *, db, jsonl, console: bool, tail: timedelta, batch_size: int = 5000) -> int:
    from connectors import ConnectorContext, TransientError
    from connectors.replay import Options, ReplayConnector
    from webcare.app import build_pipeline, build_sinks
    from webcare.runner import replay

    sinks = build_sinks(cfg, console=console, jsonl=jsonl)
    pipeline = build_pipeline(cfg, sinks, db=db, simulated=True)
    connector = ReplayConnector.create(f"replay:{file.resolve()}", Options(path=str(file.resolve()),
                                       batch_size=batch_size), ConnectorContext(base_dir=cfg.base_dir))
    started = time.perf_counter()
    before = pipeline.store.count_messages()
    try:
        asyncio.run(replay(pipeline, [connector], tail=tail))
    except TransientError as exc:  # the file cannot be read (a directory, gone meanwhile)
        print(f"webcare: {exc}", file=sys.stderr)
        pipeline.store.close()
        return 1
    finally:
        asyncio.run(_close(sinks))
    elapsed = time.perf_counter() - started
    store = pipeline.store
    stored = store.count_messages() - before
    alerts = store.alerts()
    rejected = len(store.quarantined())
    summary = (f"replayed {file.name}: {stored} new messages stored ({store.count_messages()} in total), "
               f"{len(alerts)} alerts on {len({a.incident for a in alerts})} incidents, "
               f"{rejected} lines quarantined, in {elapsed:.1f} s")
    print(summary, file=sys.stderr)
    store.close()
    return 0


async def _close(sinks) -> None:
    for sink in sinks:
        await sink.aclose()


def cmd_run(args) -> int:
    from connectors import ConnectorContext
    from webcare.app import build_connectors, build_pipeline, build_sinks
    from webcare.clock import SystemClock
    from webcare.runner import Coordinator, RetryPolicy, run_live
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from webcare.digest.build import digest_provider
    from webcare.digest.send import schedule_digests
    from webcare.telegram.service import start_telegram

    cfg = config_mod.load(args.config)
    clock = SystemClock()
    sinks = build_sinks(cfg)
    pipeline = build_pipeline(cfg, sinks)
    connectors = build_connectors(cfg, ConnectorContext(base_dir=cfg.base_dir, now=clock.now))
    r = cfg.runner
    coordinators = [
        Coordinator(c, pipeline, RetryPolicy(interval, r.jitter_seconds, r.backoff_initial_seconds,
                                             r.backoff_max_seconds), clock.now)
        for c, interval in connectors]
    log.info("webcare %s running: %d connector(s), store %s; Ctrl-C stops", __version__,
             len(coordinators), pipeline.store.path)

    moved: list[str] = []

    async def watch_store(stop: asyncio.Event) -> None:
        """Stop when the database file is deleted or replaced: only a new start can use the
        file now at its path, and until then nothing would be stored where it can be read."""
        while not (problem := pipeline.store.moved()):
            await asyncio.sleep(STORE_CHECK_SECONDS)
        moved.append(problem)
        stop.set()

    async def main_loop() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        watcher = asyncio.create_task(watch_store(stop))
        telegram = await start_telegram(cfg, pipeline, clock.now,
                                        digest_provider=digest_provider(cfg, pipeline.store))
        digests = AsyncIOScheduler(timezone=timezone.utc)
        await schedule_digests(digests, cfg, pipeline, telegram, clock.now)
        digests.start()
        try:
            await pipeline.flush(clock.now())  # whatever a previous run left queued
            await run_live(pipeline, coordinators, now=clock.now, tick_seconds=r.tick_seconds, stop=stop)
        finally:
            watcher.cancel()
            await pipeline.settle()  # an alert Telegram may have: recorded, not sent again later
            digests.shutdown(wait=False)
            if telegram:
                await telegram.stop()
            for c, _ in connectors:
                await c.aclose()
            await _close(sinks)

    asyncio.run(main_loop())
    if moved:
        if pipeline.store.write_back():
            raise StoreError(f"{moved[0]}: written back from the open database, so nothing stored is "
                             f"lost; start webcare again")
        pipeline.store.close()
        raise StoreError(f"{moved[0]}; start webcare again to use the file there now")
    pipeline.checkpoint(clock.now())
    pipeline.store.close()
    log.info("webcare stopped")
    return 0


def cmd_classify(args) -> int:
    from webcare.classify import classify_record

    bad = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise ValueError("expected an object with a string 'text'")
        except ValueError as exc:
            bad += 1
            print(f"stdin:{number}: skipped: {exc}", file=sys.stderr)
            continue
        sys.stdout.write(json.dumps(classify_record(obj), ensure_ascii=False) + "\n")
    return 1 if bad else 0


def cmd_status(args) -> int:
    from datetime import datetime, timezone

    from webcare.store import Store

    cfg = config_mod.load(args.config)
    path = args.db or cfg.resolve(cfg.store.path)
    if not Path(path).exists():
        print(f"{path}: no database yet (has webcare run?)", file=sys.stderr)
        return 1
    store = Store(path)
    connectors = store.connector_status()
    incidents = [i for i in store.incidents() if i["status"] not in ("closed", "resolved")]
    queued = store.queued_counts()
    store.close()
    if args.json:
        print(json.dumps({"connectors": connectors, "open_incidents": incidents, "queued_alerts": queued},
                         ensure_ascii=False, indent=2, default=str))
        return 0

    def when(ts):
        return datetime.fromtimestamp(ts, timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M") if ts else "never"

    print("connectors:" if connectors else "connectors: none has polled yet")
    for c in connectors:
        line = f"  {c['connector']:<24} {c['status']:<13} last ok {when(c['last_success'])}  fetched {c['fetched']:,}"
        if c["rate_limit_reset"]:
            line += f"  rate limit resets {when(c['rate_limit_reset'])}"
        print(line + (f"\n    error: {c['last_error']}" if c["last_error"] else ""))
    print(f"open incidents: {len(incidents)}")
    for i in incidents[-20:]:
        print(f"  [{i['severity']}] {i['status']:<12} {i['title']}")
    print("queued alerts: " + (", ".join(f"{sink} {n}" for sink, n in queued.items()) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
