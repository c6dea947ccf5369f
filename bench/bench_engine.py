"""Engine throughput: events per second through all bundled playbooks, on one core.

    python bench/bench_engine.py [N] [--rounds R] [--by-playbook]        (default 200000, 3 rounds)

Messages come from the synthetic traffic generator and are scored before timing starts, so
the figure is the engine alone: matching, every trigger, incidents, escalation timers (one
tick per simulated minute, counted as events too). Bare VADER on the same texts is printed
alongside as a yardstick measured in the same run. The stream goes through a fresh engine R
times and the fastest round counts, as in the classifier bench: this shared machine's speed
swings within minutes, and no round does less work than another. The cycle collector is set as the bot sets
it once started (`webcare.gc_settings`), which also keeps it from re-walking the pre-scored
input, something a live bot never holds. `--by-playbook` also times each bundled playbook alone
and an engine with none (the dispatch floor), fastest of three rounds, to show where the time goes.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from webcare import gc_settings
from webcare.classify import Classifier
from webcare.engine import Engine
from webcare.models import Message
from webcare.playbooks import load_dir
from webcare.scenario import generate_traffic


def run(messages, scores, books) -> tuple[float, int, int]:
    """Seconds, minute ticks and alerts for one pass of the stream through `books`."""
    engine = Engine(books)
    state = engine.new_state()
    alerts = ticks = 0
    tick = messages[0].created_at.replace(second=0, microsecond=0)
    step = timedelta(minutes=1)
    started = time.perf_counter()
    for m, s in zip(messages, scores):
        while tick + step <= m.created_at:
            tick += step
            ticks += 1
            alerts += len(engine.on_tick(state, tick))
        alerts += len(engine.on_message(state, m, s, max(tick, m.created_at)))
    return time.perf_counter() - started, ticks, alerts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3, help="passes through a fresh engine; the fastest counts")
    parser.add_argument("--by-playbook", action="store_true", help="time each playbook alone too")
    args = parser.parse_args()
    n = args.n
    messages = [Message.from_dict(d) for d in generate_traffic(n, seed=3)]
    classifier = Classifier()
    scores = [classifier.score(m) for m in messages]

    vader = SentimentIntensityAnalyzer()
    started = time.perf_counter()
    for m in messages[:20000]:
        vader.polarity_scores(m.text)
    vader_rate = min(n, 20000) / (time.perf_counter() - started)

    books = load_dir(None)
    gc_settings.settle()  # as the bot does once started (the inputs above are frozen with it)
    elapsed, ticks, alerts = min(run(messages, scores, books) for _ in range(max(1, args.rounds)))
    events = n + ticks
    span = messages[-1].created_at - messages[0].created_at
    print(f"messages                 {n:>12,}   (spanning {span.days} days, {ticks:,} minute ticks)")
    print(f"engine                   {events / elapsed:>12,.0f} events/s   ({elapsed:.2f} s, {alerts} alerts, "
          f"fastest of {max(1, args.rounds)})")
    print(f"engine, messages only    {n / elapsed:>12,.0f} msg/s")
    print(f"bare VADER (yardstick)   {vader_rate:>12,.0f} msg/s")
    print(f"ratio engine / VADER     {n / elapsed / vader_rate:>12.1f}x")
    if args.by_playbook:
        print("\nus per event, fastest of 3 rounds (each playbook alone includes the floor):")
        for name, subset in [("(no playbook: the floor)", []), *[(b.name, [b]) for b in books], ("all", books)]:
            rounds = [run(messages, scores, subset) for _ in range(3)]
            best = min(seconds for seconds, _, _ in rounds)
            print(f"  {name:<26} {best / events * 1e6:>8.1f} us   ({rounds[0][2]} alerts)")


if __name__ == "__main__":
    main()
