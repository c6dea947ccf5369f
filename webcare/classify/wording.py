"""How much a message is worded like the complaints (or safety risks) agents flagged: a second opinion.

The cue lists recognise failures by their expressions ("werkt niet", "still waiting"); a
complaint told as a plain story ("Op 12 oktober besteld, sinds 14 oktober in het depot")
often has none of them. Its words still lean one way: "besteld", "factuur", "monteur",
"since", "booked" are far more common in complaints than in questions, praise or chatter.
Safety risks are the same: "bloedverdunners", "rolstoel", "nooduitgang" are no cue words,
but they are how people write about danger. `Wording` is a naive Bayes model over words and
word pairs, trained on labelled webcare messages (`build_wording`), that says how likely a
text is a complaint, or reports a safety risk, by its wording alone. The intent rules only
use the complaint model to settle a message that already carries some complaint evidence, so
a text far from what it was trained on cannot become a complaint by wording alone; the
safety model needs to be very sure (it only ever adds a reason for a human to look).
"""

from __future__ import annotations

import math
import re
from itertools import chain
from pathlib import Path

from webcare.classify.memo import Memo

COMPLAINT_WORDING = Path(__file__).with_name("data") / "complaint_wording.tsv"
SAFETY_WORDING = Path(__file__).with_name("data") / "safety_wording.tsv"
_TOKEN = re.compile(r"[^\W\d_]+|[!?]|\d+")
_TOKENS_OF: Memo[tuple[str, ...]] = Memo(lambda piece: tuple(_TOKEN.findall(piece)))


def wording_features(text: str) -> set[str]:
    """Lower-cased words, numbers, '!' and '?', and each pair of neighbours."""
    words = _TOKEN.findall(text.lower())
    return {*words, *map(" ".join, zip(words, words[1:]))}


def pairs_known(*models: "Wording") -> dict[str, frozenset[str]]:
    """First word -> the words that follow it in some word pair the `models` weigh."""
    following: dict[str, set[str]] = {}
    for model in models:
        for feature in model.weights:
            first, space, second = feature.partition(" ")
            if space:
                following.setdefault(first, set()).add(second)
    return {first: frozenset(seconds) for first, seconds in following.items()}


def model_features(text_lower: str, pairs: dict[str, frozenset[str]]) -> set[str]:
    """`wording_features` of a lower-cased text as far as models knowing `pairs` can tell:
    every word, and only the neighbour pairs some model weighs (`pairs_known`). Most pairs
    of a message are in no model; joining each into a string was most of the cost. Computed
    once, it serves every model (`Wording.probability_of`). No token spans whitespace, so
    the text's tokens are those of its whitespace-separated pieces, each read once (`Memo`)."""
    words = list(chain.from_iterable(map(_TOKENS_OF.__getitem__, text_lower.split())))
    known = [f"{a} {b}" for a, b in zip(words, words[1:]) if b in pairs.get(a, ())]
    return {*words, *known}


class Wording:
    """P(label | words) from per-feature log-likelihood ratios; keeps no per-call state."""

    def __init__(self, prior: float, weights: dict[str, float]) -> None:
        self.prior = prior
        self.weights = weights

    @classmethod
    def load(cls, path: Path) -> "Wording":
        """`feature<TAB>weight` lines; the line `#prior<TAB>x` holds the prior log-odds."""
        prior, weights = 0.0, {}
        for line in path.read_text(encoding="utf-8").splitlines():
            feature, value = line.rsplit("\t", 1)
            if feature == "#prior":
                prior = float(value)
            else:
                weights[feature] = float(value)
        return cls(prior, weights)

    def probability(self, text: str) -> float:
        return self.probability_of(wording_features(text))

    def probability_of(self, features: set[str]) -> float:
        """`probability` of a text from its features (`wording_features` or `model_features`)."""
        weights = self.weights
        # fsum: the sum of a set's weights must not depend on the set's order, which changes
        # with every process's string hashing
        odds = self.prior + math.fsum(map(weights.__getitem__, weights.keys() & features))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, odds))))

    def strongest(self, text: str) -> str:
        """The feature of `text` that speaks most for the label: what a reason can quote; of
        equally strong ones the first in the text (words before pairs), the same in every run."""
        weights = self.weights
        words = _TOKEN.findall(text.lower())
        in_order = dict.fromkeys([*words, *map(" ".join, zip(words, words[1:]))])
        return max(in_order, key=lambda f: weights.get(f, float("-inf")), default="")
