"""What a webcare agent would file a message as: complaint, question, praise or other.

The labelled files in tests/data were written for webcare by people who saw neither the
classifier nor each other's files; `dev`, `test` and `holdout` were used to write the cue
lists, `final` was measured once after that; `round2` was used for the next round of cues and
`final2` measured once after it, and `round3`/`final3` and `round4`/`final4` the same way
(bench/eval_intents.py prints all of them). The floors below
sit a little under what was measured, so a change that loses complaints fails.
"""

from __future__ import annotations

from pathlib import Path

import math
import pytest

from webcare.classify import Classifier
from webcare.classify.evaluation import INTENTS, intent_examples, macro_f1, signals_of

DATA = Path(__file__).parent / "data"

# file: (macro-F1 floor, complaint-recall floor, safety-recall floor)
FLOORS = {
    "dev": (0.92, 0.95, 0.9),
    "test": (0.92, 0.94, 0.9),
    "holdout": (0.78, 0.83, 0.4),
    "final": (0.74, 0.7, 0.7),  # untuned 0.722, 0.57; after round2's cues 0.747, 0.63; with wording 0.774, 0.70; round3 0.781, 0.74, 0.76; round4 0.791, 0.75, 0.76
    "round2": (0.83, 0.87, 0.5),
    "final2": (0.7, 0.72, 0.5),  # before round2's cues 0.661, 0.54; after 0.683, 0.58; with wording 0.725, 0.71; round3 0.736, 0.74, 0.56; round4 0.732, 0.73, 0.63
    "round3": (0.72, 0.93, 0.9),
    "final3": (0.68, 0.85, 0.7),  # before round3's cues 0.692, 0.81, 0.44; after 0.718, 0.91, 0.81; round4 0.725, 0.89, 0.74
    "round4": (0.79, 0.9, 0.9),
    "final4": (0.6, 0.52, 0.6),  # before round4's cues 0.635, 0.55, 0.56; after 0.635, 0.56, 0.69
}


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier()


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_labelled_messages_are_filed_as_an_agent_would(clf, name):
    rows = intent_examples(DATA / f"webcare_intents_{name}.jsonl")
    scores = [clf.score_text(r["text"], public=True) for r in rows]
    gold = [r["intent"] for r in rows]
    ours = [s.intent for s in scores]
    f1_floor, complaint_floor, safety_floor = FLOORS[name]
    assert macro_f1(gold, ours, INTENTS) >= f1_floor
    complaints = [o for g, o in zip(gold, ours) if g == "complaint"]
    assert sum(o == "complaint" for o in complaints) / len(complaints) >= complaint_floor
    safety = [signals_of(s.reasons) for r, s in zip(rows, scores) if "safety" in r["signals"]]
    assert sum("safety" in found for found in safety) / len(safety) >= safety_floor


@pytest.mark.parametrize("text", [
    "Geachte heer/mevrouw, op 2 februari heb ik mijn lidmaatschap beëindigd, maar er wordt nog steeds "
    "maandelijks €39,95 afgeschreven. Wilt u dit corrigeren? Met vriendelijke groet, J. Bakker",
    "Hi team, I moved house in March and told you, but the invoices are still going to my old address "
    "and now there is a late payment fee on top. Could you please fix this? Kind regards, Sam",
])
def test_a_polite_email_reporting_a_failure_is_a_complaint(clf, text):
    s = clf.score_text(text)
    assert s.intent == "complaint" and s.complaint


@pytest.mark.parametrize("text", [
    "Goed geregeld hoor, voor de tweede keer deze week mijn pakket niet bezorgd.",
    "Great, my train is cancelled again. Love it.",
    "Bedankt he, drie kwartier in de wacht en toen werd de verbinding verbroken.",
])
def test_praise_that_mocks_a_failure_is_a_sarcastic_complaint(clf, text):
    s = clf.score_text(text)
    assert s.intent == "complaint" and s.label == "neg"
    assert any(r.startswith("sarcasm") for r in s.reasons)


@pytest.mark.parametrize("text", [
    "Mijn internet lag eruit, maar de monteur heeft het binnen een uur opgelost. Top geholpen!",
    "My order arrived damaged, but the replacement came the next day. Problem solved, thank you!",
])
def test_a_failure_that_was_put_right_is_praise(clf, text):
    s = clf.score_text(text)
    assert s.intent == "praise" and not s.complaint


@pytest.mark.parametrize("text", [
    "Weet iemand of er zaterdag ook een pendelbus vanaf het station rijdt?",
    "Anyone else going to the Sunday show? Looking for someone to share a taxi with",
    "Wij bieden professionele schoonmaak voor kantoren. Interesse in een vrijblijvende offerte?",
    "Looking for a job as an order picker, who do I send my CV to?",
    "Hoi! Ik doe onderzoek voor mijn scriptie over webcare. Zou iemand van jullie team mee willen werken?",
])
def test_a_question_to_other_customers_an_offer_or_a_job_request_is_chatter(clf, text):
    assert clf.score_text(text).intent == "other"


@pytest.mark.parametrize("text", [
    "Mijn hypotheekadviseur (niet van jullie hoor) heeft me echt belabberd geholpen, zo balen",
    "My landlord is the worst. Not you guys, just venting tonight",
    "Vlucht geannuleerd door een staking van de verkeersleiders 😩 Niet jullie schuld, maar toch balen.",
])
def test_bad_news_the_writer_says_is_not_about_us_is_no_complaint(clf, text):
    assert not clf.score_text(text).complaint


def test_a_question_to_us_stays_a_question(clf):
    assert clf.score_text("Weten jullie of er zaterdag een pendelbus vanaf het station rijdt?").intent == "question"


@pytest.mark.parametrize("text", ["Hup Oranje hup!! 🧡🧡", "Happy Pride Day everyone! 🌈🌈"])
def test_cheering_is_not_praise_of_us(clf, text):
    assert clf.score_text(text).intent == "other"


@pytest.mark.parametrize("text, signal", [
    ("Na het openen van jullie pot augurken zat er een stuk glas in, mijn zoon had het bijna ingeslikt", "safety"),
    ("Since the engineer replaced the meter this morning the hallway smells of gas", "safety"),
    ("Er lekt gas bij de meterkast na het bezoek van jullie monteur", "safety"),
    ("Nog één keer zo'n rekening en ik stap over naar een andere verzekeraar", "churn"),
    ("I'm cancelling my contract today, three outages in one week is enough", "churn"),
    ("Als dit niet voor vrijdag is opgelost schakel ik mijn rechtsbijstandsverzekering in", "legal"),
    ("I've sent the whole story to the local paper, they are very interested", "press"),
    ("Vier mails gestuurd en nog geen enkele reactie gehad", "no_answer"),
    ("We staan hier al anderhalf uur te wachten op de bagage", "waiting"),
    # a promise or a wait told without one negative word
    ("Jullie beloven 'binnen 48 uur een reactie'. Dat was vorige week maandag.", "waiting"),
    ("3 maart het contactformulier ingevuld. 14 maart opnieuw. Vandaag weer. Krijg ik ooit antwoord?", "no_answer"),
    ("Hour and a half on hold with your claims line. Dinner cooked, eaten and the dishes done.", "waiting"),
])
def test_the_reason_an_agent_must_see_is_named(clf, text, signal):
    s = clf.score_text(text, public=True)
    assert signal in signals_of(s.reasons)
    assert s.complaint


@pytest.mark.parametrize("text", [
    "Mijn internet ligt er al de hele dag uit, wanneer is dit opgelost?",
    "Op 14 september heb ik mijn abonnement geannuleerd, maar er wordt nog steeds geld afgeschreven.",
    "Lekker bezig weer, trein 40 minuten vertraging 🙄",
])
def test_a_failure_asked_about_or_told_plainly_is_a_complaint(clf, text):
    assert clf.score_text(text).intent == "complaint"


def test_an_idiom_about_fire_is_no_safety_risk(clf):
    s = clf.score_text("Dank aan Mirjam van de klantenservice, ze heeft me echt uit de brand geholpen!")
    assert "safety" not in signals_of(s.reasons) and s.intent == "praise"


def test_the_one_scan_finds_what_each_family_alone_finds():
    """find_cues factors every expression into one prefix tree; it must find exactly the families
    a plain search of each family's expressions finds, in either language."""
    import re

    from webcare.classify.cues import ALL_CUES, find_cues
    from webcare.scenario import generate_traffic

    plain = [(c, re.compile(r"(?<!\w)(?:" + "|".join(c.expressions) + r")(?!\w)")) for c in ALL_CUES]
    texts = [r["text"] for path in sorted(DATA.glob("webcare_intents_*.jsonl")) for r in intent_examples(path)]
    texts += [m["text"] for m in generate_traffic(3000, seed=5)]
    for text in texts:
        lower = text.lower()
        for lang in ("nl", "en"):
            expected = {c.name for c, pattern in plain if lang in c.langs and pattern.search(lower)}
            assert {c.name for c in find_cues(lower, lang)} == expected, text


def test_the_shipped_wording_models_are_the_ones_the_labelled_files_train():
    from webcare.classify.build_wording import build, training_rows

    for path, content in build(training_rows(DATA)).items():
        assert content == path.read_text(encoding="utf-8"), (
            f"{path.name} is stale: python -m webcare.classify.build_wording tests/data")


def test_a_plain_story_of_a_failure_is_filed_as_a_complaint_by_its_wording(clf):
    story = "Monteur zou dinsdag tussen 8 en 12 komen. Om 12:05 kreeg ik een sms dat de afspraak naar donderdag is verzet."
    score = clf.score_text(story)
    assert score.intent == "complaint"
    assert any(r.startswith("worded like a complaint") for r in score.reasons)
    assert clf.score_text("Op 12 oktober besteld en op 13 oktober al binnen, top!").intent == "praise"


def test_danger_told_in_words_no_cue_lists_is_still_a_safety_risk(clf):
    score = clf.score_text("De lift is al weken stuk en mijn buurvrouw in een rolstoel kan haar flat niet uit.")
    assert any(r.startswith("safety risk") for r in score.reasons)
    assert score.urgency >= 0.5
    assert not any(r.startswith("safety risk") for r in clf.score_text("Mijn mes is bot, kan ik een nieuwe bestellen?").reasons)


def test_the_quoted_wording_and_its_weight_do_not_depend_on_the_run():
    """Of two equally telling words the reason quotes the first, and the sum of weights is the
    same whatever order a set gives them: string hashing differs between any two processes."""
    from webcare.classify.wording import Wording

    model = Wording(0.0, {"rolstoel": 2.0, "trap": 2.0})
    assert model.strongest("De lift is kapot en de trap is de enige weg met een rolstoel") == "trap"
    assert model.strongest("Met een rolstoel is de trap de enige weg") == "rolstoel"
    # summed left to right, 1 + 1e16 - 1e16 is 0 or 1 depending on the order
    huge = Wording(0.0, {"lift": 1.0, "kapot": 1e16, "weg": -1e16})
    assert huge.probability("lift kapot weg") == 1 / (1 + math.exp(-1.0))
