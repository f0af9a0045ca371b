"""Turn Chinese text (documents and questions alike) into BM25 terms.

Documents and questions go through the same steps, so a question in traditional characters
or full-width letters meets the report's simplified, half-width text.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import jieba
import jieba.posseg
import opencc

jieba.setLogLevel(logging.WARNING)

DATA = Path(__file__).parent
_CONVERTER = opencc.OpenCC("t2s")


@cache
def stopwords() -> frozenset[str]:
    lines = (DATA / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@cache
def domain_terms() -> tuple[str, ...]:
    """Key terms of the domain that jieba's general dictionary would cut apart."""
    lines = (DATA / "terms.txt").read_text(encoding="utf-8").splitlines()
    return tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def normalize(text: str) -> str:
    """Full-width to half-width (NFKC), traditional to simplified, Latin in lower case."""
    return _CONVERTER.convert(unicodedata.normalize("NFKC", text)).lower()


class Tokenizer:
    """A jieba tokenizer of its own, so each knowledge base can carry its own user words."""

    def __init__(self, user_words: Iterable[str] = ()) -> None:
        self.jieba = jieba.Tokenizer()
        self._tagger: jieba.posseg.POSTokenizer | None = None
        for word in (*domain_terms(), *user_words):
            if word and " " not in word:  # jieba cannot hold a word with a space
                self.jieba.add_word(normalize(word))

    def normalize(self, text: str) -> str:
        return normalize(text)

    def tokenize(self, text: str) -> list[str]:
        """Words and, for long words, the dictionary words inside them (智慧城市 also gives
        智慧 and 城市), so a question need not use the report's exact compounds."""
        stop = stopwords()
        return [
            token
            for token in (w.strip() for w in self.jieba.cut_for_search(normalize(text)))
            if token and token not in stop and any(c.isalnum() for c in token)
        ]

    def tag(self, text: str) -> list[tuple[str, str]]:
        """(word, part of speech) pairs; the tagger loads its tables once, on first use."""
        if self._tagger is None:
            self._tagger = jieba.posseg.POSTokenizer(self.jieba)
        return [(pair.word, pair.flag) for pair in self._tagger.lcut(normalize(text))]
