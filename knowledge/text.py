"""Text helpers every part shares (the knowledge pipeline, the composer, the conversation,
WeChat's byte limit), kept at the bottom so that none of them imports another for them."""

from __future__ import annotations

import re

# One Hanzi: the unified ideographs with extension A and the compatibility block, so that a
# rare character counts as Chinese wherever the bot asks "is this Chinese?".
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A reply's sentences: cut after 。！？!? and ；, closing quotes kept with their sentence. The
# passages' splitter (knowledge.passages) also respects quotes; this one reads replies and
# quotes, where a cut inside a quotation is the wanted one.
_SENTENCE = re.compile(r"[^。！？!?；]+(?:[。！？!?；]+[”’」』）)]*|$)")
CLAUSE = re.compile(r"[^，,、：:；]+[，,、：:；]?")
_SPACES = re.compile(r"\s+")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text.replace("\n", "")) if s.strip()]


def squash(text: str) -> str:
    """``text`` without white space, for comparing texts whose spacing differs (PDF text has
    '2020 年' where a question set says '2020年')."""
    return _SPACES.sub("", text)


def fit_bytes(text: str, limit: int) -> str:
    """Cut at the last sentence boundary that fits; a single overlong sentence at a clause."""
    if len(text.encode("utf-8")) <= limit:
        return text
    out = ""
    for piece in split_sentences(text) or [text]:
        if len((out + piece).encode("utf-8")) > limit - 3:
            break
        out += piece
    if not out:  # no sentence fits: fall back to clauses, then characters
        for piece in CLAUSE.findall(text):
            if len((out + piece).encode("utf-8")) > limit - 3:
                break
            out += piece
    while len((out + "…").encode("utf-8")) > limit:
        out = out[:-1]
    return out + ("…" if out != text else "")
