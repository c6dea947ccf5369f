"""Named families of expressions ("cues") in Dutch and English; each match becomes a reason.

Intent and urgency weigh the same families differently, so the words live here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    """A family of expressions, e.g. legal threats; `langs` limits false friends ("brand")."""

    name: str
    pattern: re.Pattern[str]
    langs: frozenset[str] = frozenset({"nl", "en", "und"})

    def find(self, text_lower: str, lang: str) -> str | None:
        """The first matching expression in `text_lower`, or None."""
        if lang not in self.langs:
            return None
        match = self.pattern.search(text_lower)
        return match.group(0) if match else None


def cue(name: str, *expressions: str, langs: tuple[str, ...] = ("nl", "en", "und")) -> Cue:
    """Expressions are regex fragments matched as whole words; most are plain words."""
    body = "|".join(sorted(expressions, key=len, reverse=True))
    return Cue(name, re.compile(rf"(?<![\w])(?:{body})(?![\w])"), frozenset(langs))
