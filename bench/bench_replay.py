"""Replay throughput: `webcare replay` of N messages vs bare VADER on the same texts.

    python bench/bench_replay.py [N]        (default 100000)

Both figures are measured in this run on this machine, so the ratio is what matters. The
replay includes everything a live poll does: JSONL parsing, SQLite upserts in WAL mode,
classification, the playbook engine with its one-minute timers, and the alert outbox.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from connectors import ConnectorContext
from connectors.replay import Options, ReplayConnector
from webcare import config
from webcare.app import build_pipeline
from webcare.runner import replay
from webcare.scenario import generate_traffic


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "traffic.jsonl"
        texts = []
        with open(feed, "w", encoding="utf-8") as fh:
            for obj in generate_traffic(n, seed=11):
                texts.append(obj["text"])
                fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

        vader = SentimentIntensityAnalyzer()
        started = time.perf_counter()
        for text in texts:
            vader.polarity_scores(text)
        vader_rate = n / (time.perf_counter() - started)

        cfg = config.default()
        pipeline = build_pipeline(cfg, [], db=Path(tmp) / "bench.db", simulated=True)
        connector = ReplayConnector.create("bench", Options(path=str(feed), batch_size=5000),
                                           ConnectorContext())
        started = time.perf_counter()
        asyncio.run(replay(pipeline, [connector], tail=timedelta(0)))
        elapsed = time.perf_counter() - started
        stored = pipeline.store.count_messages()
        alerts = len(pipeline.store.alerts())
        db_mb = (Path(tmp) / "bench.db").stat().st_size / 1e6
        pipeline.store.close()

    rate = stored / elapsed
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"messages                 {stored:>12,}")
    print(f"bare VADER               {vader_rate:>12,.0f} msg/s")
    print(f"webcare replay           {rate:>12,.0f} msg/s   ({elapsed:.1f} s, {alerts} alerts)")
    print(f"ratio replay / VADER     {rate / vader_rate:>12.2f}x")
    print(f"database                 {db_mb:>12.1f} MB")
    print(f"peak RSS                 {rss:>12.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
