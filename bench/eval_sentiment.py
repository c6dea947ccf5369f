"""Sentiment quality and speed: plain VADER vs the webcare classifier, in one run.

Prints accuracy and macro-F1 (neg/neu/pos) per labelled test set for both, then the
throughput of each on the same texts as sentences/second and their ratio.

    python bench/eval_sentiment.py            # test splits + throughput
    python bench/eval_sentiment.py --train    # also the train splits (for tuning)
    python bench/eval_sentiment.py --all      # also VADER's movie and NYT sets (slower)

The data lives in ../shared/data relative to the repository (not shipped: licences).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from webcare.classify import Classifier  # noqa: E402
from webcare.classify.evaluation import (  # noqa: E402
    DATASETS, EXTRA_DATASETS, TRAIN_DATASETS, accuracy, macro_f1,
)
from webcare.classify.sentiment import label_for  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true", help="also evaluate the train splits")
    parser.add_argument("--all", action="store_true", help="also VADER movie/NYT sets")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeat", type=int, default=5, help="throughput passes (best kept)")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"no evaluation data at {args.data}", file=sys.stderr)
        return 1
    vader = SentimentIntensityAnalyzer()
    webcare = Classifier()
    sets = dict(DATASETS)
    if args.train:
        sets.update(TRAIN_DATASETS)
    if args.all:
        sets.update(EXTRA_DATASETS)
    print(f"{'data set':32} {'n':>6} | {'VADER acc':>9} {'F1':>6} | "
          f"{'webcare acc':>11} {'F1':>6} | langs")
    all_texts: list[str] = []
    for name, load in sets.items():
        examples = load(args.data)
        texts = [t for t, _ in examples]
        gold = [g for _, g in examples]
        plain = [label_for(vader.polarity_scores(t)["compound"]) for t in texts]
        scores = [webcare.score_text(t) for t in texts]
        ours = [s.label for s in scores]
        langs = Counter(s.lang for s in scores)
        print(f"{name:32} {len(texts):6d} | "
              f"{accuracy(gold, plain):9.3f} {macro_f1(gold, plain):6.3f} | "
              f"{accuracy(gold, ours):11.3f} {macro_f1(gold, ours):6.3f} | "
              + " ".join(f"{k}:{v}" for k, v in langs.most_common()))
        if name in DATASETS:
            all_texts += texts
    vader_rate, ours_rate = _rates(
        vader.polarity_scores, webcare.score_text, all_texts, args.repeat)
    print(f"\nthroughput on {len(all_texts)} test texts: VADER {vader_rate:,.0f}/s, "
          f"webcare {ours_rate:,.0f}/s, ratio webcare/VADER {ours_rate / vader_rate:.2f}x")
    return 0


def _rates(baseline, candidate, texts: list[str], repeat: int) -> tuple[float, float]:
    """Texts/second of each, passes interleaved so machine load hits both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(max(1, repeat)):
        for slot, fn in enumerate((baseline, candidate)):
            start = time.perf_counter()
            for text in texts:
                fn(text)
            best[slot] = min(best[slot], time.perf_counter() - start)
    return len(texts) / best[0], len(texts) / best[1]


if __name__ == "__main__":
    raise SystemExit(main())
