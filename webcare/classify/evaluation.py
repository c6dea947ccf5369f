"""Readers for the labelled evaluation sets in `shared/data` and the metrics we report.

The data sets are not shipped with webcare (licences); the bench script and the evaluation
test point these readers at the shared data folder and skip when it is absent. Each reader
returns (text, gold label) pairs with labels neg | neu | pos, using the mapping documented
in the data set's SOURCE.md.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Sequence

from webcare.classify.cues import CHURN, LEGAL, NO_ANSWER, PRESS, SAFETY, WAITING

Example = tuple[str, str]
LABELS = ("neg", "neu", "pos")
_LONG = {"negative": "neg", "neutral": "neu", "positive": "pos"}


def dutch_political_tweets(data: Path, split: str = "test") -> list[Example]:
    path = data / "dutch_political_tweets_polarity" / f"polarity_{split}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return [(row["text"].strip(), _LONG[row["label"].strip()]) for row in csv.DictReader(f)]


def dutch_restaurant_sentences(data: Path, split: str = "test") -> list[Example]:
    """Sentences whose opinions share one polarity; 'none', 'mixed', 'conflict' are left out."""
    name = "test_sentences_derived.tsv" if split == "test" else "train_sentences_derived.tsv"
    path = data / "semeval2016_dutch_restaurant_reviews" / name
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["label"] in _LONG:
                out.append((row["text"], _LONG[row["label"]]))
    return out


def vader_ground_truth(data: Path, name: str = "vader_tweets",
                       file: str = "tweets_GroundTruth.txt") -> list[Example]:
    """VADER's human ratings: positive if mean/4 > 0.05, negative if < -0.05 (the paper)."""
    out = []
    for line in (data / name / file).read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.rstrip("\r").split("\t", 2)
        if len(parts) != 3:
            continue
        mean = float(parts[1])
        out.append((parts[2], "pos" if mean > 0.2 else "neg" if mean < -0.2 else "neu"))
    return out


DATASETS: dict[str, Callable[[Path], list[Example]]] = {
    "nl_political_tweets_test": lambda d: dutch_political_tweets(d, "test"),
    "nl_restaurant_sentences_test": lambda d: dutch_restaurant_sentences(d, "test"),
    "en_vader_tweets": vader_ground_truth,
}
TRAIN_DATASETS: dict[str, Callable[[Path], list[Example]]] = {
    "nl_political_tweets_train": lambda d: dutch_political_tweets(d, "train"),
    "nl_restaurant_sentences_train": lambda d: dutch_restaurant_sentences(d, "train"),
}
EXTRA_DATASETS: dict[str, Callable[[Path], list[Example]]] = {
    "en_vader_movie": lambda d: vader_ground_truth(
        d, "vader_movie_reviews", "movieReviewSnippets_GroundTruth.txt"),
    "en_vader_nyt": lambda d: vader_ground_truth(
        d, "vader_nyt_editorials", "nytEditorialSnippets_GroundTruth.txt"),
}


# Webcare messages labelled with what an agent would file them as (tests/data, written for
# webcare by people who did not see the classifier): intent and the signals a reply needs.
INTENTS = ("complaint", "question", "praise", "other")
SIGNALS = {"safety": SAFETY.name, "legal": LEGAL.name, "churn": CHURN.name, "press": PRESS.name,
           "no_answer": NO_ANSWER.name, "waiting": WAITING.name}


def intent_examples(path: Path) -> list[dict]:
    """{"id", "lang", "text", "intent", "signals"} per line of a labelled JSONL file."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def signals_of(reasons: Iterable[str]) -> set[str]:
    """The labelled signals an urgency/intent reason list carries ("safety risk: 'gaslek'")."""
    names = {reason.split(":", 1)[0] for reason in reasons}
    return {signal for signal, name in SIGNALS.items() if name in names}


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    return sum(g == p for g, p in zip(gold, pred)) / len(gold) if gold else 0.0


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Iterable[str] = LABELS) -> float:
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, pred))
        fp = sum(g != label and p == label for g, p in zip(gold, pred))
        fn = sum(g == label and p != label for g, p in zip(gold, pred))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def confusion(gold: Sequence[str], pred: Sequence[str]) -> Counter[tuple[str, str]]:
    return Counter(zip(gold, pred))
