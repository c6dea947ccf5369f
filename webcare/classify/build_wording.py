"""Generate `data/complaint_wording.tsv` and `data/safety_wording.tsv`: the `wording` models.

Trained on the labelled webcare messages the cue lists were written against (tests/data:
dev, test, holdout, round2, round3, round4), never on the held-out `final` sets, so those still measure them.
A feature is kept when it occurs in at least so many messages (rarer ones are noise; safety
risks are fewer, so their model keeps features seen twice).

Run it again when those files change (a test checks the shipped file matches):

    python -m webcare.classify.build_wording tests/data
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path
from typing import Callable

from webcare.classify.wording import COMPLAINT_WORDING, SAFETY_WORDING, wording_features

TRAINING = ("dev", "test", "holdout", "round2", "round3", "round4")
ALPHA = 0.5  # additive smoothing of the per-class feature counts
# model file: (what a labelled row must be to count as the label, least messages per feature)
MODELS: dict[Path, tuple[Callable[[dict], bool], int]] = {
    COMPLAINT_WORDING: (lambda row: row["intent"] == "complaint", 3),
    SAFETY_WORDING: (lambda row: "safety" in row["signals"], 2),
}


def train(texts_and_labels: list[tuple[str, bool]], min_count: int) -> tuple[float, dict[str, float]]:
    """Prior log-odds and per-feature log-likelihood ratios of complaint vs the rest."""
    counts = {True: Counter(), False: Counter()}
    docs = Counter()
    for text, complaint in texts_and_labels:
        counts[complaint].update(wording_features(text))
        docs[complaint] += 1
    vocabulary = sorted(f for f in counts[True] | counts[False] if counts[True][f] + counts[False][f] >= min_count)
    totals = {label: sum(counts[label][f] for f in vocabulary) for label in (True, False)}
    size = len(vocabulary)

    def log_share(label: bool, feature: str) -> float:
        return math.log((counts[label][feature] + ALPHA) / (totals[label] + ALPHA * size))

    weights = {f: log_share(True, f) - log_share(False, f) for f in vocabulary}
    return math.log(docs[True] / docs[False]), weights


def training_rows(folder: Path) -> list[dict]:
    out = []
    for name in TRAINING:
        with (folder / f"webcare_intents_{name}.jsonl").open(encoding="utf-8") as fh:
            out += [json.loads(line) for line in fh]
    return out


def build(rows: list[dict]) -> dict[Path, str]:
    """Each model file's content, trained on `rows`."""
    out = {}
    for path, (is_label, min_count) in MODELS.items():
        out[path] = render(*train([(row["text"], is_label(row)) for row in rows], min_count))
    return out


def render(prior: float, weights: dict[str, float]) -> str:
    lines = [f"#prior\t{prior:.6f}"] + [f"{f}\t{w:.6f}" for f, w in sorted(weights.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    for path, content in build(training_rows(Path(argv[0]))).items():
        path.write_text(content, encoding="utf-8")
        print(f"wrote {path} ({content.count(chr(10)) - 1} features)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
