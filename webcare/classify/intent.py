"""What the writer wants: complaint, question, praise or other.

A complaint is negative sentiment plus service-failure language ("werkt niet", "geen
reactie", "still waiting"): either can carry it, so "Mijn pakket is nog steeds niet
geleverd" is a complaint without a single negative adjective. Questions are recognised by
a question mark or an interrogative opening; praise by positive sentiment plus thanks or
compliments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from webcare.classify.cues import (
    AGAIN, BROKEN, CHURN, COMPLAINT_WORDS, COMPLIMENT, LEGAL, MONEY, NO_ANSWER, NOT_DELIVERED,
    THANKS, WAITING, Cue,
)

COMPLAINT_THRESHOLD = 0.5
NEGATIVITY_WEIGHT = 0.7  # compound -0.72 alone makes a complaint

# Evidence that a message reports a failure, with how much each family alone weighs.
COMPLAINT_CUES: tuple[tuple[Cue, float], ...] = (
    (BROKEN, 0.4), (NOT_DELIVERED, 0.4), (NO_ANSWER, 0.4), (WAITING, 0.3), (AGAIN, 0.2),
    (MONEY, 0.3), (COMPLAINT_WORDS, 0.4), (LEGAL, 0.45), (CHURN, 0.3),
)
PRAISE_CUES: tuple[tuple[Cue, float], ...] = ((THANKS, 0.35), (COMPLIMENT, 0.35))

# Interrogatives that open a question even without "?" ("Waar blijft mijn pakket").
# "wat" is left out: "Wat een service" is an exclamation.
QUESTION_OPENERS = frozenset("""
    waar wanneer hoe waarom wie welke welk hoelang hoeveel waarmee hoezo
    where when how why who which
""".split())
QUESTION_PHRASES = re.compile(
    r"\b(?:weet iemand|kan iemand|is het mogelijk|ik vroeg me af|graag (?:weten|horen)|"
    r"kunnen jullie|kunt u|anyone know|can you|could you|is there|i was wondering)\b")
FIRST_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Intent:
    intent: str  # complaint | question | praise | other
    complaint: bool
    complaint_score: float
    reasons: tuple[str, ...]  # e.g. "complaint cue: 'werkt niet'"


def matched(
    cues: tuple[tuple[Cue, float], ...], text_lower: str, lang: str,
) -> list[tuple[float, str]]:
    """(weight, reason) for every cue family found in the text."""
    found = []
    for c, weight in cues:
        hit = c.find(text_lower, lang)
        if hit is not None:
            found.append((weight, c.reason(hit)))
    return found


def is_question(text: str, text_lower: str) -> bool:
    if "?" in text:
        return True
    first = FIRST_WORD.search(text_lower)
    opener = first is not None and first.group(0) in QUESTION_OPENERS and first.start() < 3
    return opener or bool(QUESTION_PHRASES.search(text_lower))


def classify_intent(text: str, lang: str, compound: float) -> Intent:
    """Combine sentiment (`compound`, -1..1) with cue words into an intent decision."""
    text_lower = text.lower()
    complaint_hits = matched(COMPLAINT_CUES, text_lower, lang)
    negativity = max(0.0, -compound)
    cue_weight = 1.0 - _product(1.0 - w for w, _ in complaint_hits)
    score = 1.0 - (1.0 - NEGATIVITY_WEIGHT * negativity) * (1.0 - cue_weight)
    if compound > 0.3 and negativity == 0.0:
        score *= 1.0 - min(0.6, compound)  # praise with "opnieuw" in it is not a complaint
    score = round(min(1.0, score), 4)
    complaint = score >= COMPLAINT_THRESHOLD and compound < 0.3
    reasons = tuple(reason for _, reason in complaint_hits)
    if complaint:
        return Intent("complaint", True, score, reasons)
    if is_question(text, text_lower):
        return Intent("question", False, score, reasons)
    praise_hits = matched(PRAISE_CUES, text_lower, lang)
    praise = max(0.0, compound) * 0.7 + sum(w for w, _ in praise_hits)
    if compound >= 0.05 and praise >= 0.5:
        return Intent("praise", False, score, tuple(reason for _, reason in praise_hits))
    return Intent("other", False, score, reasons)


def _product(values) -> float:
    out = 1.0
    for v in values:
        out *= v
    return out
