"""VADER's sentiment rules with the language-specific parts made data.

vaderSentiment keeps its negation and booster words in module globals, so a Dutch analyzer
cannot be made by swapping them (that would race between threads). `RuleSentiment` applies
the same rules -- lexicon valence, boosters and dampeners within three words, negation
(x -0.74), ALL-CAPS emphasis, contrast ("but" / "maar": before x0.5, after x1.5), emoji and
emoticons, ! and ? emphasis, VADER's normalisation -- to a `LanguageRules` value built once.
It adds what Dutch needs: phrases scored as one unit ("geen reactie", "werkt niet"),
intensifying compound prefixes ("superlekker"), "niet" after the word it negates ("Lekker
was het niet"), "nooit zo slecht" as an intensifier, stress accents ("géén") and a small
negative weight for a "niet"/"geen" that negates no opinion ("Er is geen menukaart").
Modifiers do not reach across a clause boundary or a contrast word.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from itertools import compress
from typing import TYPE_CHECKING, Mapping

from vaderSentiment.vaderSentiment import (
    B_INCR, C_INCR, N_SCALAR, SentimentIntensityAnalyzer, normalize,
)

from webcare.classify.memo import Memo

if TYPE_CHECKING:
    from webcare.classify.vader_fast import FastVader

POS_THRESHOLD, NEG_THRESHOLD = 0.05, -0.05  # VADER's published cut-offs
_amplify_ep = SentimentIntensityAnalyzer._amplify_ep  # "!" emphasis, VADER's numbers
_amplify_qm = SentimentIntensityAnalyzer._amplify_qm  # "??" emphasis


@dataclass(frozen=True)
class LanguageRules:
    """Everything language-specific the engine needs; built once, never mutated."""

    lexicon: Mapping[str, float]
    boosters: Mapping[str, float]
    negations: frozenset[str]
    contrasts: frozenset[str]
    phrases: Mapping[tuple[str, ...], float] = field(default_factory=dict)  # of 2+ words
    prefixes: tuple[str, ...] = ()
    emoji: Mapping[str, float] = field(default_factory=dict)
    # negators followed by these intensify instead ("nooit zo slecht" = "never this bad")
    negation_intensifiers: frozenset[str] = frozenset()
    # Dutch puts "niet" after what it negates ("Lekker was het niet"): when nothing with
    # sentiment follows "niet" in its clause, it negates the nearest opinion before it.
    post_negation: bool = False
    # Valence of a negation that negates no opinion ("Er is geen menukaart", "niemand neemt
    # op"): in customer messages a bare "niet"/"geen" mostly reports something missing.
    bare_negation: float = 0.0


POST_NEGATORS = frozenset({"niet", "nie", "nooit"})
BARE_NEGATORS = frozenset({"niet", "nie", "geen", "nooit", "niets", "niks", "niemand", "nergens"})
CLAUSE_END = frozenset(",.;:!?()")
# Dutch writes stress with accents ("géén", "véél", "échte"); fold them for lookup.
_FOLD = str.maketrans("áéíóúàèìòùâêîôû", "aeiouaeiouaeiou")


@dataclass(frozen=True, slots=True)
class Polarity:
    compound: float
    hits: tuple[str, ...]  # the words and phrases that carried sentiment, for reasons


# Emoji whose English description carries no VADER word ("pouting face") but whose meaning
# in a customer's message is plain; used by the Dutch and symbol engines.
EMOJI_VALENCE = {
    "😡": -2.8, "😠": -2.5, "🤬": -3.0, "😤": -2.0, "🙄": -1.5, "👎": -2.0, "💩": -2.0,
    "😒": -1.5, "🤮": -2.8, "🤢": -2.0, "😞": -1.8, "😩": -2.0, "😫": -2.0, "😑": -1.0,
    "💔": -2.0, "😓": -1.5, "😔": -1.5, "🤦": -1.8, "😬": -0.8,
    "👍": 2.0, "👏": 2.0, "🙏": 1.5, "💪": 1.5, "🥰": 3.0, "🤩": 2.8, "🙌": 2.2, "👌": 1.8,
    "💯": 2.0, "🎉": 2.2, "🥳": 2.5,
}


def emoji_valences(vader: SentimentIntensityAnalyzer) -> dict[str, float]:
    """Valence of each emoji: the VADER valence of its English description, or our own."""
    out = {}
    for char, description in vader.emojis.items():
        value = sum(vader.lexicon.get(w, 0.0) for w in description.lower().split())
        if value:
            out[char] = max(-4.0, min(4.0, value))
    out.update(EMOJI_VALENCE)
    return out


_STRIP = string.punctuation + "“”‘’…"


def _strip_punct(token: str) -> str:
    """VADER's rule: strip surrounding punctuation unless that leaves an emoticon stub."""
    stripped = token.strip(_STRIP)
    if not stripped:
        return token.rstrip(".,!?")  # ":-(." -> ":-("
    return token if len(stripped) <= 2 and not stripped.isalpha() else stripped


class RuleSentiment:
    """A VADER-rule analyzer for one language; safe to share, it keeps no per-call state.

    What a token means without its neighbours (its stripped form, lower-cased and folded
    form, valence, capitals, whether it ends a clause) is worked out once per distinct token
    and remembered (`memo.Memo`): most of a message's words were seen before, and looking
    them up costs a tenth of stripping, folding and looking up each again.
    """

    def __init__(self, rules: LanguageRules) -> None:
        self.rules = rules
        sizes: dict[str, set[int]] = {}
        for phrase in rules.phrases:
            sizes.setdefault(phrase[0], set()).add(len(phrase))
        # first word -> the lengths of the phrases it starts, longest first
        self._phrase_sizes = {w: tuple(sorted(n, reverse=True)) for w, n in sizes.items()}
        # the first two words of each phrase: a text with none of these pairs has no phrase,
        # which one C-level set check tells for most texts
        self._phrase_openings = frozenset(phrase[:2] for phrase in rules.phrases)
        # each single-character emoji -> itself with a space either side (a token of its own)
        self._emoji_spaced = {ord(c): f" {c} " for c in rules.emoji if len(c) == 1} or None
        lowest = min(self._emoji_spaced or (0x10FFFF,))
        self._emoji_range = re.compile(f"[{re.escape(chr(lowest))}-\U0010ffff]")
        self._facts: Memo[tuple[str, str, float | None, bool, bool]] = Memo(self._learn)

    def tokens(self, text: str) -> tuple[list[str], list[bool]]:
        """Words and emoticons, and for each whether a clause ends after it."""
        words, _, _, _, ends = self._read(text)
        return list(words), list(ends)

    def _read(self, text: str):
        """Per token, as five parallel tuples: the word, its lower-cased and folded form, its
        valence (None: none), whether it is in capitals, whether a clause ends after it."""
        if self._emoji_spaced is not None and not text.isascii():
            text = self._space_emoji(text)
        read = list(map(self._facts.__getitem__, text.split()))
        if not read:
            return (), (), (), (), ()
        units = tuple(zip(*read))
        if "" in units[0]:  # a bare "!!!" or "...": not a word, it only ends a clause
            kept: list[tuple[str, str, float | None, bool, bool]] = []
            for fact in read:
                if fact[0]:
                    kept.append(fact)
                elif kept and fact[4]:
                    kept[-1] = (*kept[-1][:4], True)
            if not kept:
                return (), (), (), (), ()
            units = tuple(zip(*kept))
        return units

    def _space_emoji(self, text: str) -> str:
        """Each emoji a token of its own ("top👍" -> "top 👍 "): only those in `text` are
        replaced, found by one scan for characters in the emoji range."""
        spaced = self._emoji_spaced
        for char in set(self._emoji_range.findall(text)):
            if ord(char) in spaced:
                text = text.replace(char, spaced[ord(char)])
        return text

    def _learn(self, raw: str) -> tuple[str, str, float | None, bool, bool]:
        """The facts of one raw token (see the class docstring)."""
        token = _strip_punct(raw)
        if not token:
            fact = ("", "", None, False, raw[0] in CLAUSE_END)
        else:
            low = token.lower()
            if not low.isascii():  # only a non-ASCII text has non-ASCII tokens to fold
                low = low.translate(_FOLD)
            fact = (token, low, self._word_valence(low), token.isupper(),
                    raw[-1] in CLAUSE_END and token[-1] != raw[-1])
        return fact

    def polarity(self, text: str) -> Polarity:
        rules = self.rules
        boosters, negations = rules.boosters, rules.negations
        words, lower, valences, upper, ends = self._read(text)
        # Phrases first: one unit each, so the "geen" in "geen reactie" negates nothing.
        if not self._phrase_openings.isdisjoint(zip(lower, lower[1:])):
            words, lower, valences, upper, ends = self._merge_phrases(words, lower, valences, upper, ends)
        n = len(lower)
        caps = sum(upper)
        is_cap_diff = 0 < n - caps < n  # VADER's allcap_differential
        contrasts = rules.contrasts
        sentiments = [0.0] * n  # words without valence, and modifiers, weigh nothing
        negated = [False] * n
        hits: list[str] = []
        for i in compress(range(n), valences):  # only the words with a valence
            low = lower[i]
            valence = valences[i]
            if low in boosters and i + 1 < n and (valences[i + 1] or lower[i + 1] in boosters):
                continue  # a modifier here, not an opinion
            hits.append(low)
            if not low[:1].isalpha():
                sentiments[i] = valence  # emoji and emoticons: no negation, no boosters
                continue
            if upper[i] and is_cap_diff:
                valence += C_INCR if valence > 0 else -C_INCR
            for back in range(3):
                j = i - back - 1
                if j < 0 or ends[j] or lower[j] in contrasts:
                    break  # modifiers do not reach across a clause or a "maar"
                prev = lower[j]
                if valences[j] and prev not in boosters:
                    continue  # VADER: only non-lexicon words modify
                scalar = boosters.get(prev, 0.0)
                if scalar:
                    if valence < 0:
                        scalar = -scalar
                    if upper[j] and is_cap_diff:
                        scalar += C_INCR if valence > 0 else -C_INCR
                    valence += scalar * (1.0, 0.95, 0.9)[back]
                if prev in negations:
                    if j + 1 < i and lower[j + 1] in rules.negation_intensifiers:
                        valence *= 1.25
                    else:
                        valence *= N_SCALAR
                        negated[i] = not negated[i]
            sentiments[i] = valence
        used: set[int] = set()
        # the negation passes and the contrast only look for words most messages lack
        if rules.post_negation and not POST_NEGATORS.isdisjoint(lower):
            self._negate_backwards(lower, ends, sentiments, negated, used)
        if rules.bare_negation and not BARE_NEGATORS.isdisjoint(lower):
            self._bare_negations(lower, ends, sentiments, used, rules.bare_negation)
        if not contrasts.isdisjoint(lower):
            contrast = next(i for i, low in enumerate(lower) if low in contrasts)
            sentiments = [
                s * 0.5 if i < contrast else s * 1.5 if i > contrast else s
                for i, s in enumerate(sentiments)
            ]
        total = sum(sentiments)
        if total:
            emphasis = _amplify_ep(text) + _amplify_qm(text)
            total += emphasis if total > 0 else -emphasis
        return Polarity(normalize(total) if total else 0.0, tuple(hits))

    def _merge_phrases(self, words, lower, valences, upper, ends):
        """Join known phrases into single units carrying the phrase's valence."""
        phrases, sizes_of = self.rules.phrases, self._phrase_sizes
        n = len(lower)
        found = []  # (start, size, valence)
        resume = 0  # words before this are inside a phrase already found
        for i in [i for i, low in enumerate(lower) if low in sizes_of]:
            if i < resume:
                continue
            for size in sizes_of[lower[i]]:  # longest first
                if size > n - i:
                    continue
                key = tuple(lower[i:i + size])
                if key in phrases and not any(ends[i:i + size - 1]):
                    found.append((i, size, phrases[key]))
                    resume = i + size
                    break
        if not found:
            return words, lower, valences, upper, ends
        out_w, out_l, out_v, out_u, out_e = [], [], [], [], []
        prev = 0
        for start, size, value in found:
            out_w += words[prev:start]; out_l += lower[prev:start]; out_v += valences[prev:start]
            out_u += upper[prev:start]; out_e += ends[prev:start]
            word = " ".join(words[start:start + size])
            out_w.append(word)
            out_l.append(" ".join(lower[start:start + size]))
            out_v.append(value)
            out_u.append(word.isupper())
            out_e.append(ends[start + size - 1])
            prev = start + size
        out_w += words[prev:]; out_l += lower[prev:]; out_v += valences[prev:]
        out_u += upper[prev:]; out_e += ends[prev:]
        return out_w, out_l, out_v, out_u, out_e

    @staticmethod
    def _negate_backwards(lower, ends, sentiments, negated, used: set[int]) -> None:
        """Clause-final "niet" ("Lekker was het niet.") negates the opinion before it."""
        n = len(lower)
        for k, low in enumerate(lower):
            if low not in POST_NEGATORS or (k > 0 and ends[k - 1]):
                continue
            # "niet" must end its clause, or be followed by one last word without sentiment
            # ("Lekker is het niet meer."); otherwise it negates forward, VADER's way.
            if not (ends[k] or k == n - 1):
                nxt = k + 1
                if not (ends[nxt] or nxt == n - 1) or sentiments[nxt]:
                    continue
            for j in range(k - 1, max(-1, k - 5), -1):
                if sentiments[j]:
                    if not negated[j]:
                        sentiments[j] *= N_SCALAR
                    used.add(k)
                    break
                if j > 0 and ends[j - 1]:
                    break

    @staticmethod
    def _bare_negations(lower, ends, sentiments, used: set[int], valence: float) -> None:
        """Negators with no opinion in reach (3 words on, same clause) add `valence`."""
        n = len(lower)
        for k, low in enumerate(lower):
            if low not in BARE_NEGATORS or k in used:
                continue
            reach = False
            for j in range(k + 1, min(n, k + 4)):
                if sentiments[j]:
                    reach = True
                    break
                if ends[j]:
                    break
            if not reach:
                sentiments[k] = valence

    def _word_valence(self, low: str) -> float | None:
        rules = self.rules
        value = rules.lexicon.get(low)
        if value is not None:
            return value
        value = rules.emoji.get(low)
        if value is not None:
            return value
        if len(low) < 6 or not low.startswith(rules.prefixes):
            return None
        for prefix in rules.prefixes:
            if low.startswith(prefix) and len(low) - len(prefix) >= 3:
                base = rules.lexicon.get(low[len(prefix):].lstrip("-"))
                if base:
                    return base + (B_INCR if base > 0 else -B_INCR)
        return None


class SymbolSentiment:
    """Emoji and emoticons only: the sentiment that needs no language (for 'other' texts)."""

    def __init__(self, lexicon: Mapping[str, float], emoji: Mapping[str, float]) -> None:
        # emoticons: ":)", ":-(", "<3", ":D" -- punctuation with at most one letter
        self._symbols = {
            w: v for w, v in lexicon.items()
            if any(not c.isalnum() for c in w) and sum(c.isalpha() for c in w) <= 1
        }
        self._emoji = emoji

    def polarity(self, text: str) -> Polarity:
        total, hits = 0.0, []
        for token in text.split():
            value = self._symbols.get(token)
            if value is not None:
                total += value
                hits.append(token)
                continue
            if not token.isascii():
                for char in token:
                    value = self._emoji.get(char)
                    if value is not None:
                        total += value
                        hits.append(char)
        return Polarity(normalize(total) if total else 0.0, tuple(hits))


class EnglishSentiment:
    """Plain VADER for English: its rules were tuned on English and must not regress."""

    def __init__(self, vader: FastVader) -> None:
        self._vader = vader

    def polarity(self, text: str) -> Polarity:
        return Polarity(self._vader.compound(text), ())


def label_for(compound: float, pos: float = POS_THRESHOLD, neg: float = NEG_THRESHOLD) -> str:
    return "pos" if compound >= pos else "neg" if compound <= neg else "neu"
