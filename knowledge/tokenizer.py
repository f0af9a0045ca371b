"""Turn Chinese text (documents and questions alike) into BM25 terms."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable

import jieba
import jieba.posseg

jieba.setLogLevel(logging.WARNING)


class Tokenizer:
    """A jieba tokenizer of its own, so each knowledge base can carry its own user words."""

    def __init__(self, user_words: Iterable[str] = ()) -> None:
        self.jieba = jieba.Tokenizer()
        self._tagger: jieba.posseg.POSTokenizer | None = None
        for word in user_words:
            self.jieba.add_word(word)

    def tag(self, text: str) -> list[tuple[str, str]]:
        """(word, part of speech) pairs; the tagger loads its tables once, on first use."""
        if self._tagger is None:
            self._tagger = jieba.posseg.POSTokenizer(self.jieba)
        return [(pair.word, pair.flag) for pair in self._tagger.lcut(text)]

    def normalize(self, text: str) -> str:
        return unicodedata.normalize("NFKC", text)

    def tokenize(self, text: str) -> list[str]:
        return [t for t in (w.strip().lower() for w in self.jieba.lcut(text)) if t and t.isalnum()]
