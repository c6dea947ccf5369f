"""The bundled demo story (`webcare demo`) and a synthetic traffic generator for benchmarks.

`generate_demo(seed=7)` tells, as interchange-format message dicts (DESIGN.md), the two cases
webcare exists for, around a fictional Dutch city race, the Zuiderloop, with accounts on
Facebook (page "zuiderloop"), X (@zuiderloop), Instagram, Messenger, e-mail and a phone line.
All times are Europe/Amsterdam (+02:00 until 25 October 2026 03:00, +01:00 after):

- 2026-09-25 20:14  `CUSTOMER_NAME` e-mails about a refund for her cancelled registration and
  a double charge. Six attempts follow (e-mail 29/9, phone 2/10, Messenger 7/10, a public X
  mention 12/10, e-mail 20/10), each answered only by brand auto-replies (`automated: true`),
  then `CUSTOMER_REFUSAL_AT` (2026-10-26 16:05 +01:00) a curt refusal, the only real reply.
  Her identities are `CUSTOMER_IDENTITIES` ((platform, author id) pairs).
- 2026-09-28 .. 10-03  `BASELINE_START`: quiet baseline, 30-65 messages a day with a daily
  rhythm; questions, praise, a rare complaint; the brand answers within about an hour.
- 2026-10-04 (Sunday, race day): cheerful brand posts from 07:00 ("Nog 2 uur tot de start!",
  "Wat een sfeer! 🎉") while from `STORM_ONSET` (10:25, the first complaint: start delayed)
  participants flood the same posts and X: a few per 10 minutes, then 150-200 an hour by
  13:00-15:00 (wrong route signs from ~11:40, no water at 10 km from ~11:55, crowding at the
  finish from ~12:30, medals gone from ~12:50), tailing off through Monday and Tuesday.
  Single signals: `SAFETY_MESSAGE_ID` (13:21, someone fainted, ambulance), `PRESS_MESSAGE_ID`
  (15:42, a journalist on X, 48k followers), `LEGAL_MESSAGE_ID` (Monday 09:14, lawyer and
  Consumentenbond). The brand answers none of it until `STATEMENT_AT` (Monday 21:40), a
  generic statement; a few real replies follow on Tuesday.
- 2026-10-07 .. 10-26  low post-event traffic, answered normally (except for the customer).

`generate_traffic(n)` streams n varied, valid messages fast, for 100k-1M message benchmarks.
Run `python -m webcare.scenario --out FILE` to write the demo (or `--traffic N` for traffic).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import unicodedata
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

DEMO_SEED = 7
DEMO_PATH = Path(__file__).resolve().parent / "data" / "demo.jsonl"

_CET = timezone(timedelta(hours=1))
_CEST = timezone(timedelta(hours=2))


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def amsterdam(local: datetime) -> datetime:
    """Attach the Europe/Amsterdam offset to a naive wall-clock time (EU summer-time rule),
    so the demo needs no tz database; ambiguous/skipped hours resolve like zoneinfo fold=0."""
    summer_from = datetime.combine(_last_sunday(local.year, 3), time(3))
    summer_to = datetime.combine(_last_sunday(local.year, 10), time(3))
    return local.replace(tzinfo=_CEST if summer_from <= local < summer_to else _CET)


def _at(y: int, mo: int, d: int, h: int, mi: int, s: int = 0) -> datetime:
    return amsterdam(datetime(y, mo, d, h, mi, s))


# ---------------------------------------------------------------------------- the story
EVENT_DAY = date(2026, 10, 4)
BASELINE_START = _at(2026, 9, 28, 0, 0)
STORM_ONSET = _at(2026, 10, 4, 10, 25)
STATEMENT_AT = _at(2026, 10, 5, 21, 40)

BRAND_NAME = "Zuiderloop"
FB_PAGE_ID = "104598231876543"
X_BRAND_ID = "1298457730142760961"
IG_BRAND_ID = "17841401234567890"
BRAND_AUTHORS = {
    "facebook": {"id": FB_PAGE_ID, "name": BRAND_NAME},
    "messenger": {"id": FB_PAGE_ID, "name": BRAND_NAME},
    "x": {"id": X_BRAND_ID, "name": BRAND_NAME, "followers": 18400},
    "instagram": {"id": IG_BRAND_ID, "name": "zuiderloop"},
    "email": {"id": "info@zuiderloop.example", "name": "Team Zuiderloop"},
    "phone": {"id": "zuiderloop-klantenservice", "name": "Klantenservice Zuiderloop"},
}

CUSTOMER_NAME = "Marieke de Vries"
CUSTOMER_EMAIL = "marieke.devries@example.com"
CUSTOMER_PSID = "6284019375521846"
CUSTOMER_X_ID = "1580234412376059904"
CUSTOMER_PHONE = "+31600471293"
CUSTOMER_IDENTITIES = (
    ("email", CUSTOMER_EMAIL), ("phone", CUSTOMER_PHONE),
    ("messenger", CUSTOMER_PSID), ("x", CUSTOMER_X_ID),
)
CUSTOMER_REFUSAL_AT = _at(2026, 10, 26, 16, 5)
CUSTOMER_REFUSAL_ID = "mail_900099"

_SPECIAL_SEQ = 900001  # reserved id range for hand-placed messages


def _fb_post_num(local: datetime) -> str:
    return "12" + local.strftime("%y%m%d%H%M")


def _fb_post_id(post_num: str) -> str:
    return f"fb_{FB_PAGE_ID}_{post_num}"


def _x_snowflake(at: datetime, seq: int) -> int:
    ms = int(at.timestamp() * 1000) - 1288834974657
    return (ms << 22) | (seq & 0x3FFFFF)


# Race-day brand posts (local time, text); the storm lands on these.
_RACE_FB_POSTS = (
    ((7, 0), "Goedemorgen lopers! ☀️ Vandaag is het zover: de Zuiderloop 2026! Vergeet je "
             "startnummer niet en neem de pendelbus vanaf P+R Zuid 🏃‍♀️🏃‍♂️"),
    ((8, 0), "Nog 2 uur tot de start! ⏰ De startvakken gaan om 9:30 open. Tot zo! 💪"),
    ((9, 45), "De speaker is er, de muziek staat aan 🎶 Wie staat er al in het startvak?"),
    ((11, 5), "En ze zijn weg!! 🏁 Succes allemaal, geniet ervan!"),
    ((12, 20), "Wat een sfeer! 🎉 Duizenden toeschouwers langs het parcours 👏👏"),
    ((13, 30), "De eerste halve marathonlopers zijn binnen! Dikke felicitaties aan de winnaars 🥇"),
    ((15, 0), "Bedankt aan al onze 400 vrijwilligers 💛 Zonder jullie geen Zuiderloop!"),
    ((17, 30), "Wat een dag! 📸 Foto's en uitslagen volgen morgen. Rust lekker uit 😴"),
)
_SFEER_POST_NUM = _fb_post_num(datetime(2026, 10, 4, 12, 20))
_WAT_EEN_DAG_POST_NUM = _fb_post_num(datetime(2026, 10, 4, 17, 30))
SAFETY_AT = _at(2026, 10, 4, 13, 21, 37)
SAFETY_MESSAGE_ID = f"fb_{_SFEER_POST_NUM}_{_SPECIAL_SEQ}"
PRESS_AT = _at(2026, 10, 4, 15, 42, 10)
PRESS_MESSAGE_ID = f"x_{_x_snowflake(PRESS_AT, 4190001)}"
LEGAL_AT = _at(2026, 10, 5, 9, 14, 3)
LEGAL_MESSAGE_ID = f"fb_{_WAT_EEN_DAG_POST_NUM}_{_SPECIAL_SEQ + 1}"

# ---------------------------------------------------------------------------- people
_NL_FIRST = (
    "Anouk", "Bram", "Daan", "Eva", "Femke", "Gijs", "Hanneke", "Iris", "Jeroen", "Joost",
    "Kim", "Lars", "Lieke", "Maarten", "Mark", "Merel", "Niels", "Noor", "Pieter", "Rik",
    "Roos", "Ruud", "Sanne", "Sem", "Sophie", "Stijn", "Thijs", "Tim", "Vera", "Wouter",
    "Yvonne", "Zoë", "Annemiek", "Bas", "Esther", "Fleur", "Hugo", "Ilse", "Jasper", "Jolien",
    "Koen", "Linda", "Marco", "Nathalie", "Priya", "Mohammed", "Yusuf", "Fatma", "Kevin",
    "Demi", "Ricardo", "Sven", "Tamara", "Ingrid", "Henk", "Gerda", "Youssef", "Ayşe", "Laura",
    "Dennis", "Manon", "Erik", "Chantal", "Jochem", "Lotte", "Marloes", "Wendy", "Arjen",
)
_NL_LAST = (
    "Jansen", "de Jong", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
    "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
    "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok",
    "Jacobs", "de Haan", "Vermeulen", "van den Berg", "van Dijk", "Verhoeven", "Willems",
    "van Beek", "Schouten", "Hoekstra", "Koster", "Prins", "Kuipers", "Postma", "van Wijk",
    "Maas", "Huisman", "Wouters", "El Amrani", "Yilmaz", "Kaya", "Bouzid", "Peeters", "Claes",
    "Goossens", "Lambrechts", "Timmermans", "Verbeek", "Bosman", "Roelofs", "van Vliet",
)
_EN_FIRST = ("Tom", "Emily", "James", "Sophie", "Liam", "Hannah", "Oliver", "Chloe", "Ryan",
             "Grace", "Lukas", "Anna", "Ciarán", "Megan", "Ben", "Julia")
_EN_LAST = ("Walsh", "Carter", "O'Neill", "Turner", "Murphy", "Hughes", "Becker", "Schmidt",
            "Taylor", "Evans", "Byrne", "Fischer", "Wilson", "Reid")
def _ascii(text: str) -> str:
    """Handles and e-mail local parts are ASCII: drop accents, apostrophes and spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain if c.isalnum() or c == "_").lower()


@dataclass
class _Person:
    """One customer, with an identity on every channel so repeat contact stays consistent."""

    num: int
    first: str
    name: str
    lang: str
    handle: str
    followers: int
    typo: float
    caps: float
    emoji: float
    lower: float

    def author(self, platform: str) -> dict[str, Any]:
        n = self.num
        if platform == "x":
            return {"id": str(1390000000000000000 + n * 7919), "name": self.name,
                    "followers": self.followers}
        if platform == "facebook":
            return {"id": str(10160000000000000 + n * 104729), "name": self.name}
        if platform == "messenger":
            return {"id": str(5120000000000000 + n * 130363), "name": self.name}
        if platform == "instagram":
            return {"id": str(17850000000000000 + n * 15485863), "name": self.handle}
        if platform == "email":
            return {"id": f"{self.handle.replace('_', '.')}@example.com", "name": self.name}
        if platform == "phone":
            return {"id": f"+3160{(n * 7919) % 10**7:07d}", "name": self.name}
        raise ValueError(platform)


def _new_person(rng: random.Random, num: int, lang: str | None = None) -> _Person:
    lang = lang or ("en" if rng.random() < 0.1 else "nl")
    first_names, last_names = (_EN_FIRST, _EN_LAST) if lang == "en" else (_NL_FIRST, _NL_LAST)
    first = rng.choice(first_names)
    last = rng.choice(last_names)
    if (first, last) == ("Marieke", "de Vries"):
        last = "Visser"
    base = _ascii(first + last.split()[-1])
    handle = rng.choice((base, f"{base}{rng.randint(70, 99)}", f"{first.lower()}_{rng.randint(1, 999)}",
                         f"{first.lower()}runs", f"{base[:8]}_{rng.randint(10, 99)}"))
    handle = _ascii(handle)
    followers = min(int(rng.lognormvariate(5.3, 1.25)), 25000)
    angry = rng.random()
    return _Person(num=num, first=first, name=f"{first} {last}", lang=lang, handle=handle,
                   followers=followers, typo=0.05 + 0.2 * rng.random(), caps=0.25 * angry,
                   emoji=0.15 + 0.4 * rng.random(), lower=0.3 * rng.random())


# ---------------------------------------------------------------------------- texts
_SIGS = ("Lotte", "Ruben", "Fatima", "Daan")
_STARTTIJD = {"halve marathon": "10:00", "10 km": "10:15", "5 km": "12:30"}
_PR = {"halve marathon": ("1:45", "2:00", "1:55"), "10 km": ("50 minuten", "55 minuten", "45 minuten"),
       "5 km": ("25 minuten", "30 minuten")}
_AFSTAND_EN = {"halve marathon": "half marathon", "10 km": "10k", "5 km": "5k"}


def _slots(rng: random.Random, person: _Person | None, at: datetime | None) -> dict[str, Any]:
    afstand = rng.choice(("halve marathon", "halve marathon", "10 km", "10 km", "5 km"))
    return {
        "first": person.first if person else "",
        "afstand": afstand, "afstand_en": _AFSTAND_EN[afstand],
        "starttijd": _STARTTIJD[afstand], "pr": rng.choice(_PR[afstand]),
        "wacht": _minutes_since(at, 9, 30, 50), "vertraging": _minutes_since(at, 10, 0, 25),
        "graden": rng.randint(21, 24), "dag": "Vandaag" if at and at.date() == EVENT_DAY else "Zondag",
        "dag_lc": "vandaag" if at and at.date() == EVENT_DAY else "zondag",
        "tijd": at.strftime("%H:%M") if at else "11:00",
        "relatie": rng.choice(("dochter", "zoon", "vriendin", "vriend", "man", "vrouw", "moeder",
                               "vader", "zus", "broer", "collega", "buurman")),
        "kind": rng.choice(("dochter", "zoon", "nichtje", "neefje")), "leeftijd": rng.randint(7, 12),
        "bedrag": rng.choice(("47,50", "47,50", "42,50", "32,50")),
        "kmroute": rng.choice((6, 7, 7, 13, 14)),
        "gps": rng.choice(("22,8", "23,4", "23,1", "22,6")),
        "extra": rng.choice(("1,5 km", "2 km", "800 meter", "ruim een kilometer")),
        "stad_en": rng.choice(("London", "Manchester", "Dublin", "Antwerp", "Berlin", "Cologne")),
        "bedrijf": rng.choice(("Bakkerij Verhoef", "team Technova", "de hardloopclub", "ons kantoor",
                               "de sportschool")),
        "n": rng.randint(8, 25), "jaren": rng.randint(6, 12),
        "uren": max(1, int((at - STORM_ONSET).total_seconds() // 3600)) if at else 3,
        "andere_loop": rng.choice(("de Noorderrun", "de Bosloop in Oostdorp", "gewoon parkrun")),
        "sig": rng.choice(_SIGS),
    }


def _minutes_since(at: datetime | None, hour: int, minute: int, default: int) -> int:
    if at is None:
        return default
    local = at.replace(tzinfo=None)
    return max(5, int((local - datetime.combine(local.date(), time(hour, minute))).total_seconds() // 60))


# (topic, lang, question, brand answer); answers get " ^sig" on social, a letter in e-mail.
_QUESTIONS = (
    ("startnummer", "nl", "Wanneer en waar kunnen we ons startnummer ophalen?",
     "Hoi {first}! Startnummers ophalen kan zaterdag van 10:00 tot 17:00 in de Expohal. Neem je bevestigingsmail mee (op je telefoon is prima) 😊"),
    ("startnummer", "nl", "Ik heb nog steeds geen mail met mijn startnummer gehad, klopt dat? Ingeschreven voor de {afstand}.",
     "Hoi {first}, de startnummers zijn donderdag gemaild. Niets ontvangen? Check even je spam, of stuur ons een DM met je bestelnummer, dan zoeken we het op."),
    ("startnummer", "nl", "Mag iemand anders mijn startnummer ophalen? Ik werk zaterdag tot 18:00 😬",
     "Hoi {first}, dat kan! Geef diegene een kopie van je bevestigingsmail mee. Succes zondag!"),
    ("startnummer", "nl", "Mijn naam staat verkeerd gespeld op de deelnemerslijst, kan dat nog aangepast worden?",
     "Hoi {first}, stuur ons even een DM met je bestelnummer en de juiste spelling, dan passen we het aan."),
    ("startnummer", "nl", "Kan ik mijn startbewijs overzetten op naam van een vriendin? Ben geblesseerd 😩",
     "Ah balen {first}, beterschap! Overschrijven kan tot vrijdag 12:00 via Mijn Zuiderloop, dat kost €5."),
    ("startnummer", "nl", "Moet ik mijn ID meenemen bij het ophalen van het startnummer?",
     "Hoi {first}, een ID is niet nodig, je bevestigingsmail is genoeg."),
    ("startnummer", "en", "When and where can I pick up my race bib? Coming over from {stad_en} on Saturday",
     "Hi {first}! Bib pick-up is Saturday 10:00-17:00 at the Expohal. Just bring your confirmation e-mail. Safe travels!"),
    ("startnummer", "en", "Can a friend collect my bib for me?",
     "Hi {first}, yes, that's fine: give them a copy of your confirmation e-mail."),
    ("parkeren", "nl", "Waar kan ik zondag het beste parkeren?",
     "Hoi {first}, we raden P+R Zuid aan, met een gratis pendelbus naar de start (elke 10 minuten vanaf 7:30). Rond het Stadspark is alles afgesloten."),
    ("parkeren", "nl", "Is de parkeergarage bij de Expohal zondag open?",
     "Hoi {first}, ja, maar die zit snel vol en je staat tot 15:00 vast door de afsluitingen. P+R Zuid is handiger 😉"),
    ("parkeren", "nl", "Rijden er zondag extra bussen vanaf het station?",
     "Hoi {first}, ja! Vanaf 7:00 rijden er extra pendelbussen vanaf het station, elke 10 minuten."),
    ("parkeren", "nl", "Hoe laat gaan de wegen rond het parcours dicht? Ik woon aan de Havenkade",
     "Hoi {first}, de afsluitingen gelden van 8:00 tot ongeveer 15:00. Met je bewonerskaart kun je via de Dijkstraat naar buiten."),
    ("parkeren", "en", "Is there any parking near the start? Driving in from {stad_en}",
     "Hi {first}, your best option is P+R Zuid, with a free shuttle bus to the start every 10 minutes."),
    ("route", "nl", "Staat het parcours van de {afstand} al online?",
     "Hoi {first}! Jazeker, de routekaart staat op zuiderloop.example/parcours 🗺️"),
    ("route", "nl", "Hoeveel waterposten zijn er bij de halve marathon?",
     "Hoi {first}, er zijn waterposten bij 5, 10, 15 en 18 km, bij 10 en 18 km ook sportdrank en bananen 🍌"),
    ("route", "nl", "Is het parcours vlak? Wil proberen de {afstand} onder de {pr} te lopen 🤞",
     "Hoi {first}, vrij vlak! Alleen de brug bij km 14 is een klein klimmetje. Succes met je PR-poging 💪"),
    ("route", "nl", "Gaat de route dit jaar weer door het Stadspark?",
     "Hoi {first}, ja, de laatste 2 km gaan door het Stadspark naar de finish op de Markt."),
    ("route", "nl", "Mag je met een buggy meelopen bij de 5 km?",
     "Hoi {first}, bij de 5 km mag dat, achteraan in het laatste startvak 👶"),
    ("route", "en", "Is the half marathon course flat? Hoping for a PB 🤞",
     "Hi {first}, mostly flat, just one bridge at km 14. Good luck with the PB!"),
    ("route", "en", "How many water stations are there on the half?",
     "Hi {first}, water at 5, 10, 15 and 18 km, with sports drinks and bananas at 10 and 18 km."),
    ("praktisch", "nl", "Hoe laat start de {afstand}?",
     "Hoi {first}, de {afstand} start om {starttijd}. De startvakken gaan een half uur van tevoren open."),
    ("praktisch", "nl", "Is er een garderobe bij de start?",
     "Hoi {first}, ja, in de Expohal kun je je tas gratis afgeven tot 9:45."),
    ("praktisch", "nl", "Waar kunnen toeschouwers het beste gaan staan om aan te moedigen?",
     "Hoi {first}, de Havenkade (km 8 en km 17) en de finish op de Markt zijn topplekken 📣"),
    ("praktisch", "nl", "Zijn er pacers bij de halve?",
     "Hoi {first}, ja! Pacers voor 1:45, 2:00, 2:15 en 2:30, herkenbaar aan een ballon 🎈"),
    ("praktisch", "nl", "Mijn zoontje van 8 wil graag meedoen aan de kidsrun, kan ik hem nog inschrijven?",
     "Hoi {first}, leuk! Inschrijven voor de kidsrun kan nog tot zaterdag 17:00 in de Expohal, voor €5."),
    ("praktisch", "nl", "Krijgt iedereen een medaille, ook bij de 5 km?",
     "Hoi {first}, jazeker, iedere finisher krijgt een medaille 🏅"),
    ("praktisch", "nl", "Is er dit jaar weer live tracking via de app?",
     "Hoi {first}, ja! Zet in de app je favoriete lopers aan, dan zie je ze live langs de tijdmatten gaan."),
    ("praktisch", "en", "What time does the 10k start?",
     "Hi {first}, the 10k starts at 10:15, start pens open 30 minutes before."),
    ("praktisch", "en", "Is there a bag drop at the start?",
     "Hi {first}, yes, free bag drop at the Expohal until 9:45."),
)
_Q_SUBJECT = {"startnummer": "Vraag over startnummer", "parkeren": "Parkeren zondag",
              "route": "Vraag over het parcours", "praktisch": "Vraag Zuiderloop",
              "klacht": "Klacht", "nazorg": "Zuiderloop 4 oktober"}

_PRAISE = {
    "nl": (
        "Zin in zondag!! 🏃‍♀️🏃‍♂️", "Startnummer binnen, nu nog even rustig aan doen 😅 #zuiderloop",
        "Mijn eerste {afstand} ooit, best spannend 😬", "Vorig jaar was het super georganiseerd, dit jaar weer van de partij! 💪",
        "Laatste training zit erop. Zondag gaan we knallen 🔥", "Met het hele team van {bedrijf} aan de start zondag, kom ons aanmoedigen!",
        "Wat een mooie medaille dit jaar 😍", "De hele straat gaat aanmoedigen bij km 8 📣",
        "Zondag loop ik de {afstand} voor het goede doel, sponsor me! 🧡", "Heerlijk weer voorspeld voor zondag ☀️ Wie loopt er nog meer?",
        "Ik ben er klaar voor. {afstand} onder de {pr}, let's go", "Leuk dat de finish dit jaar op de Markt is!",
    ),
    "en": (
        "Flying in from {stad_en} for the Zuiderloop this weekend, can't wait! 🇳🇱", "First race abroad, so excited 🏃",
        "Great organisation last year, back again for the {afstand_en} 💪", "Love the medal design this year 😍",
    ),
}
_NEUTRAL = {
    "nl": (
        "Wie loopt er nog meer mee met de {afstand} zondag?", "Iemand nog een startbewijs voor de halve over? Vriend van me wil graag mee",
        "Op de foto met de mascotte bij de Expohal 😂", "Zondag de {afstand}. Doel: uitlopen. Meer niet.",
        "Wordt de Zuiderloop ook uitgezonden op de lokale tv?", "Morgen {afstand}, vandaag pasta 🍝",
        "Mijn {relatie} loopt zondag de {afstand}, ik sta bij de Havenkade met een bord 😄",
    ),
    "en": ("Anyone else running the {afstand_en} on Sunday?", "Pasta party tonight? 🍝 #zuiderloop"),
}
_SINGLE_COMPLAINTS = (
    ("nl", "Al 3 dagen geen reactie op mijn mail over mijn inschrijving. Hallo?",
     "Hoi {first}, sorry voor het wachten! Stuur je ons even een DM met je bestelnummer? Dan pakken we het meteen op."),
    ("nl", "€{bedrag} inschrijfgeld en dan nog €7,50 voor een shirt? Beetje karig dit jaar",
     "Hoi {first}, we snappen dat dit wringt. Het shirt is dit jaar van gerecycled materiaal en daarom optioneel. Dank voor je feedback!"),
    ("nl", "De app crasht steeds als ik mijn startbewijs wil openen 😤",
     "Hoi {first}, vervelend! We hebben net een update uitgebracht, wil je de app even bijwerken? Lukt het dan nog niet, stuur ons een DM."),
    ("nl", "Website ligt er weer uit, kan mijn inschrijving niet checken",
     "Hoi {first}, excuses! De site had even een storing, hij doet het weer."),
    ("en", "Paid for the bib transfer but the name still hasn't changed. Not great.",
     "Hi {first}, sorry about that! Could you DM us your order number? We'll fix it right away."),
)
_PICKUP_COMPLAINT = ("nl", "Moet ik nou echt 40 minuten in de rij staan voor een startnummer? Zet er even wat mensen bij",
                     "Hoi {first}, sorry voor de rij! We hebben er een extra balie bij gezet, het gaat nu een stuk sneller.")
_THANKS_REPLIES = ("Dank je {first}! Tot zondag 🧡", "Succes {first}! 💪", "Wat leuk, {first}! Tot zondag 👋",
                   "Thanks {first}! See you Sunday 🧡")
_RACE_MORNING = {
    "nl": (
        "Op weg naar de start! 🚆", "Succes iedereen!! 🍀", "Startvak staat al aardig vol 😅",
        "Zenuwen! Eerste {afstand} 😬", "Wat een mooi weer om te lopen ☀️", "Pendelbus zit propvol maar sfeer is top",
        "Komen jullie mijn {relatie} aanmoedigen bij km 8? 📣", "Klaar voor de start 💪 #zuiderloop",
    ),
    "en": ("Race day! Good luck everyone 🍀", "On my way to the start, so nervous 😅"),
}
_RACE_MORNING_QUESTIONS = (
    ("en", "Where is the bag drop? Can't find it anywhere", "Hi {first}, it's in the Expohal, hall 2, entrance on the Markt side 😊"),
    ("en", "Is the shuttle bus from P+R Zuid running yet?", "Hi {first}, yes, every 10 minutes since 7:30!"),
    ("nl", "Waar is de garderobe precies? Kan hem niet vinden",
     "Hoi {first}, in de Expohal, hal 2, ingang aan de kant van de Markt 😊"),
    ("nl", "Rijdt de pendelbus vanaf P+R Zuid al?",
     "Hoi {first}, ja, sinds 7:30 elke 10 minuten!"),
    ("nl", "Ik ben mijn startnummer vergeten 😱 Kan ik nog een nieuwe krijgen?",
     "Hoi {first}, geen paniek! Bij de infobalie in de Expohal printen we een nieuwe voor je."),
)

# Storm: topic -> {lang: templates}
_STORM = {
    "delay": {"nl": (
        "Staan hier al {wacht} minuten in het startvak. Waarom starten we niet??",
        "Start {vertraging} min vertraagd en NIEMAND die iets uitlegt. Speaker draait gewoon muziek",
        "Het is {tijd} en we staan nog steeds stil. Koud en geen enkele info",
        "Start uitgesteld en geen enkele communicatie. Zelfs hier op Facebook niks",
        "Iemand enig idee wat er aan de hand is bij de start? Staan al {wacht} minuten te wachten",
        "6 wc's bij de start voor duizenden lopers, rij van een half uur, en nu staat het startvak ook nog stil",
        "Ik moest om 10 uur starten, nu is het {tijd}. Hele opwarming voor niks",
    ), "en": (
        "Been standing in the start pen for {wacht} minutes. No info whatsoever. What is going on?",
        "Start delayed by {vertraging} minutes and zero communication. Great.",
    )},
    "delay_after": {"nl": (
        "'Nog 2 uur tot de start' ja ja. Het werden er 3",
        "Een uur te laat gestart en geen woord uitleg. Hoe moeilijk is het om even iets om te roepen?",
        "Eerst een uur in de kou in het startvak en dan nog 21 km. Lekker begin van de dag",
        "Waarom zijn we een uur later gestart? Geen enkele uitleg gehad",
    ), "en": ("Start was delayed by an hour and nobody told us why.",)},
    "route": {"nl": (
        "Bordjes bij km {kmroute} wezen de verkeerde kant op, halve groep liep een stuk om!",
        "Mijn Garmin zegt {gps} km voor een halve marathon 🤔 Iemand anders ook?",
        "Verkeerde pijlen bij de rotonde op de Havenkade en geen verkeersregelaar te zien. Hoe dan??",
        "Door de foute bewegwijzering {extra} extra gelopen. PR-poging weg. Bedankt hè",
        "Bij km {kmroute} stuurde een vrijwilliger ons de verkeerde kant op 🤦‍♀️",
        "Fietsers en auto's gewoon óp het parcours bij km {kmroute}. Niet afgezet. Levensgevaarlijk",
    ), "en": (
        "Wrong signs at km {kmroute}, half the field ran an extra loop. My watch says {gps} km for a half 🤦",
    )},
    "water": {"nl": (
        "GEEN WATER bij de 10 km!! Bij {graden} graden. Hoe is dit mogelijk?",
        "Waterpost bij 10 km was gewoon leeg. Lege tafels en een vrijwilliger die zijn schouders ophaalt",
        "Bij km 10 geen druppel water meer. Mensen stonden over te geven langs de kant 🤢",
        "Geen water bij de 10 km en bij 15 km alleen nog lauwe sportdrank. Onverantwoord",
        "Hebben jullie wel uitgerekend hoeveel lopers er kwamen? Geen water bij km 10!!",
        "Bij km 10 water gekregen van een bewoner met een tuinslang. Die man verdient een medaille, de organisatie niet",
        "Mijn {relatie} liep de halve en kreeg bij 10 km geen water. Bij {graden} graden! Schandalig",
        "Vrijdag nog een post 'vergeet niet goed te drinken' 💧 Ja, met wélk water??",
    ), "en": (
        "No water at the 10k point. In {graden} degrees. Absolutely shocking.",
        "Water station at 10k was completely empty. Someone is going to get hurt.",
    )},
    "medals": {"nl": (
        "Medailles OP bij de finish?? Mijn {kind} van {leeftijd} in tranen 😢",
        "Finish gehaald, geen medaille. 'Op', zeiden ze. Serieus??",
        "€{bedrag} betaald en dan niet eens een medaille. Lachwekkend",
        "Bij de finish te horen gekregen dat de medailles op zijn. Worden ze nagestuurd of hoe zit dat?",
        "Geen water, geen medaille, geen excuses. Wat krijg je eigenlijk wél voor je geld?",
        "Eerste halve marathon ooit uitgelopen en dan geen medaille 💔",
    ), "en": (
        "Finished my first half and they ran out of medals. Came all the way from {stad_en} for this.",
        "No medal at the finish. How do you run out of medals??",
    )},
    "crowding": {"nl": (
        "Bij de finish stonden we als sardientjes. Je kon geen kant op. Echt gevaarlijk",
        "Finishgebied veel te klein, lopers en publiek door elkaar, niemand die het regelde",
        "Na de finish 20 minuten vastgestaan in de menigte, zonder water. Mensen om me heen raakten in paniek",
        "Wie heeft dat finishvak bedacht? Levensgevaarlijk druk, kinderen werden bijna omvergelopen",
        "Dit had echt mis kunnen gaan bij de finish. Geen hekken, geen stewards, niks",
    ), "en": (
        "The finish area was dangerously overcrowded. People pushing, no stewards. Scary.",
    )},
    "refund": {"nl": (
        "Ik wil mijn geld terug.", "€{bedrag} voor DIT? Geld terug!", "Geld terug. Voor iedereen. Minimaal.",
        "Hoe vraag ik mijn inschrijfgeld terug? Dit was geen hardloopwedstrijd maar chaos",
        "Wij willen ons inschrijfgeld terug. Met {n} man van {bedrijf} meegedaan en iedereen is woest",
        "Graag compensatie. Geen water, geen medaille, een uur te laat gestart",
    ), "en": ("I want a refund. This was a complete disaster.", "Refund please. Every single runner.")},
    "never": {"nl": (
        "Nooit meer Zuiderloop.", "Dit was mijn eerste én laatste keer.", "{jaren} jaar meegedaan, dit was de laatste keer. Zonde.",
        "Volgend jaar loop ik gewoon {andere_loop}. Nooit meer dit.", "Nooit. Meer. 👋",
    ), "en": ("Never again. Worst organised race I've ever run.",)},
    "sarcasm": {"nl": (
        "Top georganiseerd hoor 🙄", "Wat een sfeer inderdaad 🎉 Vooral bij de lege waterpost",
        "Goed bezig Zuiderloop 👏👏👏", "'Wat een sfeer!' 😂😂 Zijn jullie wel bij dezelfde loop geweest als wij?",
        "Leuk dat jullie vrolijke berichtjes posten terwijl mensen onwel worden bij de finish",
        "Bedankt vrijwilligers 💛 en de organisatie bedankt voor helemaal niks",
        "Mooie marketingpraat. De werkelijkheid was anders.", "Prachtig evenement. Voor wie van wachten, dorst en omlopen houdt.",
    ), "en": ("Great atmosphere indeed 🙃 especially at the empty water station", "Well organised as always 🙄")},
    "silence": {"nl": (
        "Waarom reageren jullie nergens op?", "Hallo?? Is daar iemand?? Al {uren} uur geen enkele reactie",
        "Jullie posten vrolijke updates maar reageren op geen enkele klacht. Zegt genoeg",
        "Webcare zit zeker ook zonder water 🙃", "Honderden klachten en geen enkele reactie. Wat een minachting voor je deelnemers",
        "Komt er nog een reactie van de organisatie? Of gaan we dit doodzwijgen?",
        "Ik heb jullie gemaild, een DM gestuurd en hier gereageerd. Alleen een automatisch antwoord.",
    ), "en": ("Hundreds of complaints and not a single reply. Impressive.",)},
    "bad": {"nl": (
        "Wat een drama vandaag. Slechtst georganiseerde loop ooit", "Schandalig slecht georganiseerd. Ik schaam me dat ik vrienden heb overgehaald om mee te doen",
        "Chaos van begin tot eind. Start te laat, route fout, geen water. Hoe kan dit?",
        "Hoe is het mogelijk dat jullie na {jaren} jaar nog zó slecht organiseren", "Ik heb echt spijt dat ik me heb ingeschreven 😡",
        "Dit was echt een aanfluiting", "Wat een rampzalige organisatie. Zonde van maanden training",
    ), "en": ("What a shambles. Start delayed, wrong signs, no water.", "Worst race organisation I've seen in 15 years of running.")},
    "support": {"nl": (
        "Niet afreageren op de vrijwilligers hè, die deden echt hun best ❤️", "Ondanks alles toch een PR gelopen 💪 Wel jammer van de organisatie",
        "Het publiek langs de Havenkade was geweldig! Dank jullie wel 🙏", "Ik had er eigenlijk weinig last van, de 5 km ging prima 🤷‍♀️",
        "Respect voor de bewoners die water uitdeelden 💧👏",
    ), "en": ("The crowd support was amazing though! 🙌",)},
    "bystander": {"nl": (
        "Wat lees ik hier allemaal? Klinkt echt heel slecht", "Gelukkig dit jaar niet meegedaan 😬",
        "Mijn {relatie} kwam helemaal kapot thuis, onderweg geen water gehad. Boos!", "Net even door de reacties gescrold... oei 😳",
        "Zag het net op het nieuws. Wat een toestand",
    ), "en": ("Reading all these comments... yikes 😳",)},
    "question": {"nl": (
        "Komen de uitslagen nog online? Mijn chip lijkt niet geregistreerd", "Worden de medailles nagestuurd?",
        "Krijgen we compensatie? Of een gratis inschrijving volgend jaar?", "Waar kan ik een klacht indienen?",
        "Klopte de route nu wel of niet? Telt mijn tijd?",
    ), "en": ("Will the medals be sent by post?", "Where do I file a complaint?")},
    "statement": {"nl": (
        "'Niet alles verliep zoals gepland'?? Dat is wel heel zacht uitgedrukt",
        "Na twee dagen dit? Geen excuses, geen compensatie. Zwak.", "Betreuren... en ons geld terug?",
        "Eindelijk een reactie. Maar wat gaan jullie nú doen voor de deelnemers?", "Standaard statement. Zegt helemaal niks.",
        "Wat gebeurt er met ons inschrijfgeld?", "Dank voor de reactie, ik hoop echt dat jullie ervan leren",
    ), "en": ("That's it? No apology, no refund?",)},
}
_ME_TOO = {"nl": ("Zelfde hier!", "Precies dit.", "Herkenbaar 😡", "Bij ons ook!!", "Dit. 100%.", "Helemaal mee eens",
                  "Exact hetzelfde meegemaakt", "Ja, bij mij ook geen water gehad", "Klopt, ik stond er ook", "+1"),
           "en": ("Same here", "This. Exactly this.", "+1")}
_STORM_EMAILS = (
    ("Klacht Zuiderloop 4 oktober", "Beste organisatie,\n\n{dag} heb ik de {afstand} gelopen en ik ben zeer ontevreden. De start was een uur te laat, bij de 10 km was er geen water en bij de finish waren de medailles op. Ik verzoek u mijn inschrijfgeld van €{bedrag} terug te storten.\n\nMet vriendelijke groet,\n{name}"),
    ("Verzoek om restitutie", "Hallo,\n\nGraag ontvang ik mijn inschrijfgeld terug. Wat er {dag_lc} gebeurde was geen hardloopwedstrijd maar een chaos. Mijn {relatie} en ik hebben allebei geen water gehad en stonden na de finish klem in de menigte.\n\nGroet,\n{name}"),
    ("Medaille kidsrun", "Hallo,\n\nMijn {kind} van {leeftijd} heeft de kidsrun gelopen en kreeg geen medaille, want ze waren op. Hij/zij was er kapot van. Worden de medailles nagestuurd?\n\nGroeten,\n{name}"),
    ("Complaint about Sunday's race", "Hello,\n\nI travelled from {stad_en} to run the half marathon. The start was delayed by an hour, the 10k water station was empty and there were no medals left at the finish. I would like a refund.\n\nRegards,\n{name}"),
)
_STORM_DMS = {"nl": ("Hoi, hoe kan ik mijn geld terugkrijgen?", "Wanneer worden de medailles nagestuurd?",
                     "Ik wil een klacht indienen over de waterpost bij 10 km", "Reageert hier iemand?",
                     "Mijn tijd staat niet in de uitslag en ik heb ook geen medaille gekregen"),
              "en": ("Hi, how do I get a refund?",)}
_REVIEWS = ("Geen water, geen medaille, een uur te laat gestart. Nooit meer.",
            "Slechtst georganiseerde loop waar ik ooit aan heb meegedaan. Niet aan beginnen.",
            "Vorige edities waren top, dit jaar een drama. Hopelijk leren ze ervan.",
            "Organisatie ver onder de maat en daarna wekenlang geen reactie. Afrader.",
            "Terrible organisation. No water, no medals, dangerous finish.")
_POST_EVENT = {
    "question": (
        ("nl", "Zijn de medailles al nagestuurd? Nog niks ontvangen", "Hoi {first}, de medailles gaan deze week op de post. Sorry voor het wachten!"),
        ("nl", "Mijn tijd klopt niet in de uitslag, ik ben echt niet 2 uur over de 10 km gedaan 😅", "Hoi {first}, stuur ons even je startnummer via DM, dan laten we het checken door de tijdwaarneming."),
        ("nl", "Wanneer is de Zuiderloop volgend jaar?", "Hoi {first}, zondag 3 oktober 2027! Inschrijving opent in januari."),
        ("nl", "Waar kan ik de foto's vinden?", "Hoi {first}, op zuiderloop.example/fotos, zoeken op je startnummer 📸"),
        ("en", "Any news on the medals that ran out?", "Hi {first}, they're being posted this week. Sorry for the wait!"),
    ),
    "complaint": (
        ("nl", "Nog steeds geen reactie op mijn klacht van 4 oktober. Heel zwak.", "Hoi {first}, sorry dat het zo lang duurt. We werken alle klachten af, je hoort deze week van ons."),
        ("nl", "Gaan jullie nog iets doen met alle klachten? Het blijft wel erg stil", "Hoi {first}, we maken eind oktober de uitkomsten van de evaluatie bekend."),
        ("en", "Still waiting for an answer about my refund request.", "Hi {first}, sorry for the delay, we're working through all requests."),
    ),
    "praise": (("nl", "De foto's zijn echt mooi geworden! 📸"), ("nl", "Medaille vandaag binnen, toch nog blij mee 🏅"),
               ("nl", "Ondanks alles volgend jaar toch weer aan de start. Hopelijk beter georganiseerd 🤞"),
               ("en", "Medal arrived today, thanks! 🏅")),
}

# ---------------------------------------------------------------------------- text noise
_TYPOS = (("wordt", "word"), ("eigenlijk", "eigelijk"), ("organisatie", "organistaie"), ("medaille", "medalje"),
          ("geen", "gene"), ("gebeurt", "gebeurd"), ("nooit", "noit"), ("gewoon", "gwoon"), ("water", "wtaer"))
_ANGRY_EMOJI = ("😡", "🤬", "🙄", "👎", "😤", "🤦‍♂️", "😠")
_HAPPY_EMOJI = ("😊", "🙌", "💪", "🔥", "🧡", "👏", "😄")


def _roughen(text: str, person: _Person, rng: random.Random, angry: bool) -> str:
    """Make a template sound typed on a phone: typos, caps, dropped punctuation, emoji."""
    if rng.random() < person.typo:
        for right, wrong in rng.sample(_TYPOS, len(_TYPOS)):
            if right in text:
                text = text.replace(right, wrong, 1)
                break
        else:
            words = text.split(" ")
            i = rng.randrange(len(words))
            w = words[i]
            if len(w) > 4 and w.isalpha():
                j = rng.randrange(1, len(w) - 2)
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
                text = " ".join(words)
    if angry and rng.random() < person.caps:
        text = text.upper() if len(text) < 90 else text.replace("!", "!!!")
    elif rng.random() < person.lower:
        text = text[:1].lower() + text[1:]
        if text.endswith("."):
            text = text[:-1]
    if rng.random() < person.emoji:
        text += " " + rng.choice(_ANGRY_EMOJI if angry else _HAPPY_EMOJI) * rng.choice((1, 1, 2, 3))
    return text


# ---------------------------------------------------------------------------- the builder
class _Demo:
    """Collects messages and keeps ids, people, brand posts and pending replies consistent."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.items: list[dict[str, Any]] = []
        self.people: list[_Person] = []
        self.posts: dict[str, list[dict[str, Any]]] = {"facebook": [], "x": [], "instagram": []}
        self.comments_on: dict[str, list[dict[str, Any]]] = {}
        self.ig_codes: dict[str, str] = {}
        self.post_nums: dict[str, str] = {}
        self.last_auto: dict[tuple[str, str], datetime] = {}
        self._seq = 100000

    # -- ids and people
    def seq(self) -> int:
        self._seq += 1
        return self._seq

    def person(self, reuse: float = 0.3, lang: str | None = None, pool: list[_Person] | None = None) -> _Person:
        pool = self.people if pool is None else pool
        if pool and self.rng.random() < reuse:
            return self.rng.choice(pool)
        p = _new_person(self.rng, len(self.people) + 1, lang)
        self.people.append(p)
        if pool is not self.people:
            pool.append(p)
        return p

    def add(self, platform: str, mid: str, kind: str, public: bool, author: dict[str, Any], text: str,
            at: datetime, *, conversation_id: str | None = None, in_reply_to: str | None = None,
            from_brand: bool = False, automated: bool = False, url: str | None = None,
            lang: str | None = None, **extra: Any) -> dict[str, Any]:
        msg: dict[str, Any] = {"platform": platform, "id": mid, "kind": kind, "public": public,
                               "author": dict(author), "text": text, "created_at": at.replace(microsecond=0)}
        for name, value in (("conversation_id", conversation_id), ("in_reply_to", in_reply_to),
                            ("url", url), ("lang", lang)):
            if value is not None:
                msg[name] = value
        if from_brand:
            msg["from_brand"] = True
        if automated:
            msg["automated"] = True
        msg.update(extra)
        self.items.append(msg)
        return msg

    # -- brand posts
    def brand_post(self, platform: str, at: datetime, text: str) -> dict[str, Any]:
        if platform == "facebook":
            num = _fb_post_num(at)
            msg = self.add("facebook", _fb_post_id(num), "post", True, BRAND_AUTHORS["facebook"], text, at,
                           from_brand=True, url=f"https://www.facebook.com/zuiderloop/posts/{num}")
            self.comments_on[msg["id"]] = []
            msg_num = num
        elif platform == "x":
            sf = _x_snowflake(at, self.seq())
            msg = self.add("x", f"x_{sf}", "post", True, BRAND_AUTHORS["x"], text, at, from_brand=True,
                           url=f"https://x.com/zuiderloop/status/{sf}", lang="nl")
            msg_num = str(sf)
        else:
            num = 18000000000000000 + self.seq() * 7717
            code = "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789_-")
                           for _ in range(11))
            msg = self.add("instagram", f"ig_{num}", "post", True, BRAND_AUTHORS["instagram"], text, at,
                           from_brand=True, url=f"https://www.instagram.com/p/{code}/")
            self.ig_codes[msg["id"]] = code
            msg_num = str(num)
        self.posts[platform].append(msg)
        self.post_nums[msg["id"]] = msg_num
        return msg

    def latest_post(self, platform: str, at: datetime, spread: float = 0.35) -> dict[str, Any]:
        before = sorted((p for p in self.posts[platform] if p["created_at"] < at), key=lambda p: p["created_at"])
        i = len(before) - 1
        while i > 0 and self.rng.random() < spread:
            i -= 1
        return before[i]

    # -- inbound messages
    def fb_comment(self, person: _Person | None, at: datetime, text: str, post: dict[str, Any],
                   parent: dict[str, Any] | None = None, mid: str | None = None,
                   author: dict[str, Any] | None = None, **flags: Any) -> dict[str, Any]:
        num = self.post_nums[post["id"]]
        cnum = mid or str(self.seq())
        msg = self.add("facebook", f"fb_{num}_{cnum}", "comment", True, author or person.author("facebook"),
                       text, at, conversation_id=post["id"], in_reply_to=(parent or post)["id"],
                       url=f"https://www.facebook.com/zuiderloop/posts/{num}?comment_id={cnum}", **flags)
        if not flags.get("from_brand"):
            self.comments_on[post["id"]].append(msg)
        return msg

    def ig_comment(self, person: _Person | None, at: datetime, text: str, post: dict[str, Any],
                   parent: dict[str, Any] | None = None, author: dict[str, Any] | None = None,
                   **flags: Any) -> dict[str, Any]:
        num = 17900000000000000 + self.seq() * 3571
        return self.add("instagram", f"ig_{num}", "comment", True, author or person.author("instagram"),
                        text, at, conversation_id=post["id"], in_reply_to=(parent or post)["id"],
                        url=f"https://www.instagram.com/p/{self.ig_codes[post['id']]}/c/{num}/", **flags)

    def tweet(self, person: _Person | None, at: datetime, text: str, lang: str,
              reply_to: dict[str, Any] | None = None, seq: int | None = None,
              author: dict[str, Any] | None = None, handle: str | None = None, **flags: Any) -> dict[str, Any]:
        sf = _x_snowflake(at, seq or self.seq())
        author = author or person.author("x")
        handle = handle or (person.handle if person else "zuiderloop")
        if reply_to is None:
            kind, conv = "mention", None
        else:
            kind, conv = "comment", reply_to.get("conversation_id", reply_to["id"])
        return self.add("x", f"x_{sf}", kind, True, author, text, at, conversation_id=conv,
                        in_reply_to=reply_to["id"] if reply_to else None,
                        url=f"https://x.com/{handle}/status/{sf}", lang=lang, **flags)

    def dm(self, person: _Person, at: datetime, text: str) -> dict[str, Any]:
        author = person.author("messenger")
        return self.add("messenger", f"msg_{self.seq()}", "dm", False, author, text, at,
                        conversation_id=f"msg_t_{author['id']}")

    def email(self, person: _Person | None, at: datetime, subject: str, body: str,
              thread: str | None = None, author: dict[str, Any] | None = None, mid: str | None = None) -> dict[str, Any]:
        mid = mid or f"mail_{self.seq()}"
        return self.add("email", mid, "email", False, author or person.author("email"), body, at,
                        conversation_id=thread or f"thread_{mid}", subject=subject)

    def review(self, person: _Person, at: datetime, text: str) -> dict[str, Any]:
        n = self.seq()
        return self.add("facebook", f"fb_review_{n}", "review", True, person.author("facebook"), text, at,
                        url=f"https://www.facebook.com/zuiderloop/reviews/{n}")

    # -- brand replies
    def reply(self, to: dict[str, Any], at: datetime, text: str, automated: bool = False,
              sig: str | None = None, subject: str | None = None) -> dict[str, Any]:
        platform = to["platform"]
        flags = {"from_brand": True, "automated": automated}
        if platform == "facebook":
            post = next(p for p in self.posts["facebook"] if p["id"] == to["conversation_id"])
            return self.fb_comment(None, at, _signed(text, sig), post, parent=to,
                                   author=BRAND_AUTHORS["facebook"], **flags)
        if platform == "instagram":
            post = next(p for p in self.posts["instagram"] if p["id"] == to["conversation_id"])
            return self.ig_comment(None, at, _signed(text, sig), post, parent=to,
                                   author=BRAND_AUTHORS["instagram"], **flags)
        if platform == "x":
            return self.tweet(None, at, "@" + to["url"].split("/")[3] + " " + _signed(text, sig),
                              "en" if to.get("lang") == "en" else "nl", reply_to=to,
                              author=BRAND_AUTHORS["x"], handle="zuiderloop", **flags)
        if platform == "messenger":
            return self.add("messenger", f"msg_{self.seq()}", "dm", False, BRAND_AUTHORS["messenger"],
                            _signed(text, sig), at, conversation_id=to["conversation_id"],
                            in_reply_to=to["id"], **flags)
        if platform == "email":
            body = text if automated else f"{text}\n\nSportieve groet,\n{sig or 'Team Zuiderloop'} | Team Zuiderloop"
            return self.add("email", f"mail_{self.seq()}", "email", False, BRAND_AUTHORS["email"], body, at,
                            conversation_id=to["conversation_id"], in_reply_to=to["id"], **flags,
                            subject=subject or ("Automatisch antwoord: " if automated else "Re: ") + to.get("subject", ""))
        if platform == "phone":
            return self.add("phone", f"call_{self.seq()}", "dm", False, BRAND_AUTHORS["phone"], text, at,
                            conversation_id=to.get("conversation_id"), in_reply_to=to["id"], **flags)
        raise ValueError(platform)

    def auto_reply(self, to: dict[str, Any], text: str | None = None) -> dict[str, Any] | None:
        """The inbox auto-responder: e-mail always, Messenger once per 24 h per person."""
        key = (to["platform"], to["author"]["id"])
        at = to["created_at"]
        if to["platform"] == "messenger" and key in self.last_auto and at - self.last_auto[key] < timedelta(hours=24):
            return None
        self.last_auto[key] = at
        if text is None:
            text = (_AUTO_EMAIL if to["platform"] == "email" else _AUTO_DM)
        return self.reply(to, at + timedelta(seconds=self.rng.randint(2, 40)), text, automated=True)


_AUTO_EMAIL = ("Bedankt voor je bericht! Je hoort zo snel mogelijk van ons. Rond de Zuiderloop is het erg druk, "
               "het kan daarom iets langer duren.\n\nSportieve groet,\nTeam Zuiderloop\n\n"
               "Dit is een automatisch gegenereerd bericht.")
_AUTO_DM = "Bedankt voor je bericht! Je hoort zo snel mogelijk van ons. 🙌"
_AUTO_EN = "Thanks for your message! We'll get back to you asap. 🧡"


def _signed(text: str, sig: str | None) -> str:
    return f"{text} ^{sig}" if sig else text


def _reply_time(at: datetime, rng: random.Random, median_min: float = 25, cap_min: float = 95,
                open_from: int = 8, open_to: int = 22) -> datetime:
    """When the (normally responsive) team answers: within ~an hour while staffed, else next morning."""
    local = at.replace(tzinfo=None)
    if open_from <= local.hour < open_to:
        delay = min(rng.lognormvariate(math.log(median_min), 0.6), cap_min)
        return amsterdam(local + timedelta(minutes=max(delay, 3)))
    day = local.date() if local.hour < open_from else local.date() + timedelta(days=1)
    return amsterdam(datetime.combine(day, time(open_from)) + timedelta(minutes=rng.uniform(5, 90)))


_HOUR_WEIGHTS = (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 5, 5, 4.5, 4.5, 5, 4.5, 4, 4, 4.5, 5, 5.5, 6.5, 7, 6, 4, 2)


def _time_of_day(rng: random.Random, day: date, hours: range = range(24)) -> datetime:
    hour = rng.choices(list(hours), weights=[_HOUR_WEIGHTS[h] for h in hours])[0]
    return amsterdam(datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60))))


# ---------------------------------------------------------------------------- the chapters
def _ordinary_inbound(b: _Demo, at: datetime, category: str, answer: bool,
                      answer_before: datetime | None = None) -> None:
    """One everyday message on a random channel, answered by the team like a normal week."""
    rng = b.rng
    person = b.person(0.25)
    ctx = _slots(rng, person, at)
    lang = person.lang
    reply_tpl = None
    subject = "Zuiderloop"
    if category == "question":
        if at.date() == EVENT_DAY:
            topic = "praktisch"
            _, text, reply_tpl = rng.choice([q for q in _RACE_MORNING_QUESTIONS if q[0] == lang])
        else:
            topic, _, text, reply_tpl = rng.choice([q for q in _QUESTIONS if q[1] == lang])
        subject = _Q_SUBJECT[topic]
    elif category == "complaint":
        _, text, reply_tpl = _PICKUP_COMPLAINT if at.date() == date(2026, 10, 3) and rng.random() < 0.6 else \
            rng.choice([c for c in _SINGLE_COMPLAINTS if c[0] == lang] or _SINGLE_COMPLAINTS)
        subject = _Q_SUBJECT["klacht"]
    elif category == "praise":
        text = rng.choice(_RACE_MORNING[lang] if at.date() == EVENT_DAY else _PRAISE[lang])
        reply_tpl = rng.choice(_THANKS_REPLIES[:3] if lang == "nl" else _THANKS_REPLIES[3:]) if rng.random() < 0.3 else None
    else:
        text = rng.choice(_RACE_MORNING[lang] if at.date() == EVENT_DAY else _NEUTRAL[lang])
    text = _roughen(text.format(**ctx), person, rng, category == "complaint")
    reply_text = reply_tpl.format(**ctx) if reply_tpl else None
    private_ok = category in ("question", "complaint")
    channel = rng.choices(("facebook", "x", "instagram", "messenger", "email"),
                          weights=(34, 26, 14, 13 if private_ok else 0, 13 if private_ok else 0))[0]
    if channel == "facebook":
        msg = b.fb_comment(person, at, text, b.latest_post("facebook", at))
    elif channel == "instagram":
        msg = b.ig_comment(person, at, text, b.latest_post("instagram", at, 0.2))
    elif channel == "x":
        target = b.latest_post("x", at) if rng.random() < 0.25 else None
        prefix = "@zuiderloop " if target or rng.random() < 0.7 else ""
        body = prefix + text + ("" if prefix else rng.choice((" @zuiderloop", " #zuiderloop @zuiderloop")))
        msg = b.tweet(person, at, body, lang, reply_to=target)
    elif channel == "messenger":
        msg = b.dm(person, at, text)
        b.auto_reply(msg)
    else:
        greeting = "Hallo,\n\n" if lang == "nl" else "Hello,\n\n"
        closing = "\n\nGroeten,\n" if lang == "nl" else "\n\nThanks,\n"
        msg = b.email(person, at, subject, greeting + text + closing + person.name)
        b.auto_reply(msg)
    if reply_text and answer:
        median = 90 if channel == "email" else 25
        when = _reply_time(at, rng, median, 240 if channel == "email" else 95)
        if answer_before is None or when < answer_before:
            b.reply(msg, when, reply_text, sig=ctx["sig"])


_PRE_POSTS = (
    ((9, 27, 19, 0), "facebook", "Nog één week! 🏃‍♀️ Wie is er klaar voor de Zuiderloop 2026?"),
    ((9, 27, 19, 5), "x", "Nog één week tot de #Zuiderloop 2026! 💪"),
    ((9, 27, 19, 10), "instagram", "Nog 7 nachtjes slapen 😴 #zuiderloop"),
    ((9, 28, 9, 30), "facebook", "Nog 6 nachtjes slapen! 😴 Heb jij je trainingsschema afgerond?"),
    ((9, 29, 10, 0), "facebook", "Het parcours is bekend! 🗺️ Dit jaar finish je op de Markt, via het Stadspark. Bekijk de routekaart op zuiderloop.example/parcours"),
    ((9, 29, 10, 5), "x", "Het parcours van de #Zuiderloop is bekend 🗺️ zuiderloop.example/parcours"),
    ((9, 29, 19, 0), "instagram", "Sneak peek van de medaille van dit jaar 🏅 Wat vinden jullie ervan?"),
    ((9, 30, 11, 0), "facebook", "Parkeren tijdens de Zuiderloop? Gebruik P+R Zuid, met gratis pendelbus naar de start 🚌"),
    ((9, 30, 11, 5), "x", "Parkeertip voor zondag: P+R Zuid, met gratis pendelbus naar de start 🚌 #Zuiderloop"),
    ((10, 1, 9, 0), "facebook", "Jullie startnummers zijn vandaag gemaild 📩 Niets ontvangen? Check je spam!"),
    ((10, 1, 20, 0), "instagram", "Onze 400 vrijwilligers zijn er klaar voor 💛"),
    ((10, 2, 10, 0), "facebook", "Weerbericht voor zondag: 18 graden en zonnig ☀️ Drink goed, er zijn 4 waterposten op de halve marathon 💧"),
    ((10, 2, 12, 0), "x", "Zondag 18 graden en zon ☀️ Drink goed onderweg! #Zuiderloop"),
    ((10, 3, 9, 0), "facebook", "Vandaag startnummers ophalen in de Expohal, van 10:00 tot 17:00! Tot straks 👋"),
    ((10, 3, 16, 0), "instagram", "De Expohal staat vol! Morgen is het zover 🔥"),
    ((10, 3, 20, 0), "x", "Laatste tips: ontbijt 3 uur voor de start, leg je spullen klaar en slaap lekker 😴 Tot morgen! #Zuiderloop"),
)
_BRAND_POST_TEXTS = tuple(text for _, _, text in _PRE_POSTS) + tuple(text for _, text in _RACE_FB_POSTS)


def _baseline(b: _Demo) -> None:
    for (mo, d, h, mi), platform, text in _PRE_POSTS:
        b.brand_post(platform, _at(2026, mo, d, h, mi), text)
    inbound_per_day = (17, 20, 22, 25, 29, 35)
    for offset, count in enumerate(inbound_per_day):
        day = BASELINE_START.date() + timedelta(days=offset)
        for _ in range(count):
            at = _time_of_day(b.rng, day)
            category = b.rng.choices(("question", "praise", "neutral", "complaint"), weights=(52, 26, 15, 7))[0]
            _ordinary_inbound(b, at, category, answer=b.rng.random() < (0.85 if category != "praise" else 1))


def _race_day_posts(b: _Demo) -> None:
    for (h, mi), text in _RACE_FB_POSTS:
        b.brand_post("facebook", _at(2026, 10, 4, h, mi), text)
    for (h, mi), text in (((7, 5), "Het is zover: #Zuiderloop 2026! Succes allemaal 🏃‍♀️🏃‍♂️"),
                          ((8, 0), "Nog 2 uur tot de start! ⏰ #Zuiderloop"),
                          ((11, 6), "En ze zijn weg!! 🏁 #Zuiderloop"),
                          ((12, 22), "Wat een sfeer langs het parcours! 🎉 #Zuiderloop"),
                          ((15, 5), "Bedankt aan al onze vrijwilligers 💛 #Zuiderloop")):
        b.brand_post("x", _at(2026, 10, 4, h, mi), text)
    b.brand_post("instagram", _at(2026, 10, 4, 8, 30), "Race day! ☀️🏃‍♀️ #zuiderloop")
    b.brand_post("instagram", _at(2026, 10, 4, 12, 40), "Wat een sfeer 🎉 #zuiderloop")
    b.brand_post("facebook", _at(2026, 10, 5, 10, 0), "De uitslagen staan online! 🏅 Zoek je tijd op zuiderloop.example/uitslagen")
    b.brand_post("x", _at(2026, 10, 5, 10, 2), "De uitslagen van de #Zuiderloop staan online 🏅 zuiderloop.example/uitslagen")


def _race_morning(b: _Demo) -> None:
    for _ in range(34):
        at = amsterdam(datetime(2026, 10, 4, 6, 30) + timedelta(seconds=b.rng.randrange(int(3.9 * 3600))))
        category = b.rng.choices(("question", "praise", "neutral"), weights=(25, 60, 15))[0]
        # The team answers until ~09:30, then everybody is out on the course.
        _ordinary_inbound(b, at, category, answer=True, answer_before=_at(2026, 10, 4, 9, 30))


# (local wall-clock, messages per hour): the storm's intensity, linear in between.
_STORM_RATE = (
    ((10, 4, 10, 25), 48), ((10, 4, 10, 45), 60), ((10, 4, 11, 0), 66), ((10, 4, 11, 30), 75),
    ((10, 4, 12, 0), 80), ((10, 4, 12, 30), 130), ((10, 4, 13, 0), 175), ((10, 4, 14, 0), 195),
    ((10, 4, 15, 0), 170), ((10, 4, 16, 0), 135), ((10, 4, 17, 0), 100), ((10, 4, 18, 0), 78),
    ((10, 4, 19, 0), 72), ((10, 4, 20, 0), 72), ((10, 4, 21, 0), 55), ((10, 4, 22, 0), 36),
    ((10, 4, 23, 0), 18), ((10, 5, 0, 0), 7), ((10, 5, 2, 0), 2), ((10, 5, 6, 0), 3),
    ((10, 5, 7, 0), 14), ((10, 5, 8, 0), 36), ((10, 5, 9, 0), 40), ((10, 5, 10, 0), 36),
    ((10, 5, 12, 0), 30), ((10, 5, 14, 0), 22), ((10, 5, 17, 0), 18), ((10, 5, 21, 40), 15),
    ((10, 5, 21, 45), 55), ((10, 5, 22, 30), 35), ((10, 5, 23, 30), 8), ((10, 6, 1, 0), 2),
    ((10, 6, 7, 0), 5), ((10, 6, 9, 0), 11), ((10, 6, 12, 0), 9), ((10, 6, 18, 0), 4), ((10, 6, 23, 59), 0),
)


def _storm_rate(local: datetime) -> float:
    points = [(datetime(2026, mo, d, h, mi), r) for (mo, d, h, mi), r in _STORM_RATE]
    for (t0, r0), (t1, r1) in zip(points, points[1:]):
        if t0 <= local < t1:
            return r0 + (r1 - r0) * (local - t0) / (t1 - t0)
    return 0.0


def _storm_topics(local: datetime) -> dict[str, float]:
    h = local.hour + local.minute / 60 + (24 if local.day >= 5 else 0) + (24 if local.day >= 6 else 0)
    after_statement = local >= STATEMENT_AT.replace(tzinfo=None)
    w = {
        "delay": 10 if h < 11.08 else 0,
        "delay_after": 0 if h < 11.08 else (3 if h < 13 else 0.6),
        "route": 0 if h < 11.65 else (4 if h < 15 else 1.5),
        "water": 0 if h < 11.9 else (7 if h < 16 else 3),
        "crowding": 0 if h < 12.5 else (5 if h < 16 else 1.5),
        "medals": 0 if h < 12.8 else (5 if h < 17 else 2.5),
        "refund": 0 if h < 12.6 else (2 if h < 15 else 5),
        "never": 0 if h < 13 else (2 if h < 15 else 3.5),
        "sarcasm": 0 if h < 12.3 else 4,
        "silence": 0 if h < 14 else (1.5 if h < 18 else (5 if not after_statement else 0.5)),
        "bad": 0.5 if h < 11.5 else 5,
        "support": 0.3 if h < 12 else 1.6,
        "bystander": 0 if h < 13 else (1.5 if h < 24 else 2.5),
        "question": 0.3 if h < 13 else 1.8,
        "statement": 14 if after_statement else 0,
    }
    return {k: v for k, v in w.items() if v > 0}


def _storm(b: _Demo) -> list[dict[str, Any]]:
    rng = b.rng
    storm_people: list[_Person] = []
    earlier = list(b.people)
    inbound: list[dict[str, Any]] = []
    start = STORM_ONSET.replace(tzinfo=None)
    minute = start
    end = datetime(2026, 10, 7, 0, 0)
    statement_fb = b.brand_post("facebook", STATEMENT_AT, _STATEMENT)
    b.brand_post("x", STATEMENT_AT + timedelta(minutes=3), _STATEMENT_X)
    # the onset itself: the first complaint lands exactly at STORM_ONSET
    inbound.append(_storm_message(b, STORM_ONSET, storm_people, earlier, statement_fb, onset=True))
    while minute < end:
        count = poisson(rng, _storm_rate(minute) / 60)
        for s in sorted(rng.randrange(60) for _ in range(count)):
            local = minute + timedelta(seconds=s)
            inbound.append(_storm_message(b, amsterdam(local), storm_people, earlier, statement_fb))
        minute += timedelta(minutes=1)
    return inbound


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson-distributed count with mean `lam` (Knuth's method: fine for small means)."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _storm_message(b: _Demo, at: datetime, people: list[_Person], earlier: list[_Person],
                   statement_fb: dict[str, Any], onset: bool = False) -> dict[str, Any]:
    rng = b.rng
    local = at.replace(tzinfo=None)
    if earlier and rng.random() < 0.08:
        person = rng.choice(earlier)
    else:
        person = b.person(0.22, pool=people)
    lang = person.lang
    topics = _storm_topics(local)
    topic = rng.choices(list(topics), weights=list(topics.values()))[0]
    ctx = _slots(rng, person, at)
    if onset:  # the very first complaint, on the brand's own page
        text = "Het is 10:25 en er is nog steeds niet gestart. Staan hier al bijna een uur in het startvak zonder enige info. Wat is er aan de hand??"
        return b.fb_comment(person, at, text, b.latest_post("facebook", at, 0))
    angry = topic not in ("support", "question", "bystander")
    channel = rng.choices(("facebook", "x", "instagram", "messenger", "email", "review"),
                          weights=(57, 28, 7, 4, 3, 1 if local.hour >= 15 or local.day > 4 else 0))[0]
    if topic == "statement" and channel in ("messenger", "email", "review", "instagram"):
        channel = "facebook"
    if channel == "email":
        subject, body = rng.choice(_STORM_EMAILS[:3] if lang == "nl" else _STORM_EMAILS[3:])
        ctx["name"] = person.name
        msg = b.email(person, at, subject, body.format(**ctx))
        b.auto_reply(msg)
        return msg
    if channel == "messenger":
        msg = b.dm(person, at, _roughen(rng.choice(_STORM_DMS[lang]), person, rng, True))
        b.auto_reply(msg)
        return msg
    if channel == "review":
        return b.review(person, at, rng.choice(_REVIEWS))
    text = _roughen(rng.choice(_STORM[topic][lang]).format(**ctx), person, rng, angry)
    if channel == "x":
        target = None
        if topic == "statement":
            target = b.latest_post("x", at, 0)
        elif rng.random() < 0.25:
            target = b.latest_post("x", at, 0.3)
        if target is None and rng.random() < 0.15:
            text += rng.choice((" #zuiderloop", " #zuiderloop2026", " #nooitmeer"))
        return b.tweet(person, at, f"@zuiderloop {text}" if target or rng.random() < 0.75 else f"{text} @zuiderloop",
                       lang, reply_to=target)
    if channel == "instagram":
        return b.ig_comment(person, at, text, b.latest_post("instagram", at, 0.2))
    if topic == "statement":
        post = statement_fb
    elif topic == "sarcasm" and at > _at(2026, 10, 4, 12, 20) and rng.random() < 0.6:
        post = next(p for p in b.posts["facebook"] if p["id"] == _fb_post_id(_SFEER_POST_NUM))
    else:
        post = b.latest_post("facebook", at, 0.4)
    earlier_comments = b.comments_on[post["id"]]
    parent = None
    if earlier_comments and rng.random() < 0.2:
        parent = rng.choice(earlier_comments[-30:])
        if rng.random() < 0.6:
            text = _roughen(rng.choice(_ME_TOO[lang]), person, rng, True)
    return b.fb_comment(person, at, text, post, parent=parent)


_STATEMENT = ("Beste lopers, wij hebben jullie reacties over de Zuiderloop van zondag gelezen. Wij betreuren het "
              "dat niet alles verliep zoals gepland. We nemen alle feedback mee in onze evaluatie en komen hier "
              "later op terug. Team Zuiderloop")
_STATEMENT_X = "Wij hebben jullie reacties over de #Zuiderloop gelezen. Onze verklaring staat op onze Facebookpagina."


def _storm_signals(b: _Demo) -> None:
    """The single messages a human must not miss: safety, press, legal, high reach."""
    sfeer = next(p for p in b.posts["facebook"] if p["id"] == _fb_post_id(_SFEER_POST_NUM))
    dag = next(p for p in b.posts["facebook"] if p["id"] == _fb_post_id(_WAT_EEN_DAG_POST_NUM))
    nurse = _Person(num=99001, first="Hanneke", name="Hanneke Bosman", lang="nl", handle="hannekebosman",
                    followers=412, typo=0, caps=0, emoji=0, lower=0)
    b.fb_comment(nurse, SAFETY_AT,
                 "Wat een sfeer?? Bij de finish werd het zo druk dat een vrouw naast me flauwviel. Het duurde meer "
                 "dan 20 minuten voordat de ambulance erbij kon en er was niemand van de organisatie te zien. Dit had "
                 "echt heel slecht kunnen aflopen!!", sfeer, mid=str(_SPECIAL_SEQ))
    b.tweet(None, PRESS_AT,
            "@zuiderloop Ik werk aan een artikel over de problemen bij de Zuiderloop vandaag (lege waterpost, "
            "medailles op, drukte bij de finish). Kunnen jullie reageren? Mijn DM staat open. "
            "Sanne Kuijpers, Zuidstad Nieuws", "nl", seq=4190001,
            author={"id": "2847561093", "name": "Sanne Kuijpers | Zuidstad Nieuws", "followers": 48200},
            handle="sannekuijpers")
    journalist_mail = b.email(None, _at(2026, 10, 5, 8, 31, 12), "Persvraag: verzoek om reactie Zuiderloop",
                              "Goedemorgen,\n\nVoor Zuidstad Nieuws schrijf ik over de problemen tijdens de Zuiderloop "
                              "van gisteren: de vertraagde start, de lege waterpost bij 10 km, het medailletekort en de "
                              "gevaarlijke drukte bij de finish, waarbij een loper met de ambulance is afgevoerd. Graag "
                              "ontvang ik vandaag voor 14:00 uur een reactie.\n\nMet vriendelijke groet,\nSanne Kuijpers\n"
                              "Verslaggever Zuidstad Nieuws",
                              author={"id": "s.kuijpers@zuidstadnieuws.example", "name": "Sanne Kuijpers"})
    b.auto_reply(journalist_mail)
    lawyer = _Person(num=99002, first="Erik", name="Erik van Vliet", lang="nl", handle="erikvanvliet",
                     followers=150, typo=0, caps=0, emoji=0, lower=0)
    b.fb_comment(lawyer, LEGAL_AT,
                 "Ik heb inmiddels de Consumentenbond ingeschakeld en mijn advocaat kijkt mee. Jullie hebben de "
                 "veiligheid van deelnemers in gevaar gebracht en zwijgen nu al een dag. Jullie horen nog van ons.",
                 dag, mid=str(_SPECIAL_SEQ + 1))
    for at, author, handle, text in (
        (_at(2026, 10, 4, 13, 5, 40), {"id": "1117203948571", "name": "Run with Noor 🏃‍♀️", "followers": 121000}, "runwithnoor",
         "Zo, dat was de @zuiderloop. Geen water bij 10 km, medailles op en een finish waar je bang werd. In 12 jaar "
         "hardlopen nog nooit zoiets meegemaakt 👎"),
        (_at(2026, 10, 4, 14, 31, 2), {"id": "903847561", "name": "Loopnieuws Zuid", "followers": 86400}, "loopnieuwszuid",
         "Veel klachten over de @zuiderloop: lopers melden een lege waterpost bij 10 km, een uur vertraging bij de "
         "start en een tekort aan medailles. Organisatie nog niet bereikbaar voor commentaar."),
        (_at(2026, 10, 5, 7, 45, 0), {"id": "77120394", "name": "Zuidstad Nieuws", "followers": 210500}, "zuidstadnieuws",
         "Chaos bij @zuiderloop: lopers klagen over watertekort en gevaarlijke drukte bij de finish "
         "zuidstadnieuws.example/zuiderloop-chaos"),
    ):
        b.tweet(None, at, text, "nl", author=author, handle=handle)


def _tuesday_replies(b: _Demo, storm: list[dict[str, Any]]) -> None:
    """After the statement the team answers a handful of public complaints, generically."""
    rng = b.rng
    public = [m for m in storm if m["public"] and m["kind"] in ("comment", "mention")
              and m["created_at"] < STATEMENT_AT and m["platform"] in ("facebook", "x")]
    for msg in rng.sample(public, 24):
        at = _at(2026, 10, 6, 9, 0) + timedelta(minutes=rng.randrange(8 * 60))
        first = msg["author"]["name"].split()[0]
        text = rng.choice((f"Hoi {first}, wat vervelend dat je de Zuiderloop zo hebt ervaren. We nemen je feedback mee in onze evaluatie.",
                           f"Hoi {first}, sorry voor je ervaring. De medailles worden de komende weken nagestuurd.",
                           f"Hoi {first}, excuses voor het late antwoord. Voor restitutie verwijzen we naar onze voorwaarden."))
        b.reply(msg, at, text, sig=rng.choice(_SIGS))


def _post_event(b: _Demo) -> None:
    for (mo, d, h, mi), platform, text in (
        ((10, 8, 11, 0), "facebook", "De foto's van de Zuiderloop staan online 📸 Zoek jezelf op zuiderloop.example/fotos"),
        ((10, 8, 11, 5), "instagram", "Jullie foto's staan online 📸 #zuiderloop"),
        ((10, 14, 10, 0), "facebook", "Evaluatie Zuiderloop 2026: we hebben jullie feedback verzameld en delen eind oktober onze conclusies."),
        ((10, 21, 12, 0), "x", "Save the date: de #Zuiderloop 2027 is op zondag 3 oktober 2027 📅"),
    ):
        b.brand_post(platform, _at(2026, 10, d, h, mi), text)
    rng = b.rng
    day = date(2026, 10, 7)
    while day <= date(2026, 10, 26):
        for _ in range(rng.randint(4, 9)):
            at = _time_of_day(rng, day)
            person = b.person(0.35)
            kind = rng.choices(("question", "complaint", "praise"), weights=(5, 3, 2))[0]
            ctx = _slots(rng, person, at)
            pool = [e for e in _POST_EVENT[kind] if e[0] == person.lang] or list(_POST_EVENT[kind])
            entry = rng.choice(pool)
            text = _roughen(entry[1].format(**ctx), person, rng, kind == "complaint")
            channel = rng.choices(("facebook", "x", "messenger", "email"), weights=(40, 25, 20, 15))[0]
            if channel == "facebook":
                msg = b.fb_comment(person, at, text, b.latest_post("facebook", at, 0.3))
            elif channel == "x":
                msg = b.tweet(person, at, "@zuiderloop " + text, person.lang)
            elif channel == "messenger":
                msg = b.dm(person, at, text)
                b.auto_reply(msg)
            else:
                msg = b.email(person, at, _Q_SUBJECT["nazorg"], f"Hallo,\n\n{text}\n\nGroeten,\n{person.name}")
                b.auto_reply(msg)
            if len(entry) == 3 and rng.random() < 0.7:
                b.reply(msg, _reply_time(at, rng, 120, 600, 9, 18), entry[2].format(**ctx), sig=ctx["sig"])
        day += timedelta(days=1)


def _customer(b: _Demo) -> None:
    """Marieke de Vries: six contacts on four channels, auto-replies only, then a refusal."""
    subj1 = "Dubbele afschrijving en annulering inschrijving (bestelnr. ZL26-04817)"
    email_author = {"id": CUSTOMER_EMAIL, "name": CUSTOMER_NAME}
    m1 = b.email(None, _at(2026, 9, 25, 20, 14, 2), subj1,
                 "Beste Zuiderloop,\n\nOp 14 september heb ik mijn inschrijving voor de halve marathon geannuleerd via "
                 "Mijn Zuiderloop, omdat ik een stressfractuur in mijn voet heb. Ik had de annuleringsverzekering "
                 "afgesloten, dus ik ga ervan uit dat ik het inschrijfgeld terugkrijg. Daarnaast zie ik dat het "
                 "inschrijfgeld van €47,50 twee keer van mijn rekening is afgeschreven, op 3 en 4 augustus.\n\n"
                 "Kunnen jullie beide bedragen terugstorten? Mijn bestelnummer is ZL26-04817.\n\n"
                 "Met vriendelijke groet,\nMarieke de Vries", author=email_author, mid="mail_900001")
    b.auto_reply(m1)
    m2 = b.email(None, _at(2026, 9, 29, 9, 2, 44), "Re: " + subj1,
                 "Beste Zuiderloop,\n\nVorige week vrijdag heb ik onderstaande mail gestuurd, maar behalve een "
                 "automatisch antwoord heb ik niets gehoord. Het gaat om €95 in totaal (2x €47,50). Kunnen jullie "
                 "laten weten wanneer ik het geld terug kan verwachten?\n\nGroet,\nMarieke de Vries",
                 thread=m1["conversation_id"], author=email_author, mid="mail_900002")
    b.auto_reply(m2)
    call = b.add("phone", "call_900003", "dm", False, {"id": CUSTOMER_PHONE, "name": CUSTOMER_NAME},
                 "Belnotitie: mevrouw De Vries belt over terugbetaling van haar geannuleerde inschrijving en een "
                 "dubbele afschrijving (ZL26-04817). Na 18 minuten in de wachtrij verbinding verbroken. "
                 "Terugbelverzoek aangemaakt.", _at(2026, 10, 2, 12, 37, 15),
                 conversation_id="call_t_900003", source="call log")
    b.reply(call, _at(2026, 10, 2, 12, 56, 30),
            "SMS: Bedankt voor je telefoontje. We bellen je zo snel mogelijk terug. Team Zuiderloop", automated=True)
    dm = b.add("messenger", "msg_900004", "dm", False, {"id": CUSTOMER_PSID, "name": CUSTOMER_NAME},
               "Hoi, ik probeer al twee weken iemand te bereiken over mijn inschrijfgeld. Ik heb mijn inschrijving "
               "voor de halve marathon op 14 september geannuleerd en er is ook nog eens twee keer €47,50 "
               "afgeschreven. Twee mails en een telefoontje verder heb ik nog niks gehoord. Bestelnummer ZL26-04817. "
               "Kunnen jullie me helpen?", _at(2026, 10, 7, 21, 48, 9), conversation_id=f"msg_t_{CUSTOMER_PSID}")
    b.auto_reply(dm)
    sf = _x_snowflake(_at(2026, 10, 12, 8, 55, 31), 4190005)
    tweet = b.add("x", f"x_{sf}", "mention", True, {"id": CUSTOMER_X_ID, "name": CUSTOMER_NAME, "followers": 312},
                  "@zuiderloop Al bijna 3 weken probeer ik via mail, telefoon en Messenger mijn geld terug te krijgen "
                  "(inschrijving geannuleerd + 2x afgeschreven). Alleen automatische antwoorden. Is er iemand die wél reageert?",
                  _at(2026, 10, 12, 8, 55, 31), url=f"https://x.com/mariekedvries/status/{sf}", lang="nl")
    b.reply(tweet, _at(2026, 10, 12, 8, 55, 49), _AUTO_EN, automated=True)
    subj6 = "Derde verzoek: terugbetaling €95 (ZL26-04817)"
    m6 = b.email(None, _at(2026, 10, 20, 19, 30, 51), subj6,
                 "Beste Zuiderloop,\n\nDit is inmiddels mijn zesde poging om contact met jullie te krijgen: twee "
                 "e-mails, een telefoontje, een bericht via Messenger en een tweet. Elke keer krijg ik alleen een "
                 "automatisch antwoord. Ik wil graag mijn inschrijfgeld terug voor de geannuleerde inschrijving, en "
                 "in ieder geval de dubbele afschrijving van €47,50. Als ik binnen een week niets hoor, vraag ik mijn "
                 "bank de betaling terug te boeken.\n\nMet vriendelijke groet,\nMarieke de Vries",
                 author=email_author, mid="mail_900006")
    b.auto_reply(m6, "Thanks for your message! We'll get back to you asap.\n\nBedankt voor je bericht! Je hoort zo "
                     "snel mogelijk van ons.\n\nTeam Zuiderloop")
    b.add("email", CUSTOMER_REFUSAL_ID, "email", False,
          {"id": "klantenservice@zuiderloop.example", "name": "Klantenservice Zuiderloop"},
          "Geachte mevrouw De Vries,\n\nConform artikel 7 van onze deelnemersvoorwaarden wordt inschrijfgeld niet "
          "gerestitueerd. Wij kunnen u daarom niet tegemoetkomen.\n\nMet vriendelijke groet,\nKlantenservice Zuiderloop",
          CUSTOMER_REFUSAL_AT, conversation_id=m6["conversation_id"], in_reply_to=m6["id"], from_brand=True,
          subject="RE: " + subj6)


def generate_demo(seed: int = DEMO_SEED) -> list[dict[str, Any]]:
    """The whole demo story as interchange dicts, sorted by created_at (then id)."""
    b = _Demo(seed)
    _customer(b)
    _baseline(b)
    _race_day_posts(b)
    _race_morning(b)
    storm = _storm(b)
    _storm_signals(b)
    _tuesday_replies(b, storm)
    _post_event(b)
    items = sorted(b.items, key=lambda m: (m["created_at"].timestamp(), m["id"]))
    for m in items:
        m["created_at"] = m["created_at"].isoformat()
    return items


# ---------------------------------------------------------------------------- bulk traffic
TRAFFIC_START = amsterdam(datetime(2026, 1, 5, 6, 0))

# (platform, kind, public, id prefix, url prefix or None, with followers, with lang, weight)
_CHANNELS = (
    ("facebook", "comment", True, "fb_c", "https://www.facebook.com/zuiderloop/posts/", False, False, 30),
    ("x", "mention", True, "x_", "https://x.com/i/status/", True, True, 22),
    ("instagram", "comment", True, "ig_", "https://www.instagram.com/p/", False, False, 11),
    ("messenger", "dm", False, "msg_", None, False, False, 10),
    ("email", "email", False, "mail_", None, False, False, 8),
    ("mastodon", "mention", True, "md_", "https://mastodon.example/@u/", True, True, 4),
    ("bluesky", "mention", True, "bs_", "https://bsky.app/profile/u/post/", True, True, 4),
    ("reddit", "comment", True, "rd_", "https://www.reddit.com/r/hardlopen/comments/", False, False, 3),
    ("facebook", "review", True, "fb_r", "https://www.facebook.com/zuiderloop/reviews/", False, False, 2),
    ("x", "dm", False, "xdm_", None, False, False, 3),
)


def _traffic_texts(rng: random.Random) -> dict[str, list[str]]:
    """Pre-rendered texts (templates x slots x noise), so the hot loop only picks."""
    sources: list[tuple[str, str, bool]] = []  # (lang, template, angry)
    sources += [(q[1], q[2], False) for q in _QUESTIONS] + [(c[0], c[1], True) for c in _SINGLE_COMPLAINTS]
    for lang in ("nl", "en"):
        sources += [(lang, t, False) for t in _PRAISE[lang] + _NEUTRAL[lang] + _RACE_MORNING[lang]]
        for topic, texts in _STORM.items():
            sources += [(lang, t, topic not in ("support", "question", "bystander")) for t in texts[lang]]
        sources += [(lang, t, True) for t in _STORM_DMS[lang]]
    for kind, entries in _POST_EVENT.items():
        sources += [(e[0], e[1], kind == "complaint") for e in entries]
    pools: dict[str, list[str]] = {"nl": [], "en": [], "reply_nl": [], "reply_en": []}
    for lang, tpl, angry in sources:
        for _ in range(12):
            person = _new_person(rng, 0, lang)
            pools[lang].append(_roughen(tpl.format(**_slots(rng, person, None)), person, rng, angry))
    pools["nl"] += ["Echt super slechte service, never again 😤", "Top event, loved it! Volgend jaar weer 💪",
                    "Waar is de refund nou? Still waiting...", "Great race, maar die waterpost was echt een drama"] * 6
    for lang in ("nl", "en"):
        pools[f"metoo_{lang}"] = list(_ME_TOO[lang])
    for q in _QUESTIONS + _SINGLE_COMPLAINTS:
        lang, answer = (q[1] if len(q) == 4 else q[0]), q[-1]
        for _ in range(4):
            pools[f"reply_{lang}"].append(answer.replace("{first}", "\0").format(**_slots(rng, None, None)))
    return pools


def generate_traffic(n: int, seed: int = 1, start: datetime = TRAFFIC_START) -> Iterator[dict[str, Any]]:
    """Stream n valid, varied messages (nl/en, pos/neu/neg, public/private, brand replies,
    threads, the odd burst) in time order with unique ids; ~5 s per million on one core.
    `start` must be timezone-aware; the stream's clock advances ~2 s per message on average,
    faster by day than by night."""
    rng = random.Random(seed)
    rand, choice = rng.random, rng.choice
    texts = _traffic_texts(rng)
    nl, en, reply_nl, reply_en = texts["nl"], texts["en"], texts["reply_nl"], texts["reply_en"]
    metoo_nl, metoo_en = texts["metoo_nl"], texts["metoo_en"]
    wheel: list[int] = []
    for i, ch in enumerate(_CHANNELS):
        wheel += [i] * ch[7]
    wheel_len = len(wheel)
    n_people = max(2000, n // 15)
    first_names = _NL_FIRST + _EN_FIRST
    last_names = _NL_LAST + _EN_LAST
    sigs = tuple(f" ^{s}" for s in _SIGS)
    hour_factor = [w / max(_HOUR_WEIGHTS) for w in _HOUR_WEIGHTS]
    clock = _TrafficClock()
    t = start.timestamp()
    base_gap = 2.0
    posts: dict[str, str] = {}
    pending: deque[tuple] = deque(maxlen=4000)
    queued: list[tuple[float, dict[str, Any]]] = []
    burst_left = 0
    emitted = 0
    i = 0
    while emitted < n:
        if queued:
            ts, msg = queued.pop()
            t = max(t, ts)
            yield msg
            emitted += 1
            continue
        i += 1
        if burst_left:
            burst_left -= 1
            t += base_gap * 0.05 * rand()
        else:
            t += base_gap * -math.log(1.0 - rand()) / (0.08 + hour_factor[clock.hour(t)])
            if rand() < 0.00004:
                burst_left = 200 + int(rand() * 1800)
        created = clock.iso(t)
        r = rand()
        if r < 0.004:  # the brand posts something new on a public channel
            yield _brand_post(choice(("facebook", "x", "instagram")), i, created, posts, choice)
            emitted += 1
            continue
        if r < 0.16 and pending and not burst_left:  # a brand reply to the oldest waiting message
            platform, mid, conv, public, first, lang = pending.popleft()
            body = choice(reply_en if lang == "en" else reply_nl).replace("\0", first)
            kind = "email" if platform == "email" else ("comment" if public else "dm")
            msg = {"platform": platform, "id": f"re_{i}", "kind": kind, "public": public,
                   "author": {"id": "brand_" + platform, "name": BRAND_NAME},
                   "text": body + (choice(sigs) if public else ""), "created_at": created,
                   "conversation_id": conv, "in_reply_to": mid, "from_brand": True}
            yield msg
            emitted += 1
            continue
        ch = _CHANNELS[wheel[int(rand() * wheel_len)]]
        platform, kind, public, prefix, url, with_followers, with_lang = ch[:7]
        if burst_left:
            platform, kind, public, prefix, url, with_followers, with_lang = _CHANNELS[0][:7]
        if kind == "comment" and platform not in posts:  # comments need a post to hang under
            yield _brand_post(platform, i, created, posts, choice)
            emitted += 1
            continue
        p = int(rand() ** 2.2 * n_people)  # a few people write a lot
        first = first_names[p % len(first_names)]
        name = f"{first} {last_names[(p * 7) % len(last_names)]}"
        lang = "en" if p % 7 == 0 else "nl"
        if kind == "comment" and rand() < 0.08:
            text = choice(metoo_en if lang == "en" else metoo_nl)
        else:
            text = choice(en if lang == "en" else nl)
        mid = f"{prefix}{i}"
        author: dict[str, Any] = {"id": f"u{p}@example.com" if platform == "email" else f"{platform[:2]}u{p}",
                                  "name": name}
        if with_followers:
            author["followers"] = (p * 2654435761) % 4000 if p % 97 else 50000 + p % 150000
        msg = {"platform": platform, "id": mid, "kind": kind, "public": public, "author": author,
               "text": text, "created_at": created}
        if kind == "comment":
            conv = posts[platform]
            msg["conversation_id"] = conv
            msg["in_reply_to"] = conv
        elif kind == "dm":
            conv = f"t_{platform}_{p}"
            msg["conversation_id"] = conv
        elif kind == "email":
            conv = f"thread_{i}"
            msg["conversation_id"] = conv
            msg["subject"] = "Vraag" if lang == "nl" else "Question"
            queued.append((t + 3, {"platform": "email", "id": f"auto_{i}", "kind": "email", "public": False,
                                   "author": {"id": "info@zuiderloop.example", "name": "Team Zuiderloop"},
                                   "text": _AUTO_EMAIL, "created_at": clock.iso(t + 3), "conversation_id": conv,
                                   "in_reply_to": mid, "from_brand": True, "automated": True}))
        else:
            conv = mid
        if url:
            msg["url"] = f"{url}{i}"
        if with_lang:
            msg["lang"] = lang
        yield msg
        emitted += 1
        if rand() < 0.45:
            pending.append((platform, mid, conv, public, first, lang))


def _brand_post(platform: str, i: int, created: str, posts: dict[str, str], choice: Any) -> dict[str, Any]:
    mid = f"{platform[:2]}_post{i}"
    posts[platform] = mid
    return {"platform": platform, "id": mid, "kind": "post", "public": True,
            "author": {"id": "brand_" + platform, "name": BRAND_NAME}, "text": choice(_BRAND_POST_TEXTS),
            "created_at": created, "from_brand": True}


class _TrafficClock:
    """Epoch seconds -> Amsterdam ISO strings, cached per minute (the hot path of the stream)."""

    def __init__(self) -> None:
        self._minute = -1
        self._prefix = ""
        self._suffix = ""
        self._hour = 0
        self._secs = [f"{s:02d}" for s in range(60)]
        self._transitions: dict[int, tuple[float, float]] = {}

    def _offset(self, ts: float) -> int:
        year = datetime.fromtimestamp(ts, timezone.utc).year
        if year not in self._transitions:
            begin = datetime.combine(_last_sunday(year, 3), time(1), timezone.utc).timestamp()
            end = datetime.combine(_last_sunday(year, 10), time(1), timezone.utc).timestamp()
            self._transitions[year] = (begin, end)
        begin, end = self._transitions[year]
        return 2 if begin <= ts < end else 1

    def _load(self, minute: int) -> None:
        ts = minute * 60
        off = self._offset(ts)
        local = datetime.fromtimestamp(ts + off * 3600, timezone.utc)
        self._minute = minute
        self._prefix = local.strftime("%Y-%m-%dT%H:%M:")
        self._suffix = f"+0{off}:00"
        self._hour = local.hour

    def hour(self, ts: float) -> int:
        minute = int(ts) // 60
        if minute != self._minute:
            self._load(minute)
        return self._hour

    def iso(self, ts: float) -> str:
        sec = int(ts)
        minute = sec // 60
        if minute != self._minute:
            self._load(minute)
        return self._prefix + self._secs[sec - minute * 60] + self._suffix


# ---------------------------------------------------------------------------- output
def dumps_jsonl(messages: Iterable[dict[str, Any]]) -> str:
    """The exact text of the committed demo file: one compact-ish JSON object per line, UTF-8."""
    return "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in messages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webcare.scenario", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="-", help="file to write (default: stdout)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--traffic", type=int, metavar="N", help="write N synthetic messages instead of the demo")
    args = parser.parse_args(argv)
    if args.traffic is not None:
        lines: Iterable[dict[str, Any]] = generate_traffic(args.traffic, seed=1 if args.seed is None else args.seed)
    else:
        lines = generate_demo(DEMO_SEED if args.seed is None else args.seed)
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8", newline="\n")
    try:
        for m in lines:
            out.write(json.dumps(m, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
