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


def complaint_topics(complaints: Sequence[Example], ignore: frozenset[str] = frozenset(), top: int = 5,
                     examples: int = 2, min_count: int = 2) -> tuple[Topic, ...]:
    """The words that most complaints share, each taking the complaints not yet covered.

    Greedy: the word found in most complaints is the first topic; its complaints are set
    aside and the next word is counted over the rest, so topics do not repeat each other.
    `complaints` come most urgent first; examples keep that order, preferring ones with a link.
    """
    if not complaints:
        return ()
    raw = [words_of(m.text, ignore) for m, _ in complaints]
    canon = _canonical(w for bag in raw for w in bag)
    bags = [{canon[w] for w in bag} for bag in raw]
    surface: dict[str, Counter] = defaultdict(Counter)  # the forms each folded word was written in
    for bag in raw:
        for w in bag:
            surface[canon[w]][w] += 1
    left = set(range(len(bags)))
    topics = []
    while left and len(topics) < top:
        df = Counter(w for i in left for w in bags[i])
        if not df:
            break
        term, n = min(df.items(), key=lambda kv: (-kv[1], kv[0]))
        if n < min_count:
            break
        members = [i for i in sorted(left) if term in bags[i]]
        left -= set(members)
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
