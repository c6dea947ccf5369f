"""What the writer wants: complaint, question, praise or other.

A complaint is negative sentiment plus service-failure language ("werkt niet", "geen
reactie", "still waiting"): either can carry it, so "Mijn pakket is nog steeds niet
geleverd" is a complaint without a single negative adjective. A reported failure stays a
complaint when the words around it are friendly (a polite e-mail, "Top service hoor 🙄"):
only a failure that has been put right ("werkt weer", "problem solved") turns it into
praise. Questions are recognised by a question mark or an interrogative opening; praise by
positive sentiment plus thanks or compliments, or by strong positive sentiment that is not
cheering ("Hup Holland hup!", "Happy King's Day everyone"). A question to other customers
("Weet iemand...", "Anyone selling...") is chatter among them, not a question to us; asking
whether there is an outage, or a journalist asking for comment, is a question, not a complaint.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Mapping

from webcare.classify.cues import (
    AGAIN, BROKEN, BROKEN_PROMISE, CHURN, COMPLAINT_WORDS, COMPLIMENT, LASTING, LEGAL, MOCK_PRAISE, MONEY, NO_ANSWER,
    NOT_DELIVERED, PRESS, PROBLEM, RESOLVED, SAFETY, SAFETY_NL, SCARE_QUOTES, THANKS, WAITING, WRONG, Cue, find_cues,
    whole_words,
)

COMPLAINT_THRESHOLD = 0.5
NEGATIVITY_WEIGHT = 0.9  # compound -0.56 or lower alone makes a complaint

# Evidence that a message reports a failure, with how much each family alone weighs.
COMPLAINT_CUES: tuple[tuple[Cue, float], ...] = (
    (BROKEN, 0.5), (NOT_DELIVERED, 0.5), (NO_ANSWER, 0.5), (WAITING, 0.5), (LASTING, 0.3), (AGAIN, 0.3),
    (WRONG, 0.3), (BROKEN_PROMISE, 0.5), (PROBLEM, 0.35), (MONEY, 0.3), (COMPLAINT_WORDS, 0.45), (LEGAL, 0.5),
    (SAFETY, 0.5), (SAFETY_NL, 0.45), (CHURN, 0.45), (PRESS, 0.5), (MOCK_PRAISE, 0.2), (SCARE_QUOTES, 0.3),
)
# "Waarom duurt het 3 weken ...?": a why-question about a failure reproaches, it does not ask.
REPROACH = re.compile(r"(?:^|[.!?\n]\s*)(?:(?:allez|nou|dus|ff serieus|serieus),? )?(?:waarom|hoezo|hoe kan het dat|hoe is het mogelijk|why|how come|how is it that|so what exactly)\b")
REPROACH_WEIGHT = 0.3
# A message with some complaint evidence (score 0.3 or more) that is worded like the
# complaints agents filed (`wording.ComplaintWording`, 0.8 or more) is a complaint.
WORDING_GATE, WORDING_THRESHOLD = 0.3, 0.8
PRAISE_CUES: tuple[tuple[Cue, float], ...] = ((THANKS, 0.35), (COMPLIMENT, 0.35), (RESOLVED, 0.35))
# Positive words that cheer someone on or wish everyone well: not praise of us.
CHEER = whole_words(
    r"\b(?:hup|kom op|come on|let'?s go|go go|happy \w+(?:'s)? day|fijne \w+dag|succes (?:allemaal|iedereen|vandaag)|"
    r"good luck|gefeliciteerd|congrat\w*|have a (?:nice|great|good) (?:day|weekend)|fijn weekend|prettige feestdagen|"
    r"merry christmas|happy new year|gelukkig nieuwjaar)\b")
# Questions put to other customers, not to us: "Weet iemand...", "Who else...", "Anyone selling..."
PEER_QUESTION = re.compile(
    r"(?:^|[.!?,:\n]\s*)(?:weet iemand|heeft iemand|is er iemand (?:\w+ \w+ )?die|iemand (?:zin|interesse|ervaring|nog (?:een )?(?:tip|tips|goeie|goede|aanrader))|wie (?:gaat|is|heeft|loopt|komt|wil) er|wie nog meer|"
    r"does anyone|anyone (?:know|got|selling|else|going|want|fancy|up for)|anybody (?:know|got|selling|else|going)|who else|"
    r"is anyone else|who'?s (?:watching|going|coming|in)|vraag aan de groep)\b")
# "Is er een storing?" asks whether there is an outage; when the rest of the message reports
# no failure of its own (and the outage word is all that is negative) it is a question.
OUTAGE_QUESTION = re.compile(
    r"(?:^|[.!?]\s*)(?:is (?:er|there) (?:\w+ )?(?:een |an? )?(?:storing|outage|problem|probleem|issue|störung)|"
    r"(?:is|are) (?:\w+ ){0,3}?(?:down|offline|plat|eruit))\b")
# A journalist asking us for comment: a question (the press signal still raises urgency).
JOURNALIST = re.compile(
    r"\b(?:ik ben|i'?m|i am) (?:een |a |an )?(?:\w+ )?(?:journalist|verslaggever|redacteur|reporter|correspondent)\b"
    r"|\bwriting (?:a|an) (?:piece|article|story)\b|\bwerk aan een (?:item|artikel|reportage|stuk)\b")
# "ok thanks, I'll check my spam folder": a reply that closes the exchange, not praise.
ACKNOWLEDGEMENT = re.compile(
    r"^(?:ok(?:ay|é|e|ido)?|oké|prima|alright|right|helder|duidelijk),? (?:thanks|thank you|thx|cheers|dank je(?: wel)?|"
    r"dankje(?:wel)?|bedankt|merci)\b")
PEER_ADDRESSEES = whole_words(r"\b(?:jullie|u|uw|you|your)\b")
# "Mijn hypotheekadviseur (niet van jullie hoor) ...", "My landlord is the worst. Not you guys":
# the writer says the bad news is not about us, so negative words alone make no complaint.
NOT_ABOUT_US = re.compile(
    r"\b(?:niet (?:van |aan |bij )?(?:jullie|u)(?: hoor| gelegen)?|niet jullie schuld|ligt niet aan jullie|"
    r"not (?:you guys|your fault|you|aimed at you|about you)|nothing to do with you|off-?topic)(?![\w-])")
# Not a question to us about our service: sales pitches, job seekers, students' research.
NOT_FOR_US = re.compile(
    r"\b(?:vrijblijvende offerte|(?:wij|we) (?:bieden|leveren|verzorgen) |"
    r"(?:love|like) to (?:pitch|offer you|show you|talk to your (?:procurement|marketing|webcare|team))|"
    r"we (?:offer|provide|help companies)|"
    r"(?:ik )?zoek (?:een |nog een )?(?:bijbaan\w*|baan|stage\w*|vakantiewerk)|looking for (?:a |an )?(?:job|internship)|"
    r"vacatures?|solliciteren|open sollicitatie|stageplek|(?:mijn|my) (?:cv|resume)(?![\w-])|"
    r"scriptie|afstudeer\w*|onderzoek voor (?:mijn|m'n)|thesis|dissertation|survey for my)")

# Interrogatives that open a question even without "?" ("Waar blijft mijn pakket").
# "wat" is left out: "Wat een service" is an exclamation.
QUESTION_OPENERS = frozenset("""
    waar wanneer hoe waarom wie welke welk hoelang hoeveel waarmee hoezo
    where when how why who which
""".split())
QUESTION_PHRASES = whole_words(
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
    cues: tuple[tuple[Cue, float], ...], found: Mapping[Cue, str],
) -> list[tuple[float, str]]:
    """(weight, reason) for every family of `cues` among the `found` ones."""
    if not found:  # most messages: no cue at all
        return []
    return [(weight, c.reason(found[c])) for c, weight in cues if c in found]


def is_question(text: str, text_lower: str) -> bool:
    if "?" in text:
        return True
    first = FIRST_WORD.search(text_lower, 0, 40)
    if first is not None and first.start() < 3 and first.group(0) in QUESTION_OPENERS:
        return True
    return QUESTION_PHRASES.search(text_lower) is not None


def classify_intent(
    text: str, compound: float, found: Mapping[Cue, str], text_lower: str | None = None,
    wording: Callable[[str], float] | None = None,
) -> Intent:
    """Combine sentiment (`compound`, -1..1) with the cues `found` in the text, and with
    `wording(text)`, the probability that its words are a complaint's, when that decides."""
    if text_lower is None:
        text_lower = text.lower()
    complaint_hits = matched(COMPLAINT_CUES, found)
    negativity = max(0.0, -compound)
    cue_weight = 1.0 - math.prod([1.0 - w for w, _ in complaint_hits])
    if complaint_hits and REPROACH.search(text_lower):
        cue_weight = 1.0 - (1.0 - cue_weight) * (1.0 - REPROACH_WEIGHT)
    score = 1.0 - (1.0 - NEGATIVITY_WEIGHT * negativity) * (1.0 - cue_weight)
    # Friendly words soften a reported failure only when it has been put right or praised
    # ("Opnieuw top geholpen"); a polite or mocking complaint keeps its weight.
    put_right = MOCK_PRAISE not in found and (RESOLVED in found or COMPLIMENT in found or THANKS in found)
    if compound > 0.3 and negativity == 0.0 and (put_right or cue_weight < 0.5):
        score *= 1.0 - min(0.6, compound)
    score = round(min(1.0, score), 4)
    # "... Problem solved, thank you!": a failure put right and thanked for is not a complaint
    settled = RESOLVED in found and (THANKS in found or COMPLIMENT in found) and MOCK_PRAISE not in found
    complaint = (score >= COMPLAINT_THRESHOLD and (compound < 0.3 or not put_right)
                 and not (settled and compound > -0.5))
    reasons = tuple(reason for _, reason in complaint_hits)
    if not complaint and wording is not None and score >= WORDING_GATE and not settled:
        likely = wording(text)
        if likely >= WORDING_THRESHOLD:
            complaint = True
            reasons += (f"worded like a complaint ({likely:.2f})",)
    asks = is_question(text, text_lower)
    to_peers = asks and PEER_QUESTION.search(text_lower) is not None and not PEER_ADDRESSEES.search(text_lower)
    if complaint and asks and (JOURNALIST.search(text_lower) or _asks_about_outage(text_lower, negativity)):
        complaint = False
    if complaint and cue_weight < 0.5 and (to_peers or NOT_ABOUT_US.search(text_lower)):
        complaint = False  # the negative words are about something else
    if complaint:
        return Intent("complaint", True, score, reasons)
    if asks:
        if to_peers:
            return Intent("other", False, score, ("asks other customers",))
        if NOT_FOR_US.search(text_lower):
            return Intent("other", False, score, ("an offer, a job or research request",))
        return Intent("question", False, score, reasons)
    praise_hits = matched(PRAISE_CUES, found)
    cue_praise = sum(w for w, _ in praise_hits)
    praise = max(0.0, compound) * 0.7 + cue_praise
    cheering = not praise_hits and CHEER.search(text_lower) is not None
    closing = ACKNOWLEDGEMENT.search(text_lower) is not None and COMPLIMENT not in found and len(text_lower) < 80
    if not (cheering or closing) and praise >= 0.5 and (compound >= 0.05 or (cue_praise >= 0.7 and compound > -0.3)):
        return Intent("praise", False, score, tuple(reason for _, reason in praise_hits))
    return Intent("other", False, score, reasons)


# Families that report a failure; praise next to one of them mocks ("Bedankt he.").
FAILURES = frozenset(c for c, _ in COMPLAINT_CUES if c not in (MOCK_PRAISE, AGAIN, PRESS))


def mocking(found: Mapping[Cue, str]) -> str | None:
    """The mocking praise in a message that reports an unresolved failure, if any."""
    if MOCK_PRAISE in found and RESOLVED not in found and any(c in found for c in FAILURES):
        return found[MOCK_PRAISE]
    return None


def _asks_about_outage(text_lower: str, negativity: float) -> bool:
    if negativity >= 0.5 or not OUTAGE_QUESTION.search(text_lower):
        return False
    rest = find_cues(OUTAGE_QUESTION.sub(" ", text_lower), "und")
    return not any(c in rest for c, _ in COMPLAINT_CUES)
