"""What a webcare user notices about the classifier: Dutch and English complaints, praise,
questions, other languages, and why something is urgent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from webcare.classify import Classifier, UrgencyContext, classify_record
from webcare.classify.courtesy import without_courtesies
from webcare.classify.vader_fast import FastVader
from webcare.models import INTENTS, LABELS, Author, Message, MessageFormatError

NOW = datetime(2024, 3, 4, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier()


def message(text: str, *, public: bool = True, followers: int | None = None,
            lang: str | None = None) -> Message:
    return Message(
        platform="facebook", id="m1", kind="comment", public=public,
        author=Author("u1", "Klant", followers), text=text, created_at=NOW, lang=lang,
    )


# --- Dutch ---------------------------------------------------------------------------

def test_dutch_outage_rant_is_a_negative_complaint(clf):
    s = clf.score_text("De app is alweer kapot, schandalig!")
    assert (s.lang, s.label, s.intent, s.complaint) == ("nl", "neg", "complaint", True)
    assert s.complaint_score >= 0.5
    assert any("kapot" in r for r in s.reasons)


def test_niet_slecht_is_not_negative(clf):
    assert clf.score_text("Niet slecht!").label != "neg"


def test_dutch_negation_turns_praise_around(clf):
    assert clf.score_text("Het eten was lekker").label == "pos"
    assert clf.score_text("Het eten was niet lekker").label == "neg"
    assert clf.score_text("Lekker was het niet.").label == "neg"  # "niet" after the word
    assert clf.score_text("Echt géén aanrader").label == "neg"  # stress accents


def test_dutch_thanks_is_positive_praise(clf):
    s = clf.score_text("Top service, dank jullie wel")
    assert (s.lang, s.label, s.intent, s.complaint) == ("nl", "pos", "praise", False)


def test_where_is_my_parcel_is_a_question(clf):
    s = clf.score_text("Waar blijft mijn pakket?")
    assert s.intent == "question"
    assert s.label != "pos"


def test_boosters_and_caps_strengthen_dutch_opinions(clf):
    plain = clf.score_text("De service is goed").compound
    assert clf.score_text("De service is heel erg goed").compound > plain
    shouted = clf.score_text("De app is WAARDELOOS").compound
    assert shouted < clf.score_text("De app is waardeloos").compound
    superlative = clf.score_text("Superlekker gegeten").compound
    assert superlative > clf.score_text("Lekker gegeten").compound


def test_maar_makes_the_second_half_count(clf):
    s = clf.score_text("Het eten was lekker maar de bediening was traag en onvriendelijk")
    assert s.label == "neg"


def test_service_failure_without_angry_words_is_a_complaint(clf):
    s = clf.score_text("Mijn pakket is nog steeds niet geleverd en ik krijg geen reactie")
    assert s.complaint and s.intent == "complaint"
    assert s.label == "neg"
    crash = clf.score_text("Jullie app crasht telkens bij het inloggen")
    assert crash.complaint and any("crasht" in r for r in crash.reasons)


def test_sarcastic_thanks_is_negative(clf):
    assert clf.score_text("Bedankt voor niks").label == "neg"


def test_emoji_carry_sentiment(clf):
    assert clf.score_text("Bestelling kwam vandaag binnen 😍").label == "pos"
    assert clf.score_text("Bestelling kwam vandaag weer niet 😡").label == "neg"


def test_mixed_dutch_english_is_dutch_and_negative(clf):
    s = clf.score_text("Mijn order is nog steeds niet delivered, echt waardeloos")
    assert (s.lang, s.label) == ("nl", "neg")


def test_a_salutation_is_not_praise(clf):
    s = clf.score_text("Beste klantenservice, mijn factuur klopt niet.")
    assert s.label != "pos" and s.intent != "praise"


@pytest.mark.parametrize("text", [
    "Dank je wel voor niks", "Dankjewel voor niets, ik wacht al 3 weken",
    "Ik ben niet tevreden over de service.", "Het is echt niet te doen met jullie klantenservice.",
])
def test_dutch_thanks_for_nothing_is_a_complaint(clf, text):
    s = clf.score_text(text)
    assert (s.label, s.intent, s.complaint) == ("neg", "complaint", True)


def test_sent_from_pillar_to_post_is_a_complaint(clf):
    s = clf.score_text("Ik word van het kastje naar de muur gestuurd.")
    assert (s.intent, s.complaint) == ("complaint", True)


def test_asking_for_haste_is_no_praise(clf):
    # "zo snel mogelijk" asks for speed; "snel geleverd" praises it
    assert clf.score_text("Kunnen jullie dit zo snel mogelijk oplossen?").label == "neu"
    assert clf.score_text("Super snel geleverd!").label == "pos"


# --- English -------------------------------------------------------------------------

def test_english_praise_and_complaint(clf):
    praise = clf.score_text("I love this, great service!")
    assert (praise.lang, praise.label, praise.intent) == ("en", "pos", "praise")
    rant = clf.score_text("Still waiting for my refund, this is unacceptable")
    assert (rant.lang, rant.label, rant.complaint) == ("en", "neg", True)


@pytest.mark.parametrize("text", ["Love the new menu!", "Loving your new app"])
def test_loving_something_of_ours_is_praise(clf, text):
    assert clf.score_text(text).intent == "praise"


# --- letter formulas -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Geachte heer/mevrouw,\n\nIk wacht nog steeds op mijn geld.\n\nMet vriendelijke groet,\nR. Bakker\nLindenlaan 14-B",
    "Ik wacht nog steeds op mijn geld. Hartelijke groeten, Jan de Vries",
    "Waar blijft mijn terugbetaling? Alvast bedankt voor uw reactie.\n\nMvg,\nAnja",
    "Dear team, my parcel never arrived. Kind regards,\nJohn O'Neill",
])
def test_a_courteous_complaint_is_still_a_complaint_and_not_positive(clf, text):
    s = clf.score_text(text)
    assert s.complaint and s.intent == "complaint"
    assert s.label != "pos" and s.compound <= 0


def test_a_closing_weighs_as_nothing(clf):
    bare = clf.score_text("Mijn pakket is nooit aangekomen.")
    signed = clf.score_text("Mijn pakket is nooit aangekomen.\n\nMet vriendelijke groet,\nM. de Vries")
    assert signed.compound == bare.compound < 0


def test_thanks_that_only_look_like_a_closing_still_count(clf):
    assert clf.score_text("Priya sorted my bill in 5 minutes. Cheers!").label == "pos"


@pytest.mark.parametrize("text, kept", [
    ("Waar blijft het? Met vriendelijke groet / Kind regards,\nM. de Vries", "Waar blijft het?"),
    ("Tot wanneer kan dat nog? Alvast bedankt. Gr, Pieter", "Tot wanneer kan dat nog?"),
    ("Mijn moeder kan weer naar buiten.\n\nGroet, fam. Jansen", "Mijn moeder kan weer naar buiten."),
    ("Lieve mensen van de klantenservice,\nhet werkt weer", "het werkt weer"),
    # not closings: sarcasm, regards sent on, thanks, a message that is nothing but a formula
    ("Alvast bedankt voor het gesprek met mijn baas 👏", None),
    ("Zo geduldig in de app. Groetjes aan Mo!", None),
    ("Great job. Cheers!", None),
    ("Met vriendelijke groet", None),
])
def test_letter_formulas_are_taken_out_only_where_letters_have_them(text, kept):
    assert without_courtesies(text) == (text if kept is None else kept)


# --- other languages, short texts, hints -----------------------------------------------

@pytest.mark.parametrize("text", [
    "Das ist wirklich schlecht, ich bin sehr enttäuscht von dem Service.",
    "Ce service est vraiment nul, je suis très déçu de votre réponse.",
])
def test_german_and_french_are_other_neutral_low_confidence(clf, text):
    s = clf.score_text(text)
    assert (s.lang, s.label) == ("other", "neu")
    assert s.confidence <= 0.3
    assert clf.score_text("Goede service, echt tevreden").confidence > s.confidence


def test_too_little_text_is_undetermined(clf):
    assert clf.score_text("👍").lang == "und"
    assert clf.score_text("").lang == "und"


def test_short_dutch_word_is_still_scored(clf):
    s = clf.score_text("WAARDELOOS!!")
    assert s.label == "neg"


def test_language_hint_wins(clf):
    assert clf.score_text("Goed", "nl-NL").lang == "nl"
    assert clf.score_text("Sehr gut", "de").lang == "other"
    assert clf.score(message("ok", lang="en")).lang == "en"


# --- urgency ---------------------------------------------------------------------------

def test_legal_threat_raises_urgency_and_names_the_reason(clf):
    base = clf.score_text("Dit is de derde keer dat mijn bestelling niet klopt.")
    legal = clf.score_text(
        "Dit is de derde keer dat mijn bestelling niet klopt. Ik schakel mijn advocaat in.")
    assert legal.urgency > base.urgency
    assert any(r.startswith("legal threat") and "advocaat" in r for r in legal.reasons)
    assert legal.complaint


def test_safety_words_are_urgent_but_english_brand_is_not_fire(clf):
    fire = clf.score_text("De oplader is in brand gevlogen, levensgevaarlijk!")
    assert any(r.startswith("safety risk") for r in fire.reasons)
    assert fire.urgency >= 0.5
    brand = clf.score_text("I love this brand")
    assert not any(r.startswith("safety") for r in brand.reasons)


@pytest.mark.parametrize("text, word", [
    ("Ik wil mijn geld terug", "geld terug"),
    ("Ik ga mijn abonnement opzeggen", "opzeggen"),
    ("Please cancel my subscription", "cancel"),
    ("Ik heb de redactie van Radar gemaild", "redactie"),
])
def test_churn_and_press_words_are_reasons(clf, text, word):
    s = clf.score_text(text)
    assert s.urgency > 0
    assert any(word in r for r in s.reasons)


def test_public_angry_post_by_big_account_is_more_urgent(clf):
    text = "Waardeloze service, al drie dagen geen reactie!"
    private = clf.score(message(text, public=False))
    public = clf.score(message(text, public=True, followers=50_000))
    assert public.urgency > private.urgency
    assert any("50,000 followers" in r for r in public.reasons)
    assert any(r.startswith("public post") for r in public.reasons)


def test_repeat_contact_and_waiting_time_raise_urgency(clf):
    m = message("Hallo, heeft iemand mijn vraag al gezien?", public=False)
    first = clf.score(m)
    chased = clf.score(m, context=UrgencyContext(repeat_contacts=5, waiting_minutes=3 * 24 * 60))
    assert chased.urgency > first.urgency
    assert any(r.startswith("repeat contact: 5") for r in chased.reasons)
    assert any("waiting 3 days" in r for r in chased.reasons)


def test_happy_customer_is_not_urgent(clf):
    s = clf.score(message("Snel geholpen, top!", followers=100_000))
    assert s.urgency == 0 and s.reasons[:1] != ("complaint",)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_valid_score(text):
    s = _shared().score_text(text)
    assert -1.0 <= s.compound <= 1.0
    assert 0.0 <= s.urgency <= 1.0 and 0.0 <= s.complaint_score <= 1.0
    assert 0.0 <= s.confidence <= 1.0
    assert s.label in LABELS and s.intent in INTENTS and s.lang in ("nl", "en", "other", "und")


_SHARED: list[Classifier] = []


def _shared() -> Classifier:
    if not _SHARED:
        _SHARED.append(Classifier())
    return _SHARED[0]


# --- sharing and the CLI record --------------------------------------------------------

def test_one_classifier_gives_the_same_answers_from_many_threads(clf):
    texts = ["De app is alweer kapot, schandalig!", "Top service, dank jullie wel",
             "I love this, great service!", "Waar blijft mijn pakket?"] * 50
    expected = [clf.score_text(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(clf.score_text, texts)) == expected


def test_classify_record_for_a_message_and_a_bare_text(clf):
    full = message("Al twee weken geen reactie, ik stap naar de consumentenbond", followers=2500)
    out = classify_record(full.to_dict(), clf)
    assert out["id"] == "m1" and out["lang"] == "nl"
    assert set(out) >= {"id", "lang", "sentiment", "intent", "complaint", "complaint_score",
                        "urgency", "reasons"}
    assert out["sentiment"]["label"] in LABELS and isinstance(out["sentiment"]["compound"], float)
    assert any("consumentenbond" in r for r in out["reasons"])
    assert any("2,500 followers" in r for r in out["reasons"])
    bare = classify_record({"id": "x", "text": "Thanks, great help!"})
    assert (bare["id"], bare["lang"], bare["intent"]) == ("x", "en", "praise")


def test_classify_record_refuses_a_missing_text():
    with pytest.raises(MessageFormatError) as err:
        classify_record({"id": "x"})
    assert err.value.field == "text"


@pytest.mark.parametrize("text", [
    "Start delayed by 56 minutes and zero communication. Great. 🙄",
    "Top georganiseerd hoor 🙄",
    "Geweldige service weer #not",
])
def test_sarcastic_praise_is_negative_and_says_why(text):
    score = Classifier().score_text(text)
    assert score.label == "neg"
    assert any(r.startswith("sarcasm") for r in score.reasons)


def test_plain_praise_stays_praise():
    assert Classifier().score_text("Top georganiseerd, dank jullie wel!").label == "pos"


VADER_WORDS = ["good", "bad", "not", "very", "but", "never", "so", "kind", "of", "no", "least", "GREAT",
               "terrible", "love", "hate", "without", "doubt", "the", "service", "😡", "🙂", ":)", "!!", "?"]


PLAIN_VADER, FAST_VADER = SentimentIntensityAnalyzer(), FastVader()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(VADER_WORDS), max_size=14).map(" ".join))
def test_the_fast_english_engine_gives_vaders_exact_compound(text):
    expected = PLAIN_VADER.polarity_scores(text)
    assert FAST_VADER.polarity_scores(text) == expected
    assert FAST_VADER.compound(text) == expected["compound"]


@pytest.mark.parametrize("text, intent", [
    ("Is er een storing? Vraag voor mijn ouders", "question"),
    ("Is the app down?", "question"),
    ("Is er een storing? Mijn internet ligt er al de hele ochtend uit", "complaint"),
    ("Is the app down again?? Third time this week", "complaint"),
])
def test_asking_about_an_outage_is_a_question_reporting_one_a_complaint(clf, text, intent):
    assert clf.score_text(text).intent == intent


def test_a_journalist_asking_for_comment_is_a_question_with_the_press_signal(clf):
    score = clf.score_text("Ik ben verslaggever bij de regionale omroep en werk aan een item over de storing "
                           "van gisteren. Kunt u mij vertellen hoeveel klanten getroffen waren?")
    assert score.intent == "question"
    assert any(r.startswith("press") for r in score.reasons)


@pytest.mark.parametrize("text", ["ok thanks, I'll check my spam folder", "oké dank je, ik kijk het even na"])
def test_a_closing_reply_is_not_praise(clf, text):
    assert clf.score_text(text).intent == "other"


@pytest.mark.parametrize("text", [
    "Ordered a blue jacket in size M, got a pink one in XXL. Brilliant.",
    "Op 3 mei besteld, sinds 5 mei staat de status op 'onderweg'. Vandaag is het de 20e.",
    "Paid for priority boarding, then they boarded everyone at once anyway.",
])
def test_a_complaint_told_as_a_story_is_a_complaint(clf, text):
    assert clf.score_text(text).complaint


def test_the_brand_cancelling_is_not_the_customer_leaving(clf):
    leaving = clf.score_text("Cancelled my subscription today, done with the buffering.")
    cancelled = clf.score_text("Your engineer has cancelled our repair for the third time.")
    assert any(r.startswith("refund/cancel/churn") for r in leaving.reasons)
    assert not any(r.startswith("refund/cancel/churn") for r in cancelled.reasons)


def test_only_the_start_of_a_huge_text_is_scored(clf):
    from webcare.classify import SCORED_CHARS

    tail = " Er hangt een sterke gaslucht in het trappenhuis."
    assert any(r.startswith("safety risk") for r in clf.score_text(tail).reasons)
    huge = "bla " * (SCORED_CHARS // 4) + tail
    assert not any(r.startswith("safety risk") for r in clf.score_text(huge).reasons)
