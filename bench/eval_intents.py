"""Intent and signal quality on labelled webcare messages: webcare vs a sentiment-only rule.

Prints, per labelled file in tests/data (dev and test were used to write the cue lists;
holdout was written afterwards by someone who saw neither the code nor the other files),
accuracy and macro-F1 of complaint / question / praise / other, complaint recall, and the
recall and false alarms of each signal (safety, legal, churn, press, no answer, waiting).
The yardstick in the same run is what plain VADER alone allows: negative -> complaint, a
question mark -> question, positive -> praise, else other.

    python bench/eval_intents.py            # every file
    python bench/eval_intents.py --misses --only round2   # what webcare got wrong in one file
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from webcare.classify import Classifier  # noqa: E402
from webcare.classify.evaluation import (  # noqa: E402
    INTENTS, SIGNALS, accuracy, intent_examples, macro_f1, signals_of,
)

DATA = ROOT / "tests" / "data"


def vader_intent(vader: SentimentIntensityAnalyzer, text: str) -> str:
    compound = vader.polarity_scores(text)["compound"]
    if compound <= -0.05:
        return "complaint"
    if "?" in text:
        return "question"
    return "praise" if compound >= 0.05 else "other"


def recall(gold: list[str], pred: list[str], label: str) -> float:
    hits = [p == label for g, p in zip(gold, pred) if g == label]
    return sum(hits) / len(hits) if hits else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list webcare's mistakes")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="just these files (e.g. round2)")
    args = parser.parse_args()
    vader, webcare = SentimentIntensityAnalyzer(), Classifier()
    print(f"{'file':24} {'n':>4} | {'rule acc':>8} {'F1':>5} {'compl.R':>7} | "
          f"{'webcare acc':>11} {'F1':>5} {'compl.R':>7} | signals found/labelled (false alarms)")
    for path in sorted(DATA.glob("webcare_intents_*.jsonl")):
        if args.only and path.stem.removeprefix("webcare_intents_") not in args.only:
            continue
        rows = intent_examples(path)
        gold = [r["intent"] for r in rows]
        plain = [vader_intent(vader, r["text"]) for r in rows]
        scores = [webcare.score_text(r["text"], public=True) for r in rows]
        ours = [s.intent for s in scores]
        found = [signals_of(s.reasons) for s in scores]
        cells = []
        for signal in SIGNALS:
            labelled = [signal in r["signals"] for r in rows]
            hit = sum(lab and signal in f for lab, f in zip(labelled, found))
            false = sum(not lab and signal in f for lab, f in zip(labelled, found))
            cells.append(f"{signal} {hit}/{sum(labelled)} ({false})")
        name = path.stem.removeprefix("webcare_intents_")
        print(f"{name:24} {len(rows):4d} | {accuracy(gold, plain):8.3f} {macro_f1(gold, plain, INTENTS):5.3f} "
              f"{recall(gold, plain, 'complaint'):7.2f} | {accuracy(gold, ours):11.3f} "
              f"{macro_f1(gold, ours, INTENTS):5.3f} {recall(gold, ours, 'complaint'):7.2f} | " + ", ".join(cells))
        if args.misses:
            for r, s in zip(rows, scores):
                if s.intent != r["intent"]:
                    print(f"    {r['id']}: {r['intent']} read as {s.intent} ({s.compound:+.2f}): {r['text'][:100]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
