"""How much a message is worded like the complaints webcare agents filed: a second opinion.

The cue lists recognise failures by their expressions ("werkt niet", "still waiting"); a
complaint told as a plain story ("Op 12 oktober besteld, sinds 14 oktober in het depot")
often has none of them. Its words still lean one way: "besteld", "factuur", "monteur",
"since", "booked" are far more common in complaints than in questions, praise or chatter.
`ComplaintWording` is a naive Bayes model over words and word pairs, trained on labelled
webcare messages (`build_wording`), that says how likely a text is a complaint by its
wording alone. The intent rules only use it to settle a message that already carries some
complaint evidence, so a text far from what it was trained on cannot become a complaint by
wording alone.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

DATA = Path(__file__).with_name("data") / "complaint_wording.tsv"
_TOKEN = re.compile(r"[^\W\d_]+|[!?]|\d+")


def wording_features(text: str) -> set[str]:
    """Lower-cased words, numbers, '!' and '?', and each pair of neighbours."""
    words = _TOKEN.findall(text.lower())
    return {*words, *(f"{a} {b}" for a, b in zip(words, words[1:]))}


class ComplaintWording:
    """P(complaint | words) from per-feature log-likelihood ratios; keeps no per-call state."""

    def __init__(self, prior: float, weights: dict[str, float]) -> None:
        self.prior = prior
        self.weights = weights

    @classmethod
    def load(cls, path: Path = DATA) -> "ComplaintWording":
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
        weights = self.weights
        odds = self.prior + sum(weights.get(f, 0.0) for f in wording_features(text))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, odds))))
