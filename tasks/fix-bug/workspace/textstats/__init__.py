"""Small word statistics for short texts."""

from textstats.wordcount import top_words, words

__all__ = ["top_words", "words"]
