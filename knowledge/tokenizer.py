"""Turn text, documents and questions alike, into the terms BM25 ranks on.

A question matches a passage only through shared terms, so both go through the very same
steps: ``normalize`` (full-width to half-width, lower case, traditional to simplified
Chinese), a jieba cut that knows this domain's key terms, then stopwords and punctuation
out. Long Chinese words also yield their dictionary sub-words, so "新型智慧城市" in a
passage still meets "智慧城市" in a question.
"""

from __future__ import annotations

import logging
import marshal
import tempfile
import unicodedata
from collections import ChainMap
from collections.abc import Iterable, Mapping
from pathlib import Path

import jieba
import jieba.posseg
from opencc import OpenCC

from knowledge.text import HAN

jieba.setLogLevel(logging.WARNING)

DATA_DIR = Path(__file__).parent
TERMS_FILE = DATA_DIR / "terms.txt"
STOPWORDS_FILE = DATA_DIR / "stopwords.txt"
# jieba's own cache format (a marshalled (FREQ, total) pair), named after the version
# whose dictionary it holds.
CACHE_NAME = f"jieba-{jieba.__version__}.cache"

# The converter is read-only once built, so one instance serves every thread.
_T2S = OpenCC("t2s")


def normalize(text: str) -> str:
    """Fold the spellings a user may type into the one the index holds.

    NFKC turns full-width letters and digits into ASCII (``２０２０`` -> ``2020``),
    then Latin is lower-cased and traditional Chinese becomes simplified.
    """
    return _T2S.convert(unicodedata.normalize("NFKC", text)).lower()


def read_word_list(path: Path) -> list[str]:
    """One word a line; blank lines and ``#`` comments ignored; normalized like text."""
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.append(normalize(word))
    return words


def _is_han(word: str) -> bool:
    return all(HAN.match(ch) for ch in word)


# jieba's base dictionary, read once per process and copied into every Tokenizer (a reload
# builds a new one): copying the dict takes a tenth of the time of reading it again.
_BASE_DICTIONARY: dict[Path, tuple[dict[str, int], int]] = {}


def _load_jieba(cache_dir: Path) -> jieba.Tokenizer:
    """A jieba tokenizer with its dictionary loaded, from the cache when there is one.

    jieba reads its own cache with ``marshal.load`` on a file object, which is about
    three times slower than ``marshal.loads`` on the bytes (0.45 s against 0.17 s for the
    default dictionary); startup time matters, so the cache is read here. Building the
    dictionary from ``dict.txt`` takes about as long as jieba's own cache read, and writes
    the cache for the next start.
    """
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(cache_dir)
    tokenizer.cache_file = CACHE_NAME
    base = _BASE_DICTIONARY.get(cache_dir)
    if base is None:
        cache = cache_dir / CACHE_NAME
        try:
            freq, total = marshal.loads(cache.read_bytes())
            if not (isinstance(freq, dict) and freq and isinstance(total, int)):
                raise ValueError("not a jieba dictionary cache")
        except (OSError, EOFError, ValueError, TypeError):
            # No usable cache: drop it so jieba does not read it either, then build and
            # write a fresh one.
            cache.unlink(missing_ok=True)
            tokenizer.initialize()
            freq, total = tokenizer.FREQ, tokenizer.total
        # Kept as it is: the tokenizer below gets a copy, so nothing else holds this one.
        base = _BASE_DICTIONARY[cache_dir] = (freq, total)
    tokenizer.FREQ, tokenizer.total = dict(base[0]), base[1]
    tokenizer.initialized = True
    return tokenizer


def _pos_tagger(
    tokenizer: jieba.Tokenizer, own_tags: Mapping[str, str]
) -> jieba.posseg.POSTokenizer:
    """A part-of-speech tagger over ``tokenizer`` that shares jieba's tag table.

    ``POSTokenizer()`` reads the whole dictionary file again for its tags (0.2 s and
    25 MB each time, and every reload makes a new tokenizer). ``jieba.posseg`` already
    read it on import for its default tagger; this tokenizer's own tags (its user words
    that are people, "nr") are looked up first, so the shared table is never written to
    and one copy serves every tagger.
    """
    tagger = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    tagger.tokenizer = tokenizer
    tagger.word_tag_tab = ChainMap(dict(own_tags), jieba.posseg.dt.word_tag_tab)
    return tagger


class Tokenizer:
    """A jieba tokenizer of its own, so each knowledge base carries its own user words.

    ``user_words`` (names, organisations found in the knowledge) are added on top of the
    curated domain terms in ``terms.txt``. ``subwords`` adds the dictionary words inside
    each long Chinese word; it must be the same for documents and questions.
    ``cache_dir`` holds jieba's prefix-dictionary cache (default: the system temp dir).
    """

    def __init__(
        self,
        user_words: Iterable[str] = (),
        *,
        names: Iterable[str] = (),
        subwords: bool = True,
        cache_dir: str | Path | None = None,
    ) -> None:
        self.subwords = subwords
        self.names = frozenset(names)  # the user words that are people (tagged "nr")
        self.stopwords = frozenset(read_word_list(STOPWORDS_FILE))
        self.jieba = _load_jieba(Path(cache_dir or tempfile.gettempdir()))
        self._tagger: jieba.posseg.POSTokenizer | None = None
        for word in [*read_word_list(TERMS_FILE), *user_words]:
            # jieba never joins across whitespace, so a spaced name is added part by part.
            for part in normalize(word).split():
                if len(part) > 1 and part not in self.stopwords:
                    self.jieba.add_word(part)

    def normalize(self, text: str) -> str:
        return normalize(text)

    def tag(self, text: str) -> list[tuple[str, str]]:
        """(word, part of speech) pairs; the tagger loads its tables once, on first use."""
        if self._tagger is None:
            self._tagger = _pos_tagger(self.jieba, dict.fromkeys(self.names, "nr"))
        return [(pair.word, pair.flag) for pair in self._tagger.lcut(normalize(text))]

    def tokenize(self, text: str) -> list[str]:
        terms: list[str] = []
        for word in self.jieba.cut(normalize(text)):
            word = word.strip()
            if not word or word in self.stopwords or not any(ch.isalnum() for ch in word):
                continue
            if self.subwords and len(word) > 2 and _is_han(word):
                terms.extend(self._subwords(word))
            terms.append(word)
        return terms

    def _subwords(self, word: str) -> list[str]:
        """Every dictionary word strictly inside ``word``, shortest first."""
        freq = self.jieba.FREQ
        found = []
        for size in range(2, len(word)):
            for start in range(len(word) - size + 1):
                part = word[start : start + size]
                if freq.get(part) and part not in self.stopwords:
                    found.append(part)
        return found
