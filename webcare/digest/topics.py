"""Complaint topics: the words many complaints share, each with examples to read and open.

Pure: scored messages in, `Topic`s out. No model and no training: a complaint's words minus
stopwords, opinion words and the brand's name say what it is about ("water", "medaille",
"parkeren"); plural and inflected forms are folded onto a form that also occurs; and the
topics are picked greedily so that they do not overlap.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

from webcare.models import Message, Score

Example = tuple[Message, "Score | None"]


@dataclass(frozen=True)
class Topic:
    """Complaints that share a word, with a few examples to read and open."""

    term: str
    count: int
    share: float
    examples: tuple[Example, ...]

_URL = re.compile(r"https?://\S+|www\.\S+|[@#]\w+")
_WORD = re.compile(r"[^\W\d_]{3,}")


def words_of(text: str, ignore: frozenset[str]) -> set[str]:
    text = _URL.sub(" ", text.lower().replace("’", "'"))
    return {w for w in _WORD.findall(text) if w not in ignore}


def _canonical(vocabulary: Iterable[str]) -> dict[str, str]:
    """Fold simple plural and inflected forms onto a form that also occurs
    ("medailles" -> "medaille", "bordjes" -> "bordje", "signs" -> "sign")."""
    vocab = set(vocabulary)
    out = {}
    for w in vocab:
        base = w
        for suffix in ("s", "en", "es", "n"):
            stem = w[: -len(suffix)]
            if w.endswith(suffix) and len(stem) >= 3 and stem in vocab:
                base = stem
                break
        out[w] = base
    return out


def _document_frequencies(bags: Sequence[frozenset[str]], times: Counter) -> Counter:
    """In how many complaints each word occurs, of `times[k]` complaints with words `bags[k]`."""
    df: Counter = Counter()
    for k, n in times.items():
        for w in bags[k]:
            df[w] += n
    return df


def complaint_topics(complaints: Sequence[Example], ignore: frozenset[str] = frozenset(), top: int = 5,
                     examples: int = 2, min_count: int = 2) -> tuple[Topic, ...]:
    """The words that most complaints share, each taking the complaints not yet covered.

    Greedy: the word found in most complaints is the first topic; its complaints are set
    aside and the next word is counted over the rest, so topics do not repeat each other.
    `complaints` come most urgent first; examples keep that order, preferring ones with a link.
    """
    if not complaints:
        return ()
    distinct: dict[str, int] = {}  # each text's words are found once, however often it was sent
    of_text = [distinct.setdefault(m.text, len(distinct)) for m, _ in complaints]
    raw = [words_of(text, ignore) for text in distinct]
    canon = _canonical(w for bag in raw for w in bag)
    folded = [frozenset(canon[w] for w in bag) for bag in raw]
    bags = [folded[k] for k in of_text]
    sent = Counter(of_text)  # in the order texts first occur, as the forms below are counted
    surface: dict[str, Counter] = defaultdict(Counter)  # the forms each folded word was written in
    for k, times in sent.items():
        for w in raw[k]:
            surface[canon[w]][w] += times
    left = set(range(len(bags)))
    df = _document_frequencies(folded, sent)  # over `left`, kept up to date as topics take complaints
    topics = []
    while left and len(topics) < top:
        if not df:
            break
        term, n = min(df.items(), key=lambda kv: (-kv[1], kv[0]))
        if n < min_count:
            break
        members = [i for i in sorted(left) if term in bags[i]]
        left -= set(members)
        df.subtract(_document_frequencies(folded, Counter(of_text[i] for i in members)))
        df = +df  # words no complaint left has are dropped
        picked: list[Example] = []
        texts: set[str] = set()
        for i in sorted(members, key=lambda i: (complaints[i][0].url is None, i)):
            text = complaints[i][0].text.strip().lower()
            if text in texts:
                continue
            texts.add(text)
            picked.append(complaints[i])
            if len(picked) >= examples:
                break
        label = surface[term].most_common(1)[0][0] if surface[term] else term
        topics.append(Topic(label, n, n / len(complaints), tuple(picked)))
    return tuple(topics)
