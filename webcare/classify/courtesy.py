"""Letter formulas: the "Geachte heer/mevrouw," and "Met vriendelijke groet, Jan" around a message.

They are politeness, not an opinion of the brand, yet their words carry valence in every
lexicon ("vriendelijke" +1.8, "kind regards" +0.53 in VADER): a Dutch e-mail complaint that
closes as nearly all of them do read as positive, and "Ik wacht nog steeds op mijn geld. Met
vriendelijke groet" was no complaint at all. Sentiment is read without them. Only a formula
at the very start (a salutation ending in a comma, colon or line break) or at the very end
(followed by nothing but a signature) is taken out: "Alvast bedankt voor het gesprek met
mijn baas 👏" is sarcasm, not a closing, "Groetjes aan Mo!" is not followed by a name, and
"Cheers!" is thanks as often as a sign-off.
"""

from __future__ import annotations

import re
from itertools import product

# salutations whose words carry valence; "Beste Jan," and "Hallo," carry none
_OPENING = re.compile(r"\A\W*(?i:geachte|lieve|dear)\b[^\n,:;!?.]{0,50}[,:\n]")


def _formulas() -> frozenset[tuple[str, ...]]:
    """Every closing formula as a tuple of lower-cased words without their punctuation."""
    greetings = ("groet", "groeten", "groetjes")
    kinds = ("vriendelijke", "vriendelijk", "hartelijke", "hartelijk", "lieve", "warme", "zonnige",
             "sportieve", "beste", "hele")
    formulas = {(g,) for g in greetings} | {(k, g) for k, g in product(kinds, greetings)}
    formulas |= {("met", *f) for f in set(formulas)}
    formulas |= {(a,) for a in ("mvg", "m.v.g", "m.vr.gr", "mvgr", "vr.gr", "vrgr", "gr", "grt", "grtz",
                                "grtjs", "vg", "regards", "sincerely", "faithfully")}
    formulas |= {(k, "regards") for k in ("kind", "best", "warm", "kindest", "warmest")}
    formulas |= {("with", "kind", "regards"), ("best", "wishes"), ("yours", "sincerely"),
                 ("yours", "faithfully")}
    thanks = [("alvast", "bedankt"), ("alvast", "dank"), ("alvast", "hartelijk", "bedankt"),
              ("alvast", "heel", "erg", "bedankt"), ("alvast", "erg", "bedankt"),
              ("bij", "voorbaat", "dank"), ("bij", "voorbaat", "hartelijk", "dank"),
              ("thanks", "in", "advance"), ("many", "thanks", "in", "advance"),
              ("thank", "you", "in", "advance")]
    for_what = [("voor", whose, what) for whose, what in product(
        ("uw", "je", "jouw", "jullie", "de"),
        ("reactie", "antwoord", "hulp", "moeite", "medewerking", "tijd", "begrip"))]
    formulas |= set(thanks) | {(*t, *w) for t, w in product(thanks[:7], for_what)}
    return frozenset(formulas)


_FORMULAS = _formulas()
_LAST_WORDS = frozenset(f[-1] for f in _FORMULAS)
_LONGEST = max(map(len, _FORMULAS))
_PUNCT = ",.;:!/-–—"
# a signature: names, initials, name particles, an address line ("R. Bakker Lindenlaan 14-B")
_SIGNATURE = re.compile(r"(?:[A-ZÀ-Ý][\w'’.\-]*|\d[\w/\-]*|de|van|der|den|het|ten|ter|te|el|al|la|le"
                        r"|da|di|du|fam\.?|familie|en|&),?")
_SIGNATURE_WORDS = 8
# a closing can only be in the last lines; looking there keeps a 20 kB text cheap
_TAIL = 200


def without_courtesies(text: str) -> str:
    """`text` without a valenced salutation at its start and closing formulas (with the
    signature) at its end; a message that is nothing but a formula ("Groetjes!") is kept."""
    opening = _OPENING.match(text)
    body = text[opening.end():].lstrip() if opening else text
    while True:
        cut = _closing_start(body)
        if cut <= 0 or not body[:cut].strip():
            return body
        body = body[:cut].rstrip()


def _closing_start(text: str) -> int:
    """Where a closing formula followed by at most a signature ends `text` begins, or -1."""
    tail = text[-_TAIL:]
    # most messages end in no formula: their last words tell at once
    if _LAST_WORDS.isdisjoint([t.strip(_PUNCT) for t in tail.lower().split()[-_SIGNATURE_WORDS - 2:]]):
        return -1
    tokens = tail.split()[-(_LONGEST + _SIGNATURE_WORDS):]
    words = [t.strip(_PUNCT).lower() for t in tokens]
    n = len(words)
    for signed in range(min(_SIGNATURE_WORDS, n) + 1):  # how many of the last tokens sign it
        if signed and not _SIGNATURE.fullmatch(tokens[n - signed]):
            break
        end = n - signed
        while end and not words[end - 1]:  # a lone "/" or "-" between formula and name
            end -= 1
        if not end or words[end - 1] not in _LAST_WORDS:
            continue
        for size in range(min(_LONGEST, end), 0, -1):
            if tuple(words[end - size:end]) in _FORMULAS:
                return _position(text, tokens, end - size)
    return -1


def _position(text: str, tokens: list[str], index: int) -> int:
    """The offset in `text` of `tokens[index]`, the tokens being the last words of `text`."""
    at = len(text)
    for token in reversed(tokens[index:]):
        at = text.rfind(token, 0, at)
    return at
