"""Language of a short social-media text: 'nl', 'en', 'other', or 'und' (too little text).

Function words identify a language from very few words, which is what tweets and comments
give us. Each language scores the share of tokens that are its function words; Dutch and
English also get a little evidence from their own sentiment vocabulary, so "Waardeloos!!"
is Dutch and "lol" is English. No model files, no network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Container

STOPWORDS: dict[str, frozenset[str]] = {
    "nl": frozenset("""
        de het een en van ik je jij u uw jullie wij we zij ze hij is niet dat die dit deze
        wat er op aan met voor naar bij uit om ook als maar dan nog wel al of te tot over
        heb hebt heeft hebben ben bent was waren wordt worden werd kan kunnen kun mag moet
        moeten zou zal wil wilt geen nooit meer veel heel erg echt mijn onze ons hun haar hem
        mij wie waar wanneer waarom hoe welke omdat want dus toch nu hier daar alleen weer
        alweer gewoon zo na zonder tegen sinds graag bedankt dank helaas nee ja iets niets
        niks iemand niemand allemaal alle elke keer dag dagen jaar zijn wij hoor even eens
        nou zelf onder tussen waarin waarvoor daarom daarna gaan gaat ging doen doet deed
        krijg krijgen kregen gekregen gedaan hebben heeft zien weet weten vind vindt denk
        goed slecht vandaag morgen gisteren ook mee wel nu er ik's 't m'n z'n d'r
    """.split()),
    "en": frozenset("""
        the a an and of to in is are was were be been being it its this that these those i
        you he she we they my your our their me him her them not no never don't dont can't
        cant won't didn't doesn't isn't do does did have has had will would should could can
        just so what when where why how which who there here with for from on at by about
        into out up if or but because very really still again please thanks thank you're
        i'm it's that's get got any some all more than then too also only i've i'll we're
        they're my your good bad today tomorrow yesterday going want wants know think
    """.split()),
    "de": frozenset("""
        der die das und ist nicht ein eine einen einem ich du er sie wir ihr mit auf für
        von zu den dem des im sich auch noch nur aber oder wenn dass sehr schon kein keine
        nach bei aus sind haben hat wird werden mein meine dein kann können mir mich dir
        uns euch jetzt immer heute warum wer wo danke bitte gut schlecht bin bist habe
        wirklich nichts etwas diese dieser dieses unser unsere
    """.split()),
    "fr": frozenset("""
        le la les un une des du et est sont pas ne je tu il elle nous vous ils elles mon ma
        mes ton ta son sa ses ce cette ces qui que quoi où quand comment pourquoi avec pour
        dans sur par au aux très bien mais ou donc car merci bonjour oui non c'est j'ai
        n'est plus tout tous être avoir fait été moi toi lui leur suis êtes vraiment
    """.split()),
    "es": frozenset("""
        el la los las un una unos y es son que por para con su sus mi mis tu yo él ella muy
        pero como más este esta esto ese eso hay ser está están fue gracias hola sí también
        porque cuando donde qué del al nos le lo
    """.split()),
    "it": frozenset("""
        il lo la gli le un una uno è di da con su per tra fra che non mi ti ci si sono sei
        siamo molto ma come anche questo questa quello più grazie ciao perché quando dove chi
        cosa del della dei delle nel nella al alla
    """.split()),
    "pt": frozenset("""
        o os as um uma do da dos das em no na nos nas por para com que não é são muito mas
        como mais este esta isso obrigado olá sim também porque quando onde eu você ele ela
        nós
    """.split()),
}

WORD_RE = re.compile(r"(?<![@#\w])[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
URL_RE = re.compile(r"https?://\S+|www\.\S+")
HINTS = {"nl": "nl", "nld": "nl", "dut": "nl", "en": "en", "eng": "en", "und": "und"}
MIN_WORDS = 2  # fewer words than this, and no telling vocabulary: 'und'


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    lang: str  # nl | en | other | und
    confidence: float


def normalise_hint(hint: str | None) -> str | None:
    """'nl-NL', 'NL', 'nld' -> 'nl'; any other real language code -> 'other'."""
    if not hint:
        return None
    code = hint.strip().lower().replace("_", "-").split("-")[0]
    if not code:
        return None
    return HINTS.get(code, "other")


class LanguageDetector:
    """Stopword-profile detector; `nl_words`/`en_words` are extra vocabulary for short texts."""

    def __init__(self, nl_words: Container[str] = frozenset(),
                 en_words: Container[str] = frozenset()) -> None:
        self._nl_words = nl_words
        self._en_words = en_words

    def detect(self, text: str, hint: str | None = None) -> LanguageGuess:
        hinted = normalise_hint(hint)
        if hinted is not None and hinted != "und":
            return LanguageGuess(hinted, 1.0)
        words = [w.lower().replace("’", "'") for w in WORD_RE.findall(URL_RE.sub(" ", text))]
        letters = sum(len(w) for w in words)
        if not words:
            return LanguageGuess("und", 0.0)
        if _non_latin_share(text) > 0.5:
            return LanguageGuess("other", 0.9)
        scores = {lang: 0.0 for lang in STOPWORDS}
        for word in words:
            for lang, stops in STOPWORDS.items():
                if word in stops:
                    scores[lang] += 1.0
            in_nl, in_en = word in self._nl_words, word in self._en_words
            if in_nl and not in_en:
                scores["nl"] += 0.6
            elif in_en and not in_nl:
                scores["en"] += 0.6
        scores["nl"] += 0.5 * _count(text.lower(), ("ij", "oe", "sch", "aa", "uu"), words)
        best = max(scores, key=scores.get)
        top = scores[best]
        if top < 0.6:
            if len(words) < MIN_WORDS + 1 or letters < 12:
                return LanguageGuess("und", 0.0)
            return LanguageGuess("other", 0.4)
        runner_up = max(v for k, v in scores.items() if k != best)
        share = top / len(words)
        confidence = min(1.0, share * 1.5) * (top - runner_up) / top
        if best not in ("nl", "en"):
            return LanguageGuess("other", round(max(0.3, confidence), 3))
        if len(words) < MIN_WORDS and top < 1.0:
            return LanguageGuess("und", round(confidence / 2, 3))
        return LanguageGuess(best, round(max(0.2, confidence), 3))


def _count(text: str, grams: tuple[str, ...], words: list[str]) -> float:
    """Dutch letter patterns per word, capped so they only break ties."""
    hits = sum(text.count(g) for g in grams)
    return min(hits / max(len(words), 1), 1.0)


def _non_latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if ord(c) > 0x24F) / len(letters)

