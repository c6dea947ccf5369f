"""Language of a short social-media text: 'nl', 'en', 'other', or 'und' (too little text).

Function words identify a language from very few words, which is what tweets and comments
give us. Each word votes for the languages whose function words include it (a word shared
by k languages gives each 1/k); Dutch and English also get evidence from their own
sentiment vocabulary ("Waardeloos!!" is Dutch, "lol" English) and from spelling that only
one of them uses (Dutch "ij", "-heid", "-tje", "sch"; English "th", "-tion", "-ght").
'other' needs evidence of another language (its function words or a non-Latin script);
too little evidence either way is 'und'. No model files, no network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from webcare.classify.memo import Memo
from typing import Iterable

STOPWORDS: dict[str, frozenset[str]] = {
    "nl": frozenset("""
        de het een en van ik je jij uw jullie wij we zij ze hij is niet dat die dit deze
        wat er op aan met voor naar bij uit om ook als maar dan nog wel al of te tot over
        heb hebt heeft hebben ben bent was waren wordt worden werd kan kunnen kun mag moet
        moeten zou zal wil wilt geen nooit meer veel heel erg echt mijn onze ons hun haar hem
        mij wie waar wanneer waarom hoe welke omdat want dus toch nu hier daar alleen weer
        alweer gewoon zo na zonder tegen sinds graag bedankt dank helaas nee ja iets niets
        niks iemand niemand allemaal alle elke keer dag dagen jaar zijn wij hoor even eens
        nou zelf onder tussen waarin waarvoor daarom daarna gaan gaat ging doen doet deed
        krijg krijgen kregen gekregen gedaan hebben heeft zien weet weten vind vindt denk
        goed slecht vandaag morgen gisteren ook mee wel nu er ik's 't m'n z'n d'r in me
        komt kom komen gekomen terug weg zit zitten staat staan ligt liggen blijft blijven
        maken gemaakt laten liet geven gaf nemen zeggen zei zegt willen doe alles iedereen
        daar daarheen kortom toen dan zelfs steeds eigenlijk misschien zeker natuurlijk
        jullie jouw hen ermee erop eruit ervan erg zeer heb betalen besteld bestelling
        huis eten drinken mensen klant klanten bedrijf weken maanden uur minuten
    """.split()),
    "en": frozenset("""
        the a an and of to in is are was were be been being it its this that these those i
        you he she we they my your our their me him her them not no never don't dont can't
        cant won't didn't doesn't isn't do does did have has had will would should could can
        just so what when where why how which who there here with for from on at by about
        into out up if or but because very really still again please thanks thank you're
        i'm it's that's get got any some all more than then too also only i've i'll we're
        they're my your good bad today tomorrow yesterday going want wants know think
        after before over under off one two three via new ur im u r gonna wanna got just
        like yeah oh hey let's let see look need make made say said go goes went gone come
        came take took right now people time day night week year thing things way back well
        much many every each other another first last next most something anything nothing
        everyone someone tonight weekend love day lol omg as am being also around
        yes ok okay sure maybe why cause cuz since while until though although em
        ever always sometimes often looks show best better great there's what's
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
        dans sur par au aux très bien mais ou donc merci bonjour oui non c'est j'ai
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

# Words of two letters or more (an @mention or #hashtag whole), or a lone "i", "a", "u"; no
# other 1-letter noise. Written to start with one character class, which lets the regex engine
# skip to the next letter without trying the pattern at each space: the same matches as
# "[@#]?[a-zß-ÿ][a-zß-ÿ]+(?:'[a-z]+)?|\b[iau]\b" (the lookbehinds look at that first character).
WORD_RE = re.compile(
    r"[@#a-zß-ÿ](?:(?<=[@#])[a-zß-ÿ][a-zß-ÿ]+(?:'[a-z]+)?|(?<=[a-zß-ÿ])[a-zß-ÿ]+(?:'[a-z]+)?"
    r"|(?<=[iau])(?<!\w.)(?!\w))")
LANGS = tuple(STOPWORDS)
NL, EN = LANGS.index("nl"), LANGS.index("en")
DOMAINS = (".com", ".nl", ".be", ".org", ".net", ".eu", ".de", ".io", ".co.uk")
_MAYBE_LINK = re.compile("/|www\\.|" + "|".join(re.escape(d) for d in DOMAINS))
HINTS = {"nl": "nl", "nld": "nl", "dut": "nl", "en": "en", "eng": "en", "und": "und"}
# "a(?<!aa)a" is "(?<!a)aa": every branch starting with a letter lets the engine skip ahead
NL_SPELLING = re.compile(r"ij|sch|a(?<!aa)a(?!a)|uu|tjes?\b|heid\b|lijk|cht\b")
EN_SPELLING = re.compile(r"th|wh|tion\b|ght|ould\b|'s\b|'t\b|'m\b|'re\b|'ll\b")
VOCAB_WEIGHT = 0.7  # a sentiment word of one language only
SPELLING_WEIGHT = 0.35  # per word, capped at one word's worth in total
DECIDE = 0.6  # least evidence for a decision


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    lang: str  # nl | en | other | und
    confidence: float


@lru_cache(maxsize=512)  # a feed repeats a handful of hints on every message
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

    def __init__(self, nl_words: Iterable[str] = (), en_words: Iterable[str] = ()) -> None:
        owners: dict[str, list[str]] = {}
        for lang, stops in STOPWORDS.items():
            for word in stops:
                owners.setdefault(word, []).append(lang)
        votes: dict[str, dict[int, float]] = {
            word: {LANGS.index(lang): 1.0 / len(langs) for lang in langs}
            for word, langs in owners.items()
        }
        nl_set, en_set = set(nl_words), set(en_words)
        for word in nl_set - en_set:
            votes.setdefault(word, {}).setdefault(NL, VOCAB_WEIGHT)
        for word in en_set - nl_set:
            votes.setdefault(word, {}).setdefault(EN, VOCAB_WEIGHT)
        self._votes = {word: tuple(vote.items()) for word, vote in votes.items()}
        self._pieces: Memo[tuple[int, tuple[tuple[int, float], ...], int, int]] = Memo(self._read)

    def detect(self, text: str, hint: str | None = None, lowered: str | None = None) -> LanguageGuess:
        """The language of `text`; `lowered` is `text.lower()` if the caller has it already."""
        if hint:
            hinted = normalise_hint(hint)
            if hinted is not None and hinted != "und":
                return _HINTED.get(hinted) or LanguageGuess(hinted, 1.0)
        if lowered is None:
            lowered = text.lower()
        # No word spans whitespace, so the words are those of the pieces between spaces,
        # each read once (`_read`); links are left out.
        pieces = lowered.split()
        if _MAYBE_LINK.search(lowered):
            pieces = [t for t in pieces if not _is_link(t)]
        read = list(map(self._pieces.__getitem__, pieces))
        counts, votes, nl, en = zip(*read) if read else ((), (), (), ())
        n_words = sum(counts)
        if not n_words:
            return LanguageGuess("und", 0.0)
        if not text.isascii() and _non_latin_share(text) > 0.5:
            return LanguageGuess("other", 0.9)
        scores = [0.0] * len(LANGS)
        for lang, weight in chain.from_iterable(votes):  # word by word, as they are written
            scores[lang] += weight
        if abs(scores[NL] - scores[EN]) < 2.0:  # spelling can only tip a close call
            scores[NL] += min(1.0, SPELLING_WEIGHT * sum(nl))
            scores[EN] += min(1.0, SPELLING_WEIGHT * sum(en))
        top = max(scores)
        best = scores.index(top)  # the first language with the top score
        runner_up = sorted(scores)[-2]
        if top < DECIDE or top - runner_up < 0.25:
            return LanguageGuess("und", 0.0 if top < DECIDE else 0.2)
        confidence = min(1.0, 1.5 * top / n_words) * (top - runner_up) / top
        if best not in (NL, EN):
            if top < 1.0 or top - runner_up < 0.5:  # one stray "car" or "com" is no evidence
                return LanguageGuess("und", 0.2)
            return LanguageGuess("other", round(max(0.3, confidence), 3))
        return LanguageGuess(LANGS[best], round(max(0.2, confidence), 3))

    def _read(self, piece: str) -> tuple[int, tuple[tuple[int, float], ...], int, int]:
        """What a piece says (`_read_piece`), with its words' votes in order instead of the
        words: per distinct piece, so a message's votes are its pieces' votes put together."""
        words, nl, en = _read_piece(piece)
        votes = self._votes
        return len(words), tuple(vote for word in words for vote in votes.get(word, ())), nl, en


def _read_piece(piece: str) -> tuple[tuple[str, ...], int, int]:
    """A lower-cased piece of text between spaces: its words (@mentions and #hashtags whole,
    so they match no function word), and how often Dutch and English spelling occur in them
    (no spelling pattern spans a space, so a text's counts are the sums of its pieces')."""
    words = tuple(WORD_RE.findall(piece.replace("’", "'")))
    joined = " ".join(words)
    return words, len(NL_SPELLING.findall(joined)), len(EN_SPELLING.findall(joined))


def _is_link(token: str) -> bool:
    return "/" in token or token.startswith("www.") or token.rstrip(".,;:!?)").endswith(DOMAINS)


_BEYOND_LATIN = re.compile("[^\x00-\u024f]")
_HINTED = {lang: LanguageGuess(lang, 1.0) for lang in ("nl", "en", "other")}  # immutable: shared


def _non_latin_share(text: str) -> float:
    """Share of the letters beyond Latin script; emoji are no letters, so a text whose only
    characters beyond Latin are emoji (most non-ASCII messages) is answered without a walk."""
    beyond = _BEYOND_LATIN.findall(text)
    if not any(c.isalpha() for c in beyond):
        return 0.0
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if ord(c) > 0x24F) / len(letters)
