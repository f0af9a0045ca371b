"""Split a repaired document into sentence-aware, attributed passages."""

from __future__ import annotations

import re

from knowledge.model import Document, Passage

_SENTENCE_END = re.compile(r"(?<=[。！？!?；])")


def slug(name: str) -> str:
    return re.sub(r"\s+", "-", name.rsplit(".", 1)[0])


def split_passages(document: Document, text: str) -> list[Passage]:
    # Naive first cut: join lines, one passage per sentence.
    joined = "".join(line.strip() for line in text.splitlines())
    sentences = [s for s in _SENTENCE_END.split(joined) if s.strip()]
    return [
        Passage(
            id=f"{slug(document.name)}:{i:04d}",
            document=document.title,
            source=document.name,
            section=document.title,
            text=s.strip(),
        )
        for i, s in enumerate(sentences)
    ]
