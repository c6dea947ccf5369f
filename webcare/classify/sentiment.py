"""VADER's sentiment rules with the language-specific parts made data.

vaderSentiment keeps its negation and booster words in module globals, so a Dutch analyzer
cannot be made by swapping them (that would race between threads). `RuleSentiment` applies
the same rules -- lexicon valence, boosters and dampeners within three words, negation
(x -0.74), ALL-CAPS emphasis, contrast ("but" / "maar": before x0.5, after x1.5), emoji and
emoticons, ! and ? emphasis, VADER's normalisation -- to a `LanguageRules` value built once.
It adds two things Dutch needs: phrases scored as one unit ("geen reactie", "werkt niet")
and intensifying compound prefixes ("superlekker", "megatraag").
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Mapping

from vaderSentiment.vaderSentiment import (
    B_INCR, C_INCR, N_SCALAR, SentimentIntensityAnalyzer, allcap_differential, normalize,
)

POS_THRESHOLD, NEG_THRESHOLD = 0.05, -0.05  # VADER's published cut-offs


@dataclass(frozen=True)
class LanguageRules:
    """Everything language-specific the engine needs; built once, never mutated."""

    lexicon: Mapping[str, float]
    boosters: Mapping[str, float]
    negations: frozenset[str]
    contrasts: frozenset[str]
    phrases: Mapping[tuple[str, ...], float] = field(default_factory=dict)
    prefixes: tuple[str, ...] = ()
    emoji: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Polarity:
    compound: float
    hits: tuple[str, ...]  # the words and phrases that carried sentiment, for reasons


def emoji_valences(vader: SentimentIntensityAnalyzer) -> dict[str, float]:
    """Valence of each emoji: the VADER lexicon valence of its English description."""
    out = {}
    for char, description in vader.emojis.items():
        value = sum(vader.lexicon.get(w, 0.0) for w in description.lower().split())
        if value:
            out[char] = max(-4.0, min(4.0, value))
    return out


def _strip_punct(token: str) -> str:
    """VADER's rule: strip surrounding punctuation unless that leaves an emoticon stub."""
    stripped = token.strip(string.punctuation + "“”‘’…")
    return token if len(stripped) <= 2 and not stripped.isalpha() else stripped


class RuleSentiment:
    """A VADER-rule analyzer for one language; safe to share, it keeps no per-call state."""

    def __init__(self, rules: LanguageRules) -> None:
        self.rules = rules
        self._phrase_starts = {p[0] for p in rules.phrases}
        self._phrase_max = max((len(p) for p in rules.phrases), default=1)
        chars = "".join(sorted(c for c in rules.emoji if len(c) == 1))
        self._emoji_re = re.compile("([" + re.escape(chars) + "])") if chars else None

    def tokens(self, text: str) -> list[str]:
        if self._emoji_re is not None and not text.isascii():
            text = self._emoji_re.sub(r" \1 ", text)
        return [t for t in map(_strip_punct, text.split()) if t]

    def polarity(self, text: str) -> Polarity:
        rules = self.rules
        lexicon, boosters, negations = rules.lexicon, rules.boosters, rules.negations
        words = self.tokens(text)
        lower = [w.lower() for w in words]
        valences: list[float | None] = [None] * len(words)
        # Phrases first: one unit each, so the "geen" in "geen reactie" negates nothing.
        if rules.phrases:
            merged_w, merged_l, merged_v = [], [], []
            i = 0
            while i < len(lower):
                if lower[i] in self._phrase_starts:
                    for n in range(min(self._phrase_max, len(lower) - i), 1, -1):
                        key = tuple(lower[i:i + n])
                        if key in rules.phrases:
                            merged_w.append(" ".join(words[i:i + n]))
                            merged_l.append(" ".join(key))
                            merged_v.append(rules.phrases[key])
                            i += n
                            break
                    else:
                        merged_w.append(words[i]); merged_l.append(lower[i]); merged_v.append(None)
                        i += 1
                else:
                    merged_w.append(words[i]); merged_l.append(lower[i]); merged_v.append(None)
                    i += 1
            words, lower, valences = merged_w, merged_l, merged_v
        for i, low in enumerate(lower):
            if valences[i] is None:
                valences[i] = self._word_valence(low)
        is_cap_diff = allcap_differential(words)
        sentiments: list[float] = []
        hits: list[str] = []
        n = len(lower)
        for i, low in enumerate(lower):
            valence = valences[i] or 0.0
            if low in boosters and (
                valence == 0.0 or (i + 1 < n and (valences[i + 1] or lower[i + 1] in boosters))
            ):
                sentiments.append(0.0)  # a modifier here, not an opinion
                continue
            if valence == 0.0:
                sentiments.append(0.0)
                continue
            hits.append(low)
            if words[i].isupper() and is_cap_diff:
                valence += C_INCR if valence > 0 else -C_INCR
            for back in range(3):
                j = i - back - 1
                if j < 0:
                    break
                prev = lower[j]
                if valences[j] and prev not in boosters:
                    continue  # VADER: only non-lexicon words modify
                scalar = boosters.get(prev, 0.0)
                if scalar:
                    if valence < 0:
                        scalar = -scalar
                    if words[j].isupper() and is_cap_diff:
                        scalar += C_INCR if valence > 0 else -C_INCR
                    valence += scalar * (1.0, 0.95, 0.9)[back]
                if prev in negations:
                    valence *= N_SCALAR
            sentiments.append(valence)
        contrast = next((i for i, low in enumerate(lower) if low in rules.contrasts), None)
        if contrast is not None:
            sentiments = [
                s * 0.5 if i < contrast else s * 1.5 if i > contrast else s
                for i, s in enumerate(sentiments)
            ]
        total = sum(sentiments)
        if total:
            emphasis = SentimentIntensityAnalyzer._amplify_ep(text) + SentimentIntensityAnalyzer._amplify_qm(text)
            total += emphasis if total > 0 else -emphasis
        return Polarity(normalize(total) if total else 0.0, tuple(hits))

    def _word_valence(self, low: str) -> float | None:
        rules = self.rules
        value = rules.lexicon.get(low)
        if value is not None:
            return value
        value = rules.emoji.get(low)
        if value is not None:
            return value
        for prefix in rules.prefixes:
            if low.startswith(prefix) and len(low) - len(prefix) >= 3:
                base = rules.lexicon.get(low[len(prefix):].lstrip("-"))
                if base:
                    return base + (B_INCR if base > 0 else -B_INCR)
        return None


class EnglishSentiment:
    """Plain VADER for English: its rules were tuned on English and must not regress."""

    def __init__(self, vader: SentimentIntensityAnalyzer) -> None:
        self._vader = vader

    def polarity(self, text: str) -> Polarity:
        return Polarity(self._vader.polarity_scores(text)["compound"], ())


def label_for(compound: float, pos: float = POS_THRESHOLD, neg: float = NEG_THRESHOLD) -> str:
    return "pos" if compound >= pos else "neg" if compound <= neg else "neu"
