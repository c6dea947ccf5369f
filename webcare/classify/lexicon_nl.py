"""Dutch sentiment rules: lexicon, negation, boosters, contrast words.

The lexicon is layered, later layers winning: English VADER words that Dutch social media
borrows (minus false friends such as "die" or "kind"), the Pattern adjective lexicon with
its inflected forms (`data/lexicon_nl_pattern.tsv`), and the hand-written webcare
vocabulary (`data/vocab_nl.tsv`, with phrases such as "geen reactie").
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from vaderSentiment.vaderSentiment import B_DECR, B_INCR, NEGATE

from webcare.classify.sentiment import LanguageRules

DATA = Path(__file__).with_name("data")

# English lexicon words that are common Dutch words with another meaning.
FALSE_FRIENDS = frozenset("""
    die want best hard l ijs hand amuse amuses bz gl god kind slap po war rob tout grand
    play spirit arm lust gift mist bad lied slim stout hoop boos fee even door room rust
    lost hel ban fan mad pain wet stem eens bom wild doe per hoe alle moe
    kan men ten dal hij boot dood doom lief lieve rot help
""".split())

NEGATIONS = frozenset("""
    niet geen nooit niets niks nergens niemand zonder noch allerminst nimmer minder nie
    alles_behalve verre_van
    not no never none nothing nobody without dont don't cant can't isnt isn't didnt didn't
    doesnt doesn't wont won't wasnt wasn't arent aren't
""".split()) | frozenset(NEGATE) - FALSE_FRIENDS

BOOSTERS: Mapping[str, float] = {
    **{w: B_INCR for w in """
        heel erg zeer super echt enorm veel ontzettend ontiegelijk hartstikke bijzonder uiterst
        uitermate extreem totaal volledig compleet helemaal zo zó zwaar mega kei dermate
        ongelooflijk ongelofelijk absoluut werkelijk behoorlijk flink bere reuze hyper
        echtwaar vet zwaar te
        very really so totally completely extremely absolutely
    """.split()},
    **{w: B_DECR for w in """
        redelijk tamelijk enigszins beetje nauwelijks amper bijna vrij nogal
        een_beetje wat_minder
        somewhat slightly barely hardly
    """.split()},
}

CONTRASTS = frozenset({"maar", "echter", "doch", "but"})
# "nooit zo slecht" is "never this bad": an intensifier, like VADER's "never so".
NEGATION_INTENSIFIERS = frozenset({"zo", "zó", "zoiets", "dit", "so", "this"})

# Intensifying prefixes of Dutch compounds: superlekker, megaslecht, kutservice.
PREFIXES = ("super", "mega", "kei", "hyper", "bere", "reuze", "oer", "knetter", "ultra")


def load_tsv(path: Path) -> dict[str, float]:
    """`term<TAB>valence` lines; `#` starts a comment line."""
    out: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, value = line.rsplit("\t", 1)
        out[" ".join(term.lower().split())] = float(value)
    return out


def dutch_vocabulary() -> set[str]:
    """Every Dutch word form the lexicons know (language detection uses it)."""
    words = load_tsv(DATA / "lexicon_nl_pattern.tsv").keys()
    words |= load_tsv(DATA / "vocab_nl.tsv").keys()
    return {w for w in words if w.isalpha()}


def dutch_rules(
    english_lexicon: Mapping[str, float], emoji: Mapping[str, float] | None = None,
) -> LanguageRules:
    """Build the Dutch rules once; the result is immutable and shared by all callers."""
    lexicon = {w: v for w, v in english_lexicon.items() if w not in FALSE_FRIENDS}
    lexicon.update(load_tsv(DATA / "lexicon_nl_pattern.tsv"))
    # negators of more than one word: merged like phrases, then act as negations
    phrases: dict[tuple[str, ...], float] = {
        tuple(w.split("_")): 0.0 for w in (*NEGATIONS, *BOOSTERS) if "_" in w
    }
    for term, value in load_tsv(DATA / "vocab_nl.tsv").items():
        words = tuple(term.split())
        if len(words) > 1:
            phrases[words] = value
        elif value == 0:
            lexicon.pop(term, None)
        else:
            lexicon[term] = value
    for word in BOOSTERS:
        if word in lexicon and lexicon[word] > 0 and word not in ("super",):
            del lexicon[word]  # "heel", "zo": modifiers, not opinions
    return LanguageRules(
        lexicon=lexicon, boosters={w.replace("_", " "): v for w, v in BOOSTERS.items()},
        negations=frozenset(n.replace("_", " ") for n in NEGATIONS), contrasts=CONTRASTS,
        phrases=phrases, prefixes=PREFIXES, emoji=dict(emoji or {}),
        negation_intensifiers=NEGATION_INTENSIFIERS, post_negation=True, bare_negation=-0.8,
    )
