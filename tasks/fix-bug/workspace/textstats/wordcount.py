"""Counting words in short texts."""

import re

WORD = re.compile(r"[a-z']+")


def words(text: str) -> list[str]:
    """The lower-cased words of ``text``, in order."""
    return WORD.findall(text.lower())


def top_words(text: str, n: int = 3) -> list[tuple[str, int]]:
    """The ``n`` most frequent words of ``text`` with their counts, most frequent first.

    Words with the same count keep the order in which they first appear.
    """
    counts: dict[str, int] = {}
    for word in words(text):
        counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    return ranked[: n - 1]
