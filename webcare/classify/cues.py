"""Named families of expressions ("cues") in Dutch and English; each match becomes a reason.

Intent and urgency weigh the same families differently, so the words live here once. The
lists describe webcare situations (service failures, threats, thanks), not any data set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

ANY = ("nl", "en", "und")


@dataclass(frozen=True, eq=False)  # identity: cues are dict keys on every message
class Cue:
    """A family of expressions; `langs` keeps false friends out ("brand" is fire in Dutch)."""

    name: str
    body: str  # the alternation of expressions, without the word-boundary guards
    langs: frozenset[str] = frozenset(ANY)

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compiled(self.body)

    def find(self, text_lower: str, lang: str) -> str | None:
        """The first matching expression in `text_lower`, or None."""
        if lang not in self.langs:
            return None
        match = self.pattern.search(text_lower)
        return match.group(0) if match else None

    def reason(self, hit: str) -> str:
        return f"{self.name}: '{hit}'"


def cue(name: str, *expressions: str, langs: tuple[str, ...] = ANY) -> Cue:
    """Expressions are regex fragments matched as whole words; most are plain words."""
    body = "|".join(sorted(expressions, key=len, reverse=True))
    return Cue(name, body, frozenset(langs))


@lru_cache(maxsize=None)
def _compiled(body: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


_NUM = r"(?:\d+|twee|drie|vier|vijf|zes|zeven|acht|tien)"
_NUM_EN = r"(?:\d+|two|three|four|five|six|seven|eight|ten)"

BROKEN = cue(
    "broken",
    "kapot", "stuk", "defect", "storing", "storingen", "werkt niet", "werkt nog steeds niet",
    r"werkt (?:al \w+ )?niet meer", "doet het niet", "doet het nog steeds niet", "foutmelding",
    "ligt eruit", "ligt plat", "crasht", "broken", r"doesn'?t work", "not working",
    r"won'?t work", "stopped working", "outage", "is down", "keeps crashing", "error")
NOT_DELIVERED = cue(
    "not delivered",
    r"niet (?:geleverd|ontvangen|aangekomen|bezorgd)", r"nooit (?:geleverd|ontvangen|aangekomen)",
    r"nog (?:steeds )?niet (?:geleverd|ontvangen|binnen|aangekomen|bezorgd)", "kwijtgeraakt",
    "beschadigd", r"verkeerde (?:bestelling|maat|product|artikel|pakket)",
    r"never (?:arrived|received|delivered)", r"not (?:received|delivered)", r"hasn'?t arrived",
    "damaged", r"wrong (?:item|order|size)")
NO_ANSWER = cue(
    "no answer",
    "geen reactie", "geen antwoord", "geen gehoor", "niet bereikbaar", "onbereikbaar",
    r"niks (?:meer )?gehoord", r"niets (?:meer )?gehoord", "reageert niemand",
    r"niemand (?:neemt op|reageert)", "no response", "no reply", "no answer", "nobody answers",
    r"never (?:heard|got) back", "ignored", "ignoring me")
WAITING = cue(
    "waiting",
    r"wacht(?:en)? al", rf"al {_NUM} (?:dagen|weken|maanden|uur|uren)",
    r"al (?:dagen|weken|maanden)", "nog steeds niet", "nog steeds geen",
    r"still (?:waiting|no|not)", r"waiting (?:for|since) (?:days|weeks|months|hours|\d+)",
    rf"(?:for|after) {_NUM_EN} (?:days|weeks|months|hours)")
AGAIN = cue(
    "repeat contact mentioned",
    "alweer", "weer eens", "zoveelste", r"(?:voor )?de (?:\w+de|\w+ste) keer", "nogmaals",
    "opnieuw gebeld", rf"{_NUM} keer (?:gebeld|gemaild|contact)", "again",
    r"(?:third|fourth|fifth|\d+(?:st|nd|rd|th)) time", rf"{_NUM_EN} times")
WRONG = cue(
    "wrong",
    r"klopt (?:nog steeds |weer |alweer )?niet", r"niet klopt", "onjuist", "onjuiste",
    r"verkeerd\w*", "fout", "fouten", r"wrong", "incorrect", "mistake")
MONEY = cue(
    "money",
    "geld terug", r"terugbetal\w*", "dubbel betaald", r"twee ?keer betaald", "te veel betaald",
    r"(?:dubbel|onterecht) afgeschreven", "refund", "money back", r"charged (?:twice|double)",
    "overcharged")
COMPLAINT_WORDS = cue(
    "complaint word",
    r"klacht\w*", r"klaag\w*", "klagen", "opgelicht", r"oplicht\w*", "schandalig", "waardeloos",
    "waardeloze", "belachelijk", "klantonvriendelijk", "slechte service", "slechte klantenservice",
    "nooit meer", "teleurgesteld", "onacceptabel", "bedankt voor niks", "bedankt voor niets",
    "complaint", "complain", "scam", "ripoff", "rip off", "unacceptable", "disgrace",
    "never again", "worst", "terrible service", "disappointed")
LEGAL = cue(
    "legal threat",
    "advocaat", "advocaten", r"rechtszaak\w*", r"juridisch\w*", "rechter", "rechtbank",
    "consumentenbond", "geschillencommissie", "dagvaarding", r"ingebrekestelling\w*", "aangifte",
    "ombudsman", "autoriteit consument", "acm", r"lawyers?", "attorney", "sue", "suing",
    "lawsuit", "legal action", "court", "small claims")
SAFETY = cue(
    "safety risk",
    "gevaarlijk", "gevaarlijke", "levensgevaarlijk", "gevaar", "gewond", "gewonden", "ongeluk",
    "ongeval", "letsel", r"vergiftig\w*", "allergische reactie", r"ontplof\w*", "kortsluiting",
    "rookontwikkeling", "gaslucht", "gaslek", "ziekenhuis", "brandwonden", "unsafe", "dangerous",
    "injured", "injury", "accident", "poisoning", "hospital", r"explod\w*", "caught fire",
    "on fire", "smoke", "gas leak", "electric shock", "choking")
SAFETY_NL = cue("safety risk", "brand", "brandje", "vlam gevat", langs=("nl",))
CHURN = cue(
    "refund/cancel/churn",
    "geld terug", r"terugbetal\w*", "opzeggen", r"opzegging\w*", r"zeg\w* (?:mijn|het|ons) \w+ op",
    "overstappen", "nooit meer", "klant af", r"refund\w*", "money back", r"cancel\w*",
    "unsubscribe", "switching to", "never again", "chargeback", "lost a customer",
    "close my account")
PRESS = cue(
    "press",
    "journalist", "journalisten", "redactie", "pers", "de krant", "het nieuws", "radar",
    "reporter", "press", "newspaper", "the news", "media attention")
THANKS = cue(
    "thanks",
    "bedankt", r"dank (?:je|u|jullie)(?: wel)?", "dankjewel", "dankuwel", "hartelijk dank",
    "merci", "thanks", "thank you", "thx", "cheers")
COMPLIMENT = cue(
    "compliment",
    "top", "toppie", r"topper\w*", r"complimenten?", "chapeau", r"kanjers?", "held", "helden",
    r"(?:goed|snel|super|prima|fijn) geholpen", "aanrader", "tevreden", "goed opgelost",
    r"great (?:service|job|help)", "well done", "awesome", "amazing", r"love (?:it|you)",
    "helpful", "excellent")

ALL_CUES: tuple[Cue, ...] = (
    BROKEN, NOT_DELIVERED, NO_ANSWER, WAITING, AGAIN, WRONG, MONEY, COMPLAINT_WORDS, LEGAL, SAFETY,
    SAFETY_NL, CHURN, PRESS, THANKS, COMPLIMENT,
)
# One pass tells whether any cue occurs at all; most messages then need no further search.
_ANY_CUE = re.compile(r"(?<!\w)(?:" + "|".join(c.body for c in ALL_CUES) + r")(?!\w)")


def find_cues(text_lower: str, lang: str) -> dict[Cue, str]:
    """Every cue family present in `text_lower`, with the expression that matched.

    One pass of the combined pattern finds the candidate expressions; each family is then
    looked for inside those short strings only ("nog steeds niet geleverd" is both
    "not delivered" and, inside it, "waiting").
    """
    hits = [m.group(0) for m in _ANY_CUE.finditer(text_lower)]
    if not hits:
        return {}
    found = {}
    for c in ALL_CUES:
        if lang not in c.langs:
            continue
        pattern = c.pattern
        for hit in hits:
            match = pattern.search(hit)
            if match is not None:
                found[c] = match.group(0)
                break
    return found
