"""Generate `data/complaint_wording.tsv`: the `wording.ComplaintWording` model.

Trained on the labelled webcare messages the cue lists were written against (tests/data:
dev, test, holdout, round2), never on the held-out `final` sets, so those still measure it.
A feature is kept when it occurs in at least `MIN_COUNT` messages: rarer ones are noise.

Run it again when those files change (a test checks the shipped file matches):

    python -m webcare.classify.build_wording tests/data
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path

from webcare.classify.wording import DATA, wording_features

TRAINING = ("dev", "test", "holdout", "round2")
MIN_COUNT = 3
ALPHA = 0.5  # additive smoothing of the per-class feature counts


def train(texts_and_labels: list[tuple[str, bool]]) -> tuple[float, dict[str, float]]:
    """Prior log-odds and per-feature log-likelihood ratios of complaint vs the rest."""
    counts = {True: Counter(), False: Counter()}
    docs = Counter()
    for text, complaint in texts_and_labels:
        counts[complaint].update(wording_features(text))
        docs[complaint] += 1
    vocabulary = sorted(f for f in counts[True] | counts[False] if counts[True][f] + counts[False][f] >= MIN_COUNT)
    totals = {label: sum(counts[label][f] for f in vocabulary) for label in (True, False)}
    size = len(vocabulary)

    def log_share(label: bool, feature: str) -> float:
        return math.log((counts[label][feature] + ALPHA) / (totals[label] + ALPHA * size))

    weights = {f: log_share(True, f) - log_share(False, f) for f in vocabulary}
    return math.log(docs[True] / docs[False]), weights


def training_examples(folder: Path) -> list[tuple[str, bool]]:
    out = []
    for name in TRAINING:
        with (folder / f"webcare_intents_{name}.jsonl").open(encoding="utf-8") as fh:
            out += [(row["text"], row["intent"] == "complaint") for row in map(json.loads, fh)]
    return out


def render(prior: float, weights: dict[str, float]) -> str:
    lines = [f"#prior\t{prior:.6f}"] + [f"{f}\t{w:.6f}" for f, w in sorted(weights.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    prior, weights = train(training_examples(Path(argv[0])))
    DATA.write_text(render(prior, weights), encoding="utf-8")
    print(f"wrote {DATA} ({len(weights)} features)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
