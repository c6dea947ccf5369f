"""How sure the learned safety model should be: chosen without touching the held-out sets.

The model (`webcare.classify.wording`) only adds a safety flag where no cue found one, when it
is at least `SAFETY_CERTAINTY` sure. Two measurements for a range of certainties:
1. Each tuning file in turn is left out, the model is trained on the others, and the file's
   safety risks found and false alarms are counted (cues or model).
2. The model trained on all tuning files flags sentences of other corpora (../shared/data:
   Dutch political tweets, Dutch restaurant sentences, English tweets) that carry no webcare
   safety risk; what it adds to the cues' flags there is mostly false alarms.

    python bench/cv_safety.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webcare.classify import Classifier  # noqa: E402
from webcare.classify.build_wording import MODELS, TRAINING, train  # noqa: E402
from webcare.classify.evaluation import DATASETS, signals_of  # noqa: E402
from webcare.classify.wording import SAFETY_WORDING, Wording  # noqa: E402

DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared" / "data"
CERTAINTIES = (0.9, 0.95, 0.98, 0.99, 0.995, 0.999)


def rows(name: str) -> list[dict]:
    with (DATA / f"webcare_intents_{name}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def main() -> None:
    is_safety, min_count = MODELS[SAFETY_WORDING]
    cues_only = Classifier()
    cues_only._safety_wording = Wording(-1e9, {})  # never sure: what the cues find alone
    found = {c: [0, 0] for c in CERTAINTIES}
    risks = 0
    for held in TRAINING:
        rest = [r for name in TRAINING if name != held for r in rows(name)]
        model = Wording(*train([(r["text"], is_safety(r)) for r in rest], min_count))
        for r in rows(held):
            risk = "safety" in r["signals"]
            cue = "safety" in signals_of(cues_only.score_text(r["text"], r["lang"]).reasons)
            p = model.probability(r["text"])
            risks += risk
            for c in CERTAINTIES:
                if cue or p >= c:
                    found[c][0 if risk else 1] += 1
    model = Wording(*train([(r["text"], is_safety(r)) for name in TRAINING for r in rows(name)], min_count))
    others = [text for load in DATASETS.values() for text, _ in load(SHARED)] if SHARED.is_dir() else []
    by_cue = [("safety" in signals_of(cues_only.score_text(t).reasons)) for t in others]
    print(f"left-out tuning files: {risks} safety risks; other corpora: {len(others)} sentences, "
          f"{sum(by_cue)} flagged by the cues")
    print(f"{'certainty':>10} {'found':>6} {'false':>6} {'added on other corpora':>24}")
    for c in CERTAINTIES:
        added = sum(not cue and model.probability(t) >= c for t, cue in zip(others, by_cue))
        print(f"{c:>10} {found[c][0]:>6} {found[c][1]:>6} {added:>24}")


if __name__ == "__main__":
    main()
