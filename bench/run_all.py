"""Every benchmark in one command, one table: measured figure, its baseline, the target, met or not.

    python bench/run_all.py            # modest sizes, about 3 minutes on 2 cores
    python bench/run_all.py --full     # the 1,000,000-message figures too (about 15 minutes)

Each bench runs as its own process (so one's memory does not count against another) and prints
its own details to stderr; this script collects the figures. Baselines are measured in the same
run: bare vaderSentiment on the same texts for the pipeline and the engine, /help (the command
path alone) for /queue and /digest, a full `ts` scan for store queries. Targets (issue 9):
pipeline >= 0.5x bare VADER; p99 alert latency < 250 ms at 100 msg/s; /queue and /digest < 1 s
over 1M messages; bot RSS < 300 MB. A target missed is shown with its measured figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


@dataclass
class Row:
    area: str
    figure: str
    value: str
    baseline: str = ""
    target: str = ""
    met: str = ""  # "yes", "NO", or "" (no target)


def run(args: list[str], timeout: float) -> tuple[str, float]:
    """Run one bench script; return its stdout and the seconds it took."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    started = time.monotonic()
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout, seconds


def number(text: str, label: str) -> float:
    match = re.search(re.escape(label) + r"\s+([\d,.]+)", text)
    if not match:
        raise ValueError(f"no {label!r} in:\n{text}")
    return float(match.group(1).replace(",", ""))


def pipeline_rows(n: int, timings: dict) -> list[Row]:
    out, timings["pipeline"] = run([str(BENCH / "bench_replay.py"), str(n)], 1800)
    vader, replay = number(out, "bare VADER"), number(out, "webcare replay")
    ratio = replay / vader
    met = "yes" if ratio >= 0.5 else "NO"
    return [Row("pipeline", f"parse → store → classify → engine, {n:,} msgs", f"{replay:,.0f} msg/s",
                f"bare VADER {vader:,.0f} msg/s", ">= 0.5x VADER", met),
            Row("pipeline", "ratio pipeline / bare VADER", f"{ratio:.2f}x", "", ">= 0.5x", met),
            Row("pipeline", "replay process peak RSS", f"{number(out, 'peak RSS'):,.0f} MB")]


def phase_rows(n: int, timings: dict) -> list[Row]:
    """Where a pipeline message's time goes: each stage alone on the same n messages (in-process)."""
    import tempfile
    from datetime import timedelta

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sys.path.insert(0, str(ROOT))
    from webcare.classify import Classifier
    from webcare.engine import Engine
    from webcare.models import Message
    from webcare.playbooks import load_dir
    from webcare.scenario import generate_traffic
    from webcare.store import Store

    started = time.monotonic()
    lines = [json.dumps(d, ensure_ascii=False) for d in generate_traffic(n, seed=11)]
    spent: dict[str, float] = {}

    def timed(name, fn):
        t = time.perf_counter()
        result = fn()
        spent[name] = time.perf_counter() - t
        return result

    messages = timed("parse (JSON line -> Message)", lambda: [Message.from_dict(json.loads(x)) for x in lines])
    vader = SentimentIntensityAnalyzer()
    timed("bare VADER", lambda: [vader.polarity_scores(m.text) for m in messages])
    classifier = Classifier()
    scores = timed("classify", lambda: [classifier.score(m) for m in messages])
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "phases.db")

        def write() -> None:
            for i in range(0, n, 5000):
                with store.transaction():
                    store.save_messages(messages[i:i + 5000], "bench", messages[0].created_at)
                    store.save_scores(list(zip(messages[i:i + 5000], scores[i:i + 5000])))
        timed("store (upsert + scores, 5,000 per transaction)", write)
        store.close()
    engine = Engine(load_dir(None))
    state = engine.new_state()

    def evaluate() -> None:
        tick = messages[0].created_at.replace(second=0, microsecond=0)
        for m, sc in zip(messages, scores):
            while tick + timedelta(minutes=1) <= m.created_at:
                tick += timedelta(minutes=1)
                engine.on_tick(state, tick)
            engine.on_message(state, m, sc, max(tick, m.created_at))
    timed("engine (all playbooks, minute ticks)", evaluate)
    timings["phases"] = time.monotonic() - started
    stages = {k: v for k, v in spent.items() if k != "bare VADER"}
    total = sum(stages.values())
    rows = [Row("pipeline stages", f"{name}, {n:,} msgs", f"{n / sec:,.0f} msg/s", f"{sec / total:.0%} of the stages")
            for name, sec in stages.items()]
    rows.append(Row("pipeline stages", "sum of the stages", f"{n / total:,.0f} msg/s",
                    f"bare VADER {n / spent['bare VADER']:,.0f} msg/s"))
    return rows


def classify_rows(n: int, timings: dict) -> list[Row]:
    out, timings["classify"] = run([str(BENCH / "bench_classify.py"), str(n)], 1800)
    vader, rate = number(out, "bare VADER"), number(out, "classifier  ")
    return [Row("classifier", f"Classifier.score alone, {n:,} msgs (fastest of 3 interleaved rounds)",
                f"{rate:,.0f} msg/s", f"bare VADER {vader:,.0f} msg/s"),
            Row("classifier", "ratio classifier / bare VADER", f"{rate / vader:.2f}x")]


def engine_rows(n: int, timings: dict) -> list[Row]:
    out, timings["engine"] = run([str(BENCH / "bench_engine.py"), str(n)], 1800)
    events = number(out, "engine  ")
    return [Row("engine", f"all bundled playbooks, {n:,} msgs + minute ticks (fastest of 3)",
                f"{events:,.0f} events/s", f"bare VADER {number(out, 'bare VADER (yardstick)'):,.0f} msg/s",
                ">= 50,000 events/s", "yes" if events >= 50_000 else "NO")]


def latency_rows(seconds: float, timings: dict) -> list[Row]:
    out, timings["latency"] = run([str(BENCH / "bench_latency.py"), "--rates", "10,100,1000",
                                   "--seconds", str(seconds), "--json"], 1800)
    rows = []
    for lv in json.loads(out.strip().splitlines()[-1]):
        rate = lv["rate"]
        target, met = "", ""
        if rate == 100:
            target, met = "p99 < 250 ms", "yes" if lv["p99_ms"] < 250 else "NO"
        probes = f"{lv['alerted']}/{lv['probes']} probes"
        rows.append(Row("alert latency", f"{rate:,.0f} msg/s offered: p50 / p99 ({probes})",
                        f"{lv['p50_ms']:.0f} / {lv['p99_ms']:.0f} ms",
                        f"poll lag p99 {lv['poll_lag_p99_ms']:.0f} ms (1 s poll interval)", target, met))
    return rows


def store_rows(full: bool, timings: dict) -> tuple[list[Row], list[dict]]:
    args = [str(BENCH / "bench_store.py"), "--sizes", "10000,100000", "--json"] + (["--full"] if full else [])
    out, timings["store"] = run(args, 7200)
    results = json.loads(out.strip().splitlines()[-1])
    rows = []
    for r in results:
        n = r["messages"]
        at_million = n >= 1_000_000
        queue, digest, help_ = (_warm(r["queue_ms"]), _warm(r["digest_ms"]), _warm(r["help_ms"]))
        label = f"{n:,} msgs"
        rows += [
            Row("store", f"{label}: insert rate (Store API, 5,000 per transaction)", f"{r['insert_per_s']:,.0f} msg/s"),
            Row("store", f"{label}: database size", f"{r['db_mb']:.1f} MB", f"{r['db_mb'] * 1000 / n:.2f} kB/msg"),
            Row("store", f"{label}: /queue ({r['queue_window']:,} msgs in its 7 days), cold / warm",
                f"{r['queue_ms'][0]:,.0f} / {queue:,.0f} ms", f"/help {help_:.0f} ms",
                "< 1 s at 1M" if at_million else "(< 1 s at 1M)", _met(queue < 1000, at_million)),
            Row("store", f"{label}: /digest, cold / warm", f"{r['digest_ms'][0]:,.0f} / {digest:,.0f} ms",
                f"scan ts {r['scan_ts_ms']:.0f} ms", "< 1 s at 1M" if at_million else "(< 1 s at 1M)",
                _met(digest < 1000, at_million)),
            Row("store", f"{label}: bot process peak RSS", f"{r['rss_mb']:.0f} MB", f"idle {r['rss_idle_mb']:.0f} MB",
                "< 300 MB" if at_million else "(< 300 MB at 1M)", _met(r["rss_mb"] < 300, at_million)),
        ]
    return rows, results


def _warm(values: list[float]) -> float:
    rest = values[1:] or values
    return sorted(rest)[len(rest) // 2]


def _met(ok: bool, applies: bool) -> str:
    return ("yes" if ok else "NO") if applies else ("(on track)" if ok else "(over already)")


def scaling_table(results: list[dict]) -> str:
    if len(results) < 2:
        return ""
    head = f"{'messages':>10} {'insert msg/s':>15} {'DB MB':>7} {'/queue ms':>16} {'/digest ms':>15} {'RSS MB':>12} " \
           f"{'start s':>7}"
    lines = ["scaling (warm query times; growth vs the smallest size in brackets)", head]
    base = results[0]
    for r in results:
        grow = r["messages"] / base["messages"]

        lines.append(f"{r['messages']:>10,} {_grown(r['insert_per_s'], base['insert_per_s']):>15} "
                     f"{r['db_mb']:>7.1f} {_grown(_warm(r['queue_ms']), _warm(base['queue_ms'])):>16} "
                     f"{_grown(_warm(r['digest_ms']), _warm(base['digest_ms'])):>15} "
                     f"{_grown(r['rss_mb'], base['rss_mb']):>12} {r['startup_s']:>7.1f}   ({grow:,.0f}x the messages)")
    return "\n".join(lines)


def _grown(value: float, ref: float) -> str:
    return f"{value:,.0f} ({value / ref:.1f}x)" if ref else f"{value:,.0f}"


def machine() -> str:
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")
    return (f"{date.today():%Y-%m-%d} · {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}) · "
            f"{mem:.1f} GiB RAM · Python {platform.python_version()} · {platform.system()} {platform.machine()}")


def render(rows: list[Row]) -> str:
    head = Row("area", "figure", "measured", "baseline (same run)", "target", "met")
    cells = [[r.area, r.figure, r.value, r.baseline, r.target, r.met] for r in [head, *rows]]
    widths = [max(len(c[i]) for c in cells) for i in range(6)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)


def main() -> None:
    parser = argparse.ArgumentParser(description="run every benchmark and print one table")
    parser.add_argument("--full", action="store_true", help="bigger runs and the 1,000,000-message store figures")
    args = parser.parse_args()
    started = time.monotonic()
    timings: dict[str, float] = {}
    rows = pipeline_rows(100_000 if args.full else 20_000, timings)
    rows += phase_rows(100_000 if args.full else 20_000, timings)
    rows += classify_rows(100_000 if args.full else 20_000, timings)
    rows += engine_rows(200_000 if args.full else 50_000, timings)
    rows += latency_rows(60 if args.full else 15, timings)
    store, results = store_rows(args.full, timings)
    rows += store
    print(render(rows))
    print()
    print(scaling_table(results))
    print()
    print("seconds per bench: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items())
          + f"; total {time.monotonic() - started:.0f}")
    print(machine())


if __name__ == "__main__":
    main()
