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

from webcare.classify.cues import Cue, cue

COMPLAINT_THRESHOLD = 0.5

COMPLAINT_CUES: tuple[Cue, ...] = (
    cue("broken", 0.35,
        "kapot", "stuk", "defect", "storing", "storingen", "werkt niet", "werkt nog steeds niet",
        "doet het niet", "doet het nog steeds niet", "foutmelding", "ligt eruit", "ligt plat",
        "eruit gegooid", "crasht", r"broken", r"doesn'?t work", r"not working", r"won'?t work",
        r"stopped working", r"outage", r"is down", r"keeps crashing", r"crash(?:es|ed)?", r"error"),
    cue("not delivered", 0.35,
        r"niet (?:geleverd|ontvangen|aangekomen|bezorgd)", r"nooit (?:geleverd|ontvangen|aangekomen)",
        r"nog (?:steeds )?niet (?:geleverd|ontvangen|binnen|aangekomen|bezorgd)", "kwijtgeraakt",
        "beschadigd", "verkeerde", r"never (?:arrived|received|delivered)", r"not (?:received|delivered)",
        r"hasn'?t arrived", r"damaged", r"wrong (?:item|order|size)", "missing"),
    cue("no answer", 0.35,
        "geen reactie", "geen antwoord", "geen gehoor", r"niet bereikbaar", "onbereikbaar",
        r"niks? (?:meer )?gehoord", r"niets (?:meer )?gehoord", "reageert niemand",
        r"niemand (?:neemt op|reageert)", "no response", "no reply", "no answer", "nobody answers",
        r"never (?:heard|got) back", r"ignor(?:ed|ing)"),
    cue("waiting", 0.25,
        r"wacht(?:en)? al", r"al (?:\d+|twee|drie|vier|vijf|zes|weken|dagen|maanden|uren)\b[\w ]{0,12}(?:gewacht|wachten|dagen|weken|maanden|uur)",
        "nog steeds niet", "nog steeds geen", r"still (?:waiting|no|not)", r"waiting (?:for|since)",
        r"(?:for|after) (?:\d+|two|three|four|five|six) (?:days|weeks|months|hours)"),
    cue("again", 0.2,
        "alweer", "weer eens", "zoveelste", r"voor de \w+ keer", "nogmaals", "opnieuw",
        r"again", r"(?:third|fourth|fifth|\d+(?:st|nd|rd|th)) time"),
    cue("money", 0.3,
        "geld terug", r"terugbetal\w*", "dubbel betaald", r"twee ?keer betaald", "te veel betaald",
        r"(?:dubbel|onterecht) afgeschreven", "refund", "money back", r"charged (?:twice|double)",
        r"overcharged"),
    cue("complaint word", 0.35,
        r"klacht\w*", r"klaag\w*", "klagen", r"opgelicht", r"oplicht\w*", "schandalig", "waardeloos",
        "waardeloze", "belachelijk", "klantonvriendelijk", "slechte service", "slechte klantenservice",
        "nooit meer", "teleurgesteld", "onacceptabel", "complaint", "complain", "scam", "ripoff",
        "rip off", "unacceptable", "disgrace", "never again", "worst", "terrible service",
        "disappointed"),
)

PRAISE_CUES: tuple[Cue, ...] = (
    cue("thanks", 0.35,
        "bedankt", r"dank (?:je|u|jullie)(?: wel)?", "dankjewel", "dankuwel", "hartelijk dank",
        "merci", r"thanks?(?: you)?", "thx", "cheers"),
    cue("compliment", 0.35,
        "top", "toppie", r"topper\w*", r"complimenten?", "chapeau", "kanjers?", "held", "helden",
        r"(?:goed|snel|super|prima|fijn) geholpen", "aanrader", "tevreden", "goed opgelost",
        r"great (?:service|job|help)", "well done", "awesome", "amazing", "love (?:it|you)",
        "helpful", "excellent"),
)

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


def matched(cues: tuple[Cue, ...], text_lower: str, lang: str) -> list[tuple[Cue, str]]:
    found = []
    for c in cues:
        hit = c.find(text_lower, lang)
        if hit is not None:
            found.append((c, hit))
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
    cue_weight = 1.0 - _product(1.0 - c.weight for c, _ in complaint_hits)
    score = 1.0 - (1.0 - 0.6 * negativity) * (1.0 - cue_weight)
    if compound > 0.3 and negativity == 0.0:
        score *= 1.0 - min(0.6, compound)  # praise with "opnieuw" in it is not a complaint
    score = round(min(1.0, score), 4)
    complaint = score >= COMPLAINT_THRESHOLD and compound < 0.3
    reasons = tuple(f"{c.name}: '{hit}'" for c, hit in complaint_hits)
    if complaint:
        return Intent("complaint", True, score, reasons)
    if is_question(text, text_lower):
        return Intent("question", False, score, reasons)
    praise_hits = matched(PRAISE_CUES, text_lower, lang)
    praise = max(0.0, compound) * 0.7 + sum(c.weight for c, _ in praise_hits)
    if compound >= 0.05 and praise >= 0.5:
        return Intent("praise", False, score, tuple(f"{c.name}: '{h}'" for c, h in praise_hits))
    return Intent("other", False, score, reasons)


def _product(values) -> float:
    out = 1.0
    for v in values:
        out *= v
    return out
