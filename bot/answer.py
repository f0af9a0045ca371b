"""The answer composer: ranked passages in, a short extractive reply with citations out."""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.base import KnowledgeBase
from knowledge.model import Passage

MAX_REPLY_BYTES = 2048
CITATION_MARKER = "出处"


@dataclass(frozen=True)
class Citation:
    n: int
    passage: Passage
    score: float

    def to_json(self) -> dict[str, object]:
        return {
            "n": self.n,
            "passage_id": self.passage.id,
            "document": self.passage.document,
            "section": self.passage.section,
            "speaker": self.passage.speaker,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    text: str
    citations: list[Citation] = field(default_factory=list)
    top_score: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answered": self.answered,
            "text": self.text,
            "citations": [c.to_json() for c in self.citations],
        }


NOT_FOUND = "抱歉，论坛报道里没有找到与这个问题相关的内容。可以试试：\n• 论坛在哪里举行？\n• 杨学山的演讲题目是什么？"


def compose_answer(kb: KnowledgeBase, question: str) -> Answer:
    hits = kb.search(question, k=3)
    if not hits:
        return Answer(question, False, NOT_FOUND)
    passage, score = hits[0]
    citations = [Citation(1, passage, score)]
    text = f"{passage.text}\n\n{CITATION_MARKER}：\n[1] {passage.citation()}"
    return Answer(question, True, text, citations, score)
