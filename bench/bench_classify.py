"""Classifier throughput: `Classifier.score` alone vs bare VADER on the same texts.

    python bench/bench_classify.py [N] [--rounds R] [--profile]     (default 20000, 3 rounds)

Messages come from the synthetic traffic generator (the pipeline bench's seed, Dutch-heavy)
and are parsed before timing starts, so the figure is the classifier alone: language,
sentiment, cues, intent, urgency and the two wording models. Bare vaderSentiment
(`polarity_scores`, as the pipeline bench runs it) is the yardstick; the two alternate round
by round in this process and each keeps its fastest round, because this shared machine's
speed can swing 2x within minutes. `--profile` adds a cProfile table of where the
classifier's time goes (profiling slows it down; read the shares, not the totals).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from webcare.classify import Classifier
from webcare.models import Message
from webcare.scenario import generate_traffic


def fastest(fn, items, rounds_done: list[float]) -> None:
    """Time one pass of `fn` over `items` and record it."""
    started = time.perf_counter()
    for item in items:
        fn(item)
    rounds_done.append(time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print a cProfile table too")
    args = parser.parse_args()
    n = args.n
    messages = [Message.from_dict(d) for d in generate_traffic(n, seed=11)]
    texts = [m.text for m in messages]
    vader = SentimentIntensityAnalyzer()
    started = time.perf_counter()
    classifier = Classifier()
    built = time.perf_counter() - started
    score = classifier.score
    vader_times: list[float] = []
    classify_times: list[float] = []
    for _ in range(args.rounds):
        fastest(vader.polarity_scores, texts, vader_times)
        fastest(score, messages, classify_times)
    vader_rate = n / min(vader_times)
    rate = n / min(classify_times)
    print(f"messages                 {n:>12,}   ({args.rounds} rounds each, interleaved; fastest kept)")
    print(f"classifier built in      {built:>12.2f} s")
    print(f"bare VADER               {vader_rate:>12,.0f} msg/s   ({1e6 / vader_rate:.1f} us/msg)")
    print(f"classifier               {rate:>12,.0f} msg/s   ({1e6 / rate:.1f} us/msg)")
    print(f"ratio classifier / VADER {rate / vader_rate:>12.2f}x")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for m in messages:
            score(m)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())


if __name__ == "__main__":
    main()
