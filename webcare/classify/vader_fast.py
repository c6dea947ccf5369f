"""Plain VADER, same numbers, less work per call.

vaderSentiment re-lowercases the whole sentence for every word it checks (quadratic in the
sentence length) and walks its emoji table character by character even for ASCII text.
`FastVader` keeps VADER's English rules, lexicon and constants and returns exactly the same
scores (bench/eval_sentiment.py and tests/test_classify_eval.py compare them on VADER's own
data sets); it only lowercases once per sentence, reads each distinct token once (`memo`) and looks
only at the characters that can be emoji. It keeps no state between calls.
"""

from __future__ import annotations

import re
import string

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT, C_INCR, N_SCALAR, NEGATE, SPECIAL_CASES, SentimentIntensityAnalyzer,
    normalize, scalar_inc_dec,
)

from webcare.classify.memo import Memo

_NEGATE = frozenset(NEGATE)
_PUNCT = string.punctuation


def _strip_punc_if_word(token: str) -> str:
    """VADER's SentiText rule: strip punctuation unless only an emoticon-sized stub is left."""
    stripped = token.strip(_PUNCT)
    return token if len(stripped) <= 2 else stripped


def _read_token(token: str) -> tuple[str, str, bool]:
    """A token as VADER reads it: stripped of punctuation, lower-cased, whether in capitals."""
    word = _strip_punc_if_word(token)
    return word, word.lower(), word.isupper()


_TOKENS: Memo[tuple[str, str, bool]] = Memo(_read_token)


def _negated(word_lower: str) -> bool:
    return word_lower in _NEGATE or "n't" in word_lower


class FastVader(SentimentIntensityAnalyzer):
    """`polarity_scores` identical to vaderSentiment 3.3.2's, computed faster."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # the characters from the lowest one-character emoji up: all that can be emoji
        lowest = min((c for c in self.emojis if len(c) == 1), key=ord, default="\U0010ffff")
        self._emoji_range = re.compile(f"[{re.escape(lowest)}-\U0010ffff]")

    def polarity_scores(self, text: str) -> dict[str, float]:
        sentiments, text = self._sentiments(text)
        return self.score_valence(sentiments, text)

    def compound(self, text: str) -> float:
        """`polarity_scores(text)["compound"]` without the neg/neu/pos shares nobody reads."""
        sentiments, text = self._sentiments(text)
        if not sentiments:
            return 0.0
        total = float(sum(sentiments))
        emphasis = self._punctuation_emphasis(text)
        if total > 0:
            total += emphasis
        elif total < 0:
            total -= emphasis
        return round(normalize(total), 4)

    def _sentiments(self, text: str) -> tuple[list[float], str]:
        """Each word's valence after VADER's rules, and the text they were read from."""
        if not text.isascii():
            text = self._describe_emoji(text)
        text = text.strip()
        read = list(map(_TOKENS.__getitem__, text.split()))
        if read:
            words, lows, upper = (list(column) for column in zip(*read))
        else:
            words, lows, upper = [], [], []
        caps = sum(upper)
        is_cap_diff = 0 < len(words) - caps < len(words)  # VADER's allcap_differential
        lexicon = self.lexicon
        sentiments: list[float] = []
        n = len(words)
        for i, low in enumerate(lows):
            if low in BOOSTER_DICT:
                sentiments.append(0)
                continue
            if i < n - 1 and low == "kind" and lows[i + 1] == "of":
                sentiments.append(0)
                continue
            sentiments.append(self._valence(words, lows, i, is_cap_diff) if low in lexicon else 0)
        if "but" in lows:  # VADER's contrast rule, which lower-cases every word again to look
            sentiments = self._but_check(words, sentiments)
        return sentiments, text

    def _describe_emoji(self, text: str) -> str:
        """VADER's emoji-to-description rewrite: each emoji becomes its description, after a
        space unless it opens the text or follows one. Only the characters in the emoji range
        are looked at (VADER walks every character)."""
        emojis = self.emojis
        out = []
        last = 0
        for found in self._emoji_range.finditer(text):
            description = emojis.get(found.group())
            if description is not None:
                at = found.start()
                out.append(text[last:at])
                if at and text[at - 1] != " ":
                    out.append(" ")
                out.append(description)
                last = at + 1
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)

    def _valence(self, words: list[str], lows: list[str], i: int, is_cap_diff: bool) -> float:
        lexicon = self.lexicon
        item = words[i]
        low = lows[i]
        n = len(words)
        valence = lexicon[low]
        if low == "no" and i != n - 1 and lows[i + 1] in lexicon:
            valence = 0.0
        if (i > 0 and lows[i - 1] == "no") or (i > 1 and lows[i - 2] == "no") or (
            i > 2 and lows[i - 3] == "no" and lows[i - 1] in ("or", "nor")
        ):
            valence = lexicon[low] * N_SCALAR
        if item.isupper() and is_cap_diff:
            valence = valence + C_INCR if valence > 0 else valence - C_INCR
        for start_i in range(3):
            j = i - (start_i + 1)
            if i > start_i and lows[j] not in lexicon:
                s = scalar_inc_dec(words[j], valence, is_cap_diff)
                if start_i == 1 and s != 0:
                    s = s * 0.95
                if start_i == 2 and s != 0:
                    s = s * 0.9
                valence = valence + s
                valence = _negation_check(valence, lows, start_i, i)
                if start_i == 2:
                    valence = _special_idioms_check(valence, lows, i)
        return self._least(valence, lows, i)

    def _least(self, valence: float, lows: list[str], i: int) -> float:
        lexicon = self.lexicon
        if i > 1 and lows[i - 1] not in lexicon and lows[i - 1] == "least":
            if lows[i - 2] != "at" and lows[i - 2] != "very":
                valence = valence * N_SCALAR
        elif i > 0 and lows[i - 1] not in lexicon and lows[i - 1] == "least":
            valence = valence * N_SCALAR
        return valence


def _negation_check(valence: float, lows: list[str], start_i: int, i: int) -> float:
    if start_i == 0:
        if _negated(lows[i - 1]):
            valence = valence * N_SCALAR
    elif start_i == 1:
        if lows[i - 2] == "never" and (lows[i - 1] == "so" or lows[i - 1] == "this"):
            valence = valence * 1.25
        elif lows[i - 2] == "without" and lows[i - 1] == "doubt":
            pass
        elif _negated(lows[i - 2]):
            valence = valence * N_SCALAR
    else:
        if (lows[i - 3] == "never" and (lows[i - 2] == "so" or lows[i - 2] == "this")) or (
            lows[i - 1] == "so" or lows[i - 1] == "this"
        ):
            valence = valence * 1.25
        elif lows[i - 3] == "without" and (lows[i - 2] == "doubt" or lows[i - 1] == "doubt"):
            pass
        elif _negated(lows[i - 3]):
            valence = valence * N_SCALAR
    return valence


def _special_idioms_check(valence: float, lows: list[str], i: int) -> float:
    onezero = f"{lows[i - 1]} {lows[i]}"
    twoonezero = f"{lows[i - 2]} {lows[i - 1]} {lows[i]}"
    twoone = f"{lows[i - 2]} {lows[i - 1]}"
    threetwoone = f"{lows[i - 3]} {lows[i - 2]} {lows[i - 1]}"
    threetwo = f"{lows[i - 3]} {lows[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
            break
    n = len(lows)
    if n - 1 > i:
        zeroone = f"{lows[i]} {lows[i + 1]}"
        if zeroone in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroone]
    if n - 1 > i + 1:
        zeroonetwo = f"{lows[i]} {lows[i + 1]} {lows[i + 2]}"
        if zeroonetwo in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in BOOSTER_DICT:
            valence = valence + BOOSTER_DICT[n_gram]
    return valence
