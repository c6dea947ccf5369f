"""The classifier's shortcuts give the answers of the plain code they replace.

Each fast path (patterns rewritten so the regex engine can skip ahead, per-token memos,
VADER's emoji rewrite) is checked against the straightforward version on the labelled
messages, generated traffic and random strings built to hit the edge cases.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from webcare.classify import Classifier
from webcare.classify import language, wording
from webcare.classify.cues import whole_words
from webcare.classify.evaluation import intent_examples
from webcare.classify.memo import Memo
from webcare.classify.sentiment import RuleSentiment
from webcare.classify.vader_fast import FastVader
from webcare.scenario import generate_traffic

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    out = [r["text"] for path in sorted(DATA.glob("webcare_intents_*.jsonl")) for r in intent_examples(path)]
    return out + [m["text"] for m in generate_traffic(3000, seed=9)]


def random_texts(alphabet: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(n)]


def spans(pattern: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], str]]:
    return [(m.span(), m.group()) for m in pattern.finditer(text)]


def test_the_detectors_patterns_match_as_written_plainly(texts):
    plain_words = re.compile(r"[@#]?[a-zß-ÿ][a-zß-ÿ]+(?:'[a-z]+)?|\b[iau]\b")
    plain_spelling = re.compile(r"ij|sch|(?<!a)aa(?!a)|uu|tjes?\b|heid\b|lijk|cht\b")
    odd = random_texts(list("aaiu @#'xß÷ÿé1_.") + ["aa", "heid", "tjes"], 20_000, seed=1)
    for text in [t.lower() for t in texts] + odd:
        assert language.WORD_RE.findall(text) == plain_words.findall(text), text
        assert language.NL_SPELLING.findall(text) == plain_spelling.findall(text), text


def test_whole_words_matches_exactly_what_the_plain_pattern_matches(texts):
    pattern = r"\b(?:u|uw|you|your|kom op|let'?s go|happy \w+(?:'s)? day|congrat\w*|jullie)\b"
    plain, fast = re.compile(pattern), whole_words(pattern)
    odd = random_texts(["u", "uw", "you", "r", " ", "_", "x", "é", "kom op", "let's go", "congrats"], 20_000, seed=2)
    for text in [t.lower() for t in texts] + odd:
        assert spans(fast, text) == spans(plain, text), text
    with pytest.raises(ValueError):
        whole_words(r"(?:a|b)")


def test_wording_features_from_the_pieces_weigh_the_same(texts):
    clf = Classifier()
    models = (clf._complaint_wording, clf._safety_wording)
    pairs = wording.pairs_known(*models)
    for text in texts:
        full, fast = wording.wording_features(text), wording.model_features(text.lower(), pairs)
        for model in models:
            assert model.weights.keys() & full == model.weights.keys() & fast, text
            assert model.probability_of(fast) == pytest.approx(model.probability(text), abs=1e-12)


def test_fast_vader_rewrites_emoji_as_vader_does():
    fast, plain = FastVader(), SentimentIntensityAnalyzer()
    emoji = [c for c in fast.emojis if len(c) == 1][:60]
    alphabet = ["good", "BAD", " ", "  ", "not", "very", "!", "?", ":)", "é", "©", "x", *emoji]
    for text in random_texts(alphabet, 20_000, seed=3):
        assert fast.polarity_scores(text) == plain.polarity_scores(text), text


def test_a_memo_stays_bounded_and_never_changes_an_answer(texts):
    calls = []
    memo = Memo(lambda key: calls.append(key) or key.upper(), limit=2)
    assert [memo[k] for k in "abcab"] == list("ABCAB")
    assert len(memo) == 2 and calls == ["a", "b", "c"]

    clf = Classifier()
    rules = clf._dutch.rules
    remembering, forgetting = RuleSentiment(rules), RuleSentiment(rules)
    forgetting._facts = Memo(forgetting._learn, limit=0)
    for text in texts:
        assert remembering.polarity(text) == forgetting.polarity(text), text
