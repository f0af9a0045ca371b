"""The knowledge folder's synonym file: the words users say for the words the documents use.

It is Solr's ``synonyms.txt`` format, so admins who know Solr or Elasticsearch know it:

* ``交通部, 交通运输部`` — words that mean the same: a question saying any of them
  finds passages saying any other;
* ``头儿, 老大 => 主任`` — the words on the left are read as the ones on the right (and not
  the other way round): a passage saying 主任 answers 头儿, a passage saying 头儿 is not
  found by 主任;
* ``#`` starts a comment; blank lines are ignored.

The file is part of the knowledge: its words join the tokenizer's dictionary (so 工信部 is
cut as one word), its hash is part of the build's version, and a line that cannot be read
refuses the reload with the file and line named, leaving the serving knowledge as it was.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.text import longest_first

FILE_NAME = "synonyms.txt"  # in the knowledge folder; never read as a document
MAX_WORD_CHARS = 30
# Each word of a line stands for every other: a line of n words costs n² links, so a
# careless line of thousands of words would take gigabytes. Lines and files are bounded.
MAX_WORDS_PER_LINE = 50
MAX_RULES = 20_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SEPARATOR = re.compile(r"\s*[,，]\s*")
_BAD_CHARS = re.compile(r"[=>\t]")


@dataclass(frozen=True)
class SynonymRule:
    """One line: each word of ``words`` may be read as any of ``means``."""

    words: tuple[str, ...]
    means: tuple[str, ...]
    line: int = 0
    explicit: bool = False  # written with =>

    def text(self) -> str:
        if self.explicit:
            return f"{', '.join(self.words)} => {', '.join(self.means)}"
        return ", ".join(self.words)


@dataclass(frozen=True)
class SynonymTable:
    rules: tuple[SynonymRule, ...] = ()
    sha256: str = ""
    _by_word: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for rule in self.rules:
            for word in rule.words:
                others = frozenset(m for m in rule.means if m != word)
                self._by_word[word] = self._by_word.get(word, frozenset()) | others

    def words(self) -> set[str]:
        """Every word the file names, for the tokenizer's dictionary."""
        return {w for rule in self.rules for w in (*rule.words, *rule.means)}

    def means(self, word: str) -> frozenset[str]:
        """What ``word`` may stand for in the documents (empty when the file does not name it)."""
        return self._by_word.get(word, frozenset())

    def __iter__(self) -> Iterator[str]:
        """The words that stand for something, longest first (a phrase before its parts)."""
        return iter(longest_first(self._by_word))


def _words(part: str, path: str, line: int) -> tuple[str, ...]:
    words = tuple(w for w in _SEPARATOR.split(part.strip()) if w)
    if len(words) > MAX_WORDS_PER_LINE:
        raise KnowledgeError(
            f"line {line}: {len(words)} words; at most {MAX_WORDS_PER_LINE} a line", path
        )
    for word in words:
        if _CONTROL.search(word):
            raise KnowledgeError(f"line {line}: {word!r} holds a control character", path)
        if _BAD_CHARS.search(word):
            raise KnowledgeError(f"line {line}: cannot read {word!r} (one => per line)", path)
        if len(word) > MAX_WORD_CHARS:
            raise KnowledgeError(f"line {line}: {word[:10]}… is longer than {MAX_WORD_CHARS}", path)
    return words


def parse_synonyms(text: str, path: str = FILE_NAME) -> list[SynonymRule]:
    """The rules of a synonym file; KnowledgeError naming the file and line of a bad one."""
    rules = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, _, right = line.partition("=>")
            words, means = _words(left, path, number), _words(right, path, number)
            if not words or not means:
                raise KnowledgeError(f"line {number}: => needs words on both sides", path)
            rules.append(SynonymRule(words, means, number, explicit=True))
        else:
            words = _words(line, path, number)
            if len(words) < 2:
                raise KnowledgeError(
                    f"line {number}: a line names two or more words separated by commas, "
                    "or uses =>",
                    path,
                )
            rules.append(SynonymRule(words, words, number))
        if len(rules) > MAX_RULES:
            raise KnowledgeError(f"line {number}: more than {MAX_RULES} rules", path)
    return rules


def normalized(rules: Iterable[SynonymRule], fold: Callable[[str], str]) -> list[SynonymRule]:
    """The rules with every word folded as the tokenizer folds text."""
    return [
        SynonymRule(
            tuple(fold(w) for w in r.words), tuple(fold(w) for w in r.means), r.line, r.explicit
        )
        for r in rules
    ]


def read_synonyms(folder: Path) -> tuple[str, str]:
    """The folder's synonym file and its hash (both "" when there is none); its lines are
    read by ``parse_synonyms``."""
    path = folder / FILE_NAME
    if not path.exists() and not path.is_symlink():
        return "", ""
    try:
        raw = path.read_bytes()  # checked as every document is, by the loader's listing
    except OSError as exc:
        raise KnowledgeError(f"cannot read file ({exc.strerror})", FILE_NAME) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"not UTF-8 (invalid byte at {exc.start})", FILE_NAME) from exc
    return text, hashlib.sha256(raw).hexdigest()


def append_rule(folder: Path, line: str) -> int:
    """Add one rule to the folder's synonym file, after checking it and the file as they
    would be read on reload; the line's number. KnowledgeError (the file untouched) for a
    line that cannot be read or a file that no longer can. Appends are serialised by a
    lock file, so two admins adding at once both land."""
    with open(folder / f".{FILE_NAME}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _append(folder, line)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _append(folder: Path, line: str) -> int:
    line = " ".join(line.split())
    path = folder / FILE_NAME
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise KnowledgeError("not a regular file; edit it by hand", FILE_NAME)
    old = path.read_text("utf-8-sig") if path.exists() else ""
    text = old + ("" if not old or old.endswith("\n") else "\n") + line + "\n"
    rules = parse_synonyms(text)  # the whole file: a bad line anywhere is named
    if not rules or rules[-1].line != text.count("\n"):
        raise KnowledgeError("the line holds no rule (only a comment?)", FILE_NAME)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{FILE_NAME}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rules[-1].line
