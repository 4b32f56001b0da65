"""Splitting product names into words (the suggestion vocabulary's unit)."""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+")
MIN_LEN, MAX_LEN = 2, 64


def word_list(text: str) -> list[str]:
    """The words of `text`, lower-cased, in order, each once."""
    words: list[str] = []
    for word in WORD.findall(text.lower()):
        if MIN_LEN <= len(word) <= MAX_LEN and word not in words:
            words.append(word)
    return words


def name_words(text: str) -> set[str]:
    return set(word_list(text))
