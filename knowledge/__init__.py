"""The knowledge base: documents in, repaired, split into attributed passages, ranked by BM25.

Data flows one way: ``loader`` reads files, ``repair`` undoes PDF-extraction damage,
``passages`` splits and attributes, ``tokenizer`` turns text into terms, ``index``
ranks, and ``base.KnowledgeBase`` ties them together behind ``search()``.
"""

from knowledge.base import KnowledgeBase, build_knowledge_base
from knowledge.errors import KnowledgeError
from knowledge.model import Document, Passage

__all__ = ["Document", "KnowledgeBase", "KnowledgeError", "Passage", "build_knowledge_base"]
