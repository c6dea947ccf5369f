"""Pure text scoring: language, sentiment, complaint intent and urgency (Dutch and English).

`Classifier.score(message)` is the one entry point the pipeline uses; it reads nothing but
its arguments and its rules are built once in `__init__` and never changed, so one instance
is safe to share between tasks and threads. English is scored by plain VADER; Dutch by
VADER's rules over a Dutch lexicon (`lexicon_nl`); other languages get a neutral score with
low confidence, because a wrong label is worse than none.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from webcare.classify.intent import classify_intent
from webcare.classify.language import LanguageDetector
from webcare.classify.lexicon_nl import DATA, dutch_rules, load_tsv
from webcare.classify.sentiment import (
    EnglishSentiment, Polarity, RuleSentiment, emoji_valences, label_for,
)
from webcare.classify.urgency import UrgencyContext, urgency
from webcare.models import Message, MessageFormatError, Score

__all__ = ["Classifier", "UrgencyContext", "classify_record"]

# Dutch labels: thresholds on the compound score, chosen on the Dutch TRAIN splits.
NL_POS, NL_NEG = 0.05, -0.05


class Classifier:
    def __init__(self) -> None:
        vader = SentimentIntensityAnalyzer()
        rules = dutch_rules(vader.lexicon, emoji_valences(vader))
        self._english = EnglishSentiment(vader)
        self._dutch = RuleSentiment(rules)
        dutch = load_tsv(DATA / "lexicon_nl_pattern.tsv").keys() | load_tsv(DATA / "vocab_nl.tsv").keys()
        self._detector = LanguageDetector(
            nl_words=(w for w in dutch if w.isalpha()), en_words=vader.lexicon,
        )

    def polarity(self, text: str, lang: str) -> Polarity:
        """Sentiment with the engine for `lang` ('und' falls back to English VADER)."""
        if lang == "nl":
            return self._dutch.polarity(text)
        return self._english.polarity(text)

    def score_text(
        self, text: str, lang_hint: str | None = None, *, public: bool = False,
        followers: int | None = None, context: UrgencyContext | None = None,
    ) -> Score:
        guess = self._detector.detect(text, lang_hint)
        lang = guess.lang
        if lang == "other":
            compound, label = 0.0, "neu"
            confidence = 0.2
        else:
            compound = self.polarity(text, lang).compound
            pos, neg = (NL_POS, NL_NEG) if lang == "nl" else (0.05, -0.05)
            label = label_for(compound, pos, neg)
            strength = min(1.0, abs(compound) / 0.5)
            base = guess.confidence if lang != "und" else 0.3
            confidence = round(base * (0.6 + 0.4 * strength), 4)
        intent = classify_intent(text, lang, compound)
        level, urgency_reasons = urgency(
            text, lang, compound, intent.complaint, public=public, followers=followers,
            context=context,
        )
        reasons = urgency_reasons + tuple(r for r in intent.reasons if r not in urgency_reasons)
        return Score(
            lang=lang, compound=compound, label=label, intent=intent.intent,
            complaint=intent.complaint, complaint_score=intent.complaint_score, urgency=level,
            reasons=reasons, confidence=confidence,
        )

    def score(self, message: Message, context: UrgencyContext | None = None) -> Score:
        return self.score_text(
            message.text, message.lang, public=message.public,
            followers=message.author.followers, context=context,
        )


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """One shared instance: building the lexicons takes a few hundred milliseconds."""
    return Classifier()


def classify_record(obj: Mapping[str, Any], classifier: Classifier | None = None) -> dict[str, Any]:
    """One `webcare classify` output line for a message object or a bare {"id", "text"}."""
    text = obj.get("text")
    if not isinstance(text, str):
        raise MessageFormatError("text", "expected a string")
    author = obj.get("author")
    followers = author.get("followers") if isinstance(author, Mapping) else None
    if not isinstance(followers, int) or isinstance(followers, bool):
        followers = None
    lang = obj.get("lang")
    score = (classifier or default_classifier()).score_text(
        text, lang if isinstance(lang, str) else None, public=obj.get("public") is True,
        followers=followers,
    )
    return {"id": obj.get("id"), **score.to_dict()}
