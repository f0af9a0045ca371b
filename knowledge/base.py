"""A loaded, searchable knowledge base: immutable once built, swapped whole on reload."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.index import BM25Index
from knowledge.loader import list_sources, load_document
from knowledge.model import Document, Passage
from knowledge.passages import knowledge_terms, split_passages
from knowledge.repair import repair_text
from knowledge.tokenizer import Tokenizer


@dataclass
class KnowledgeBase:
    documents: list[Document]
    passages: list[Passage]
    tokenizer: Tokenizer
    index: BM25Index
    version: str
    built_at: float = field(default_factory=time.time)
    warnings: list[str] = field(default_factory=list)

    def search(self, question: str, k: int = 5) -> list[tuple[Passage, float]]:
        return [
            (self.passages[i], s)
            for i, s in self.index.search(self.tokenizer.tokenize(question), k)
        ]


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
    index = BM25Index([tokenizer.tokenize(p.text) for p in passages])
    version = hashlib.sha256("".join(d.sha256 for d in documents).encode()).hexdigest()[:12]
    return KnowledgeBase(documents, passages, tokenizer, index, version, warnings=warnings)
