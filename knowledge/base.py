"""A loaded, searchable knowledge base: immutable once built, swapped whole on reload."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import itertools
import math
import multiprocessing
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar, cast

from knowledge.cache import BuildCache, Built, cache_key
from knowledge.entities import aliases, find_roles
from knowledge.errors import KnowledgeError
from knowledge.index import BM25Index
from knowledge.loader import (
    DEFAULT_MAX_DOCUMENT_BYTES,
    hidden_sources,
    list_sources,
    load_document,
)
from knowledge.model import Document, Passage
from knowledge.passages import (
    employer,
    knowledge_names,
    knowledge_terms,
    organisations,
    split_passages,
)
from knowledge.persona import Persona, parse_persona, read_persona
from knowledge.repair import repair_text
from knowledge.synonyms import SynonymTable, normalized, parse_synonyms, read_synonyms
from knowledge.tokenizer import TERMS_FILE, Tokenizer, normalize, read_word_list

T = TypeVar("T")

PARALLEL_FROM = 5000  # passages from which a build tokenizes on every core
MAX_BUILD_PROCESSES = 8
TERMS_CACHE_SIZE = 20_000  # texts whose term sets are kept between questions


def indexed_text(passage: Passage) -> str:
    """What a passage is found by: its text plus who said it and where it stands, so that
    "王强讲了什么" finds every passage of his talk, not only those that repeat his name."""
    extras = [passage.speaker or "", passage.talk_title or "", passage.section]
    return "\n".join([passage.text, *filter(None, extras)])


# what a company's name may end in that the documents leave off when they name it alone
# (东达软咨询 → 东达软)
COMPANY_TAILS = frozenset({"咨询", "科技", "集团", "公司", "股份", "有限公司", "股份有限公司"})
# the part of a company a role may name, which is not the company's name (云途华北区)
REGION_TAILS = frozenset(
    {"华北区", "华南区", "华东区", "华中区", "西南区", "西北区", "东北区", "中国区", "分公司"}
)


@dataclass
class KnowledgeBase:
    documents: list[Document]
    passages: list[Passage]
    tokenizer: Tokenizer
    index: BM25Index
    version: str
    built_at: float = field(default_factory=time.time)
    warnings: list[str] = field(default_factory=list)
    roles: dict[str, list[str]] = field(default_factory=dict)  # person → roles, as written
    synonyms: SynonymTable = field(default_factory=SynonymTable)
    words: list[str] = field(default_factory=list)  # the tokenizer's words from the knowledge
    key: str = ""  # the build's key in the build cache (what the reload stamp names)
    persona: Persona = field(default_factory=Persona)  # the forum's words (persona.toml)

    def __post_init__(self) -> None:
        self.speakers = frozenset(p.speaker for p in self.passages if p.speaker)
        self.names = self.tokenizer.names | self.speakers  # the people the sources name
        self.aliases = aliases(self.roles, self.names)  # 张院长 → 张明
        # the parts of the documents in reading order (第二场对话 is the second 对话 here)
        self.sections = list(dict.fromkeys(p.section for p in self.passages))
        # what a misheard or mistyped name may be meant as: the knowledge's own words
        self.entity_words = frozenset(self.words) | frozenset(read_word_list(TERMS_FILE))
        # the organisations people are given, named as one (a who-question may be answered by
        # one)
        self.organisations = frozenset(
            org
            for role in itertools.chain(*self.roles.values())
            for org in organisations(role)
            if len(org) > 1
        )
        # every body people are of, however named (what 这家单位 may point back at), worked
        # out once: a conversation asks for the last person's with every message
        self._bodies_of = {person: self._find_bodies(person) for person in self.roles}
        self.bodies = frozenset(org for found in self._bodies_of.values() for org in found)
        # Counted once: the stats list every document, and a pass over 100k passages per
        # document would make that seconds.
        self._per_source = Counter(p.source for p in self.passages)
        self._position = {p.id: i for i, p in enumerate(self.passages)}
        # Each passage's place among those cited alike (the paragraphs of one talk, of one
        # section): an answer quoting two of them tells them apart by it.
        self._place: dict[str, int] = {}
        seen: Counter[str] = Counter()
        # each speaker's first passage of their talk, in reading order: the talks as a set
        talks: dict[str, Passage] = {}
        # each part's first passage that names its title (对话研讨：<title>): the parts of
        # one kind as a set
        self.opening: dict[str, Passage] = {}
        for passage in self.passages:
            label = passage.citation()
            seen[label] += 1
            self._place[passage.id] = seen[label]
            if passage.speaker and passage.talk_title:
                talks.setdefault(passage.speaker, passage)
            title = passage.section.partition("：")[2]
            if title and re.sub(r"\s+", "", title) in re.sub(r"\s+", "", passage.text):
                self.opening.setdefault(passage.section, passage)
        self.talks = list(talks.values())
        # parts named "<kind>：<title>", by kind, when a kind has several (两场对话研讨)
        kinds: dict[str, list[str]] = {}
        for section in self.sections:
            kind, colon, title = section.partition("：")
            if colon and title:
                kinds.setdefault(kind, []).append(section)
        self.parts = {
            kind: sections
            for kind, sections in kinds.items()
            if len(sections) > 1 and all(s in self.opening for s in sections)
        }
        # Terms of the passages answers are composed from, tokenized on demand: holding
        # every passage's term set would cost more memory than the index at 100k passages.
        self._terms: dict[str, frozenset[str]] = {}
        self._derived: dict[str, Any] = {}

    def bodies_of(self, person: str) -> list[str]:
        """The bodies ``person``'s roles name, most said first: a body not named as one goes
        by the name the documents use for it alone (东达软 of 东达软咨询合伙人)."""
        return self._bodies_of.get(person, [])

    def _find_bodies(self, person: str) -> list[str]:
        found = []
        for role in self.roles.get(person, ()):
            found += organisations(role)
            if company := employer(role):
                found.append(
                    next(
                        (
                            company[:n]
                            for n in range(len(company) - 1, 1, -1)
                            if company[n:] in REGION_TAILS
                            or (company[n:] in COMPANY_TAILS and self.knows(company[:n]))
                        ),
                        company,
                    )
                )
        return list(dict.fromkeys(org for org in found if len(org) > 1))

    def derived(self, name: str, build: Callable[[], T]) -> T:
        """A view the layers above derive from this base (the talks' openings), built on
        first use and kept with the base: dropped with it on a reload, never rebuilt per
        question."""
        if name not in self._derived:
            self._derived[name] = build()
        return cast(T, self._derived[name])

    def passage(self, passage_id: str) -> Passage | None:
        at = self._position.get(passage_id)
        return None if at is None else self.passages[at]

    def following(self, passage: Passage, count: int) -> list[Passage]:
        """Up to ``count`` passages after ``passage`` in the same document and part."""
        at = self._position.get(passage.id)
        if at is None:
            return []
        after = self.passages[at + 1 : at + 1 + count]
        return [p for p in after if p.source == passage.source and p.section == passage.section]

    def place(self, passage: Passage) -> int:
        """1 for the first paragraph of its talk or section, 2 for the next, …"""
        return self._place.get(passage.id, 1)

    def terms_of(self, passage: Passage) -> frozenset[str]:
        return self.terms_in(indexed_text(passage))

    def terms_in(self, text: str) -> frozenset[str]:
        """The terms of a passage, sentence or clause, remembered: answers quote the same
        few hundred sentences over and over, and tokenizing them is most of an answer's
        cost. Bounded, and dropped with the base on a reload."""
        terms = self._terms.get(text)
        if terms is None:
            terms = frozenset(self.tokenizer.tokenize(text))
            if len(self._terms) >= TERMS_CACHE_SIZE:
                self._terms.clear()
            self._terms[text] = terms
        return terms

    def passage_count(self, document: Document) -> int:
        return self._per_source[document.name]

    def search(self, question: str, k: int = 5) -> list[tuple[Passage, float]]:
        return self.search_terms(self.tokenizer.tokenize(question), k)

    def search_terms(self, terms: Sequence[str], k: int = 5) -> list[tuple[Passage, float]]:
        return [(self.passages[i], s) for i, s in self.index.search(list(terms), k)]

    def term_weight(self, term: str) -> float:
        """How much finding this term says about relevance: a smoothed idf, always positive;
        a term the knowledge never uses gets the largest weight."""
        n = len(self.passages)
        df = self.index.document_frequency(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def people_in(self, text: str) -> frozenset[str]:
        """The people the sources name that ``text`` names (a name is one term)."""
        return self.names & self.terms_in(text)

    def knows(self, term: str) -> bool:
        return term in self.index

    def person_called(self, phrase: str) -> str | None:
        """The one person a role phrase means (某公司CEO → who is 某公司 CEO): each of its
        words in one of their roles, and nobody else's. None for a phrase naming no one or
        many."""
        words = {t for t in self.terms_in(phrase) if len(t) > 1 or t.isascii()}
        if not words:
            return None
        index = self.derived("role words", self._role_words)
        roles = set.intersection(*(index.get(w, set()) for w in words))
        called = {name for name, _ in roles}
        return next(iter(called)) if len(called) == 1 else None

    def _role_words(self) -> dict[str, set[tuple[str, int]]]:
        """Each word of a role → the (person, role) pairs whose role has it: a role phrase is
        looked up by its words, not by reading every role per follow-up."""
        index: dict[str, set[tuple[str, int]]] = {}
        for name, roles in self.roles.items():
            for n, role in enumerate(roles):
                for term in self.tokenizer.tokenize(role):
                    index.setdefault(term, set()).add((name, n))
        return index


@dataclass(frozen=True)
class Sources:
    """A knowledge folder as read and checked: what a build is made from, and its key."""

    documents: list[Document]
    synonyms_text: str
    synonyms_sha256: str
    key: str  # of the build, in the build cache
    version: str  # what /healthz and the stamp call it: the sources' hashes
    notes: list[str] = field(default_factory=list)  # about the folder: files it skipped
    persona_text: str = ""
    persona_sha256: str = ""


def read_sources(
    folder: str | Path, max_document_bytes: int | None = DEFAULT_MAX_DOCUMENT_BYTES
) -> Sources:
    """Read and check every file of the folder, without building: fast, so a reload can be
    refused (KeyError naming the file) before any build starts."""
    folder = Path(folder)
    documents = [load_document(path) for path in list_sources(folder, max_document_bytes)]
    text, sha = read_synonyms(folder)
    normalized(parse_synonyms(text), normalize)  # a bad line is refused now, by number
    persona, persona_sha = read_persona(folder)
    parse_persona(persona)  # refused now too, naming the field
    version = _version(documents, sha, persona_sha)
    key = cache_key(documents, sha, persona_sha)
    notes = [f"{name}: skipped, a hidden file" for name in hidden_sources(folder)]
    return Sources(documents, text, sha, key, version, notes, persona, persona_sha)


def _version(documents: Sequence[Document], synonyms_sha: str, persona_sha: str) -> str:
    hashes = "".join(d.sha256 for d in documents) + synonyms_sha + persona_sha
    return hashlib.sha256(hashes.encode()).hexdigest()[:12]


def build_knowledge_base(
    folder: str | Path,
    cache_dir: str | Path | None = None,
    max_document_bytes: int | None = DEFAULT_MAX_DOCUMENT_BYTES,
) -> KnowledgeBase:
    """Load, repair, split and index every source; raises KnowledgeError naming the bad file.

    With ``cache_dir``, a build of the same sources by the same pipeline is read from disk.
    The files are read and hashed either way: that is what finds a broken or changed file.
    """
    return build_sources(read_sources(folder, max_document_bytes), cache_dir, str(folder))


def build_sources(
    sources: Sources, cache_dir: str | Path | None = None, where: str = ""
) -> KnowledgeBase:
    """The knowledge base of ``sources``, from the build cache when it holds them."""
    cache = BuildCache(cache_dir) if cache_dir is not None else None
    built = cache.load(sources.key) if cache else None
    if built is None:
        table = _synonym_table(sources.synonyms_text, sources.synonyms_sha256)
        built = build(sources.documents, table.words())
        if not built.passages:
            raise KnowledgeError("the knowledge folder yields no passages", where or None)
        built = replace(
            built,
            documents=[replace(d, text="") for d in sources.documents],
            synonyms_text=sources.synonyms_text,
            synonyms_sha256=sources.synonyms_sha256,
            persona_text=sources.persona_text,
            persona_sha256=sources.persona_sha256,
        )
        if cache:
            cache.save(sources.key, built)
    kb = _assemble(built, sources.key)
    kb.warnings = [*kb.warnings, *sources.notes]  # of the folder now, not of the cached build
    return kb


def open_build(cache_dir: str | Path, key: str) -> KnowledgeBase | None:
    """The knowledge base a reload built, by its key, without reading the folder: how every
    other worker and a restarted one serve exactly what was reloaded. None when the cache
    does not hold it (another machine's build, or pruned)."""
    built = BuildCache(cache_dir).load(key)
    return _assemble(built, key) if built is not None else None


def _synonym_table(text: str, sha: str) -> SynonymTable:
    return SynonymTable(tuple(normalized(parse_synonyms(text), normalize)), sha)


def _assemble(built: Built, key: str) -> KnowledgeBase:
    sha = built.synonyms_sha256
    tokenizer = Tokenizer(built.words, names=built.names)
    tokenizer.tag("")  # load the tagger's tables now, before gunicorn forks workers
    return KnowledgeBase(
        built.documents,
        built.passages,
        tokenizer,
        built.index,
        _version(built.documents, sha, built.persona_sha256),
        warnings=built.warnings,
        roles=built.roles,
        synonyms=_synonym_table(built.synonyms_text, sha),
        words=built.words,
        key=key,
        persona=parse_persona(built.persona_text),
    )


def split_document(document: Document) -> tuple[list[Passage], list[str]]:
    """A document's passages, and the notes on it: loading warnings and the repairs made."""
    repaired = repair_text(document.text, markdown=document.format == "markdown")
    return split_passages(document, repaired.blocks), [*document.notes, *repaired.notes]


def build(documents: Sequence[Document], extra_words: Iterable[str] = ()) -> Built:
    """Repair, split, attribute and index: everything that depends only on the documents
    (and ``extra_words``, the synonym file's, which the tokenizer must cut whole)."""
    passages: list[Passage] = []
    warnings: list[str] = []
    for document in documents:
        found, notes = split_document(document)
        warnings.extend(f"{document.name}: {note}" for note in notes)
        if not found:
            warnings.append(f"{document.name}: no passages")
        passages.extend(found)
    names = sorted(knowledge_names(passages))
    words = sorted(knowledge_terms(passages) | set(extra_words))
    tokenizer = Tokenizer(words, names=names)
    index = BM25Index(tokenize_all(tokenizer, [indexed_text(p) for p in passages]))
    return Built(passages, words, names, index, warnings, find_roles(passages, names))


_POOL_TOKENIZER: Tokenizer | None = None  # what forked tokenizing processes inherit
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


def die_with_parent() -> None:
    """In a build's helper process: end when the process that started it ends, however it
    ends (a worker killed at gunicorn's timeout left helpers of 400 MB running for ever)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown is all there is
        return
    if os.getppid() == 1:  # the parent died before the line above took effect
        os._exit(1)


def _tokenize_chunk(texts: list[str]) -> list[list[str]]:
    assert _POOL_TOKENIZER is not None
    return [_POOL_TOKENIZER.tokenize(text) for text in texts]


def tokenize_all(tokenizer: Tokenizer, texts: list[str]) -> list[list[str]]:
    """Tokenize on every core when there is enough text to be worth the processes.

    jieba is pure Python, so threads would not help; forked processes inherit the
    tokenizer, dictionary and all, instead of building it again. Tokenizing is four fifths
    of a large build (100,000 passages: 32 s on one core, 20 s on two).
    """
    global _POOL_TOKENIZER
    workers = min(os.cpu_count() or 1, MAX_BUILD_PROCESSES)
    if len(texts) < PARALLEL_FROM or workers < 2:
        return [tokenizer.tokenize(text) for text in texts]
    size = -(-len(texts) // (workers * 4))
    chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
    _POOL_TOKENIZER = tokenizer
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=die_with_parent) as pool:
            return [tokens for chunk in pool.map(_tokenize_chunk, chunks) for tokens in chunk]
    finally:
        _POOL_TOKENIZER = None
