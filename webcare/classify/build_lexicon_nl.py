"""Generate `data/lexicon_nl_pattern.tsv` from the Pattern Dutch adjective lexicon (PDDL).

Pattern lists adjectives per sense with a polarity in [-1, 1] and only their base form.
Webcare needs word forms on VADER's valence scale, so this script averages the senses of a
form, scales the polarity to VADER's range and adds the inflected forms Dutch text actually
uses (attributive -e, comparative -er, superlative -st/-ste, with the spelling changes).

Run it again only when the source lexicon or the rules below change:

    python -m webcare.classify.build_lexicon_nl ../shared/data/pattern_nl_sentiment_lexicon/nl-sentiment.xml
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).with_name("data") / "lexicon_nl_pattern.tsv"
VOCAB = Path(__file__).with_name("data") / "vocab_nl.tsv"
SCALE = 3.6  # Pattern polarity 1.0 ~ VADER 3.6 ("goed" 0.55 -> 2.0, VADER "good" 1.9)
MIN_POLARITY = 0.1  # weaker forms carry no usable signal
VOWELS = set("aeiouy")
# Words Pattern tags as adjectives but that webcare uses as boosters or ignores.
SKIP = {"heel", "erg", "zeer", "zo", "echt", "best", "vrij", "wat", "meer", "min", "even"}


def inflections(base: str) -> list[str]:
    """Attributive, comparative and superlative forms of a Dutch adjective (regular rules)."""
    if " " in base or not base.isalpha() or len(base) < 3:
        return []
    if base.endswith(("en", "e")) and not base.endswith("ee"):
        # participles (gebroken) and forms ending in -e (moe, rigide) do not take -e
        stem = base
        attributive = base
    else:
        stem = _stem(base)
        attributive = stem + "e"
    out = [attributive]
    if base.endswith(("en", "e")):
        return out
    comparative = base + "der" if base.endswith("r") else stem + "er"  # duurder, groter
    out += [comparative, comparative + "e"]
    if not base.endswith("s"):  # boos -> "boost" would collide with English
        out += [base + "st", base + "ste"]
    return out


def _stem(base: str) -> str:
    """The stem that takes an ending: groot->grot, dik->dikk, lief->liev, boos->boz."""
    last = base[-1]
    syllables = _syllables(base)
    if base.endswith("isch"):
        return base
    if last == "f" and base[-2] in VOWELS and base[-3:-1] not in ("ff",):
        base = base[:-1] + "v"
        last = "v"
    elif last == "s" and base[-2] in VOWELS and base[-3] in VOWELS:
        base = base[:-1] + "z"
        last = "z"
    if last in VOWELS:
        return base
    if len(base) >= 3 and base[-2] == base[-3] and base[-2] in "aeou":
        return base[:-3] + base[-2] + base[-1]  # groot -> grot(e), laag -> lag(e)
    if (
        syllables == 1 and base[-2] in VOWELS and base[-3] not in VOWELS
        and last not in "wjhxv"
    ):
        return base + last  # dik -> dikk(e), snel -> snell(e)
    return base


def _syllables(word: str) -> int:
    count, prev = 0, False
    for ch in word:
        vowel = ch in VOWELS
        if vowel and not prev:
            count += 1
        prev = vowel
    return count


def dropped_forms(vocab: Path = VOCAB) -> set[str]:
    """Base forms the hand vocabulary marks with valence 0 (function words, neutral)."""
    out = set(SKIP)
    for line in vocab.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "\t" in line:
            term, value = line.rsplit("\t", 1)
            if float(value) == 0 and " " not in term:
                out.add(term.strip().lower())
    return out


def build(xml_path: Path) -> dict[str, float]:
    skip = dropped_forms()
    senses: dict[str, list[float]] = defaultdict(list)
    for word in ET.parse(xml_path).getroot().iter("word"):
        form = (word.get("form") or "").strip().lower()
        if form and form not in skip:
            senses[form].append(float(word.get("polarity") or 0.0))
    base = {form: sum(p) / len(p) for form, p in senses.items()}
    lexicon: dict[str, float] = {}
    for form, polarity in base.items():
        if abs(polarity) < MIN_POLARITY:
            continue
        valence = round(polarity * SCALE, 2)
        lexicon[form] = valence
        for variant in inflections(form):
            if variant not in base and variant not in lexicon and variant not in skip:
                lexicon[variant] = valence
    return lexicon


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    lexicon = build(Path(argv[0]))
    lines = ["# Derived from Pattern nl-sentiment.xml 1.2 (De Smedt & Daelemans, PDDL) by",
             "# webcare/classify/build_lexicon_nl.py: form<TAB>valence (VADER scale)."]
    lines += [f"{form}\t{lexicon[form]}" for form in sorted(lexicon)]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lexicon)} forms to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
