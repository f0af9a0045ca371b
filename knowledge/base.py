"""A loaded, searchable knowledge base: immutable once built, swapped whole on reload."""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.index import BM25Index
from knowledge.loader import list_sources, load_document
from knowledge.model import Document, Passage
from knowledge.passages import knowledge_terms, split_passages
from knowledge.repair import repair_text
from knowledge.tokenizer import Tokenizer


def indexed_text(passage: Passage) -> str:
    """What a passage is found by: its text plus who said it and where it stands, so that
    "宋刚讲了什么" finds every passage of his talk, not only those that repeat his name."""
    extras = [passage.speaker or "", passage.talk_title or "", passage.section]
    return "\n".join([passage.text, *filter(None, extras)])


@dataclass
class KnowledgeBase:
    documents: list[Document]
    passages: list[Passage]
    tokenizer: Tokenizer
    index: BM25Index
    passage_terms: list[frozenset[str]]
    version: str
    built_at: float = field(default_factory=time.time)
    warnings: list[str] = field(default_factory=list)
    document_frequency: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if not self.document_frequency:
            for terms in self.passage_terms:
                self.document_frequency.update(terms)
        self._position = {p.id: i for i, p in enumerate(self.passages)}
        self.speakers = frozenset(p.speaker for p in self.passages if p.speaker)

    def terms_of(self, passage: Passage) -> frozenset[str]:
        return self.passage_terms[self._position[passage.id]]

    def search(self, question: str, k: int = 5) -> list[tuple[Passage, float]]:
        return self.search_terms(self.tokenizer.tokenize(question), k)

    def search_terms(self, terms: Sequence[str], k: int = 5) -> list[tuple[Passage, float]]:
        return [(self.passages[i], s) for i, s in self.index.search(list(terms), k)]

    def term_weight(self, term: str) -> float:
        """How much finding this term says about relevance: a smoothed idf, always positive;
        a term the knowledge never uses gets the largest weight."""
        n = len(self.passages)
        df = self.document_frequency.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def knows(self, term: str) -> bool:
        return term in self.document_frequency


def build_knowledge_base(folder: str | Path) -> KnowledgeBase:
    """Load, repair, split and index every source; raises KnowledgeError naming the bad file."""
    folder = Path(folder)
    documents: list[Document] = []
    passages: list[Passage] = []
    warnings: list[str] = []
    for path in list_sources(folder):
        document = load_document(path)
        repaired = repair_text(document.text, markdown=document.format == "markdown")
        notes = (*document.notes, *repaired.notes)
        warnings.extend(f"{document.name}: {note}" for note in notes)
        found = split_passages(document, repaired.blocks)
        if not found:
            warnings.append(f"{document.name}: no passages")
        documents.append(document)
        passages.extend(found)
    if not passages:
        raise KnowledgeError("the knowledge folder yields no passages", str(folder))
    tokenizer = Tokenizer(sorted(knowledge_terms(passages)))
    token_lists = [tokenizer.tokenize(indexed_text(p)) for p in passages]
    index = BM25Index(token_lists)
    tokenizer.tag("")  # load the tagger's tables now, before gunicorn forks workers
    version = hashlib.sha256("".join(d.sha256 for d in documents).encode()).hexdigest()[:12]
    return KnowledgeBase(
        documents,
        passages,
        tokenizer,
        index,
        [frozenset(t) for t in token_lists],
        version,
        warnings=warnings,
    )
