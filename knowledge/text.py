"""Text helpers every part shares (the knowledge pipeline, the composer, the conversation,
WeChat's byte limit), kept at the bottom so that none of them imports another for them."""

from __future__ import annotations

import re

# One Hanzi: the unified ideographs with extension A and the compatibility block, so that a
# rare character counts as Chinese wherever the bot asks "is this Chinese?".
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_OPENING_MARKS = dict(zip("“‘《（「『【〔(", "”’》）」』】〕)", strict=True))
_CLOSING_MARKS = set(_OPENING_MARKS.values())
_SENTENCE_END = set("。！？!?")
# 第二, 第3: the Nth of something, as the conversation and the question reading find it.
ORDINAL = r"第[一二三四五六七八九十\d]+"
_CHINESE_NUMERALS = {ch: n for n, ch in enumerate("一二三四五六七八九十", 1)}
CLAUSE = re.compile(r"[^，,、：:；]+[，,、：:；]?")
_SPACES = re.compile(r"\s+")


def ordinal_number(numeral: str) -> int:
    """The number an ordinal's numeral says (二 → 2, 12 → 12); 0 when it is none of those."""
    return int(numeral) if numeral.isdigit() else _CHINESE_NUMERALS.get(numeral, 0)


def split_sentences(text: str, longest: int = 500) -> list[str]:
    """Whole sentences: split after 。！？ (and an English full stop before a space), never
    inside quotes or brackets, keeping closing quotes with their sentence. A "sentence"
    over ``longest`` characters means a quote that never closed: then quotes are ignored."""
    sentences = _split(text, respect_quotes=True)
    if any(len(s) > longest for s in sentences):  # unbalanced quotes swallowed text
        sentences = _split(text, respect_quotes=False)
    return sentences


def _split(text: str, *, respect_quotes: bool) -> list[str]:
    sentences: list[str] = []
    depth = 0
    start = 0
    ended = False  # a sentence-end mark was seen; the sentence ends when quotes close
    for i, char in enumerate(text):
        if respect_quotes and char in _OPENING_MARKS:
            depth += 1
        elif respect_quotes and char in _CLOSING_MARKS:
            depth = max(0, depth - 1)
        elif char in _SENTENCE_END or (
            char == "." and text[i + 1 : i + 2] == " " and text[i - 1 : i].isalpha()
        ):
            ended = True
            if depth == 0 and text[i + 1 : i + 2] not in _CLOSING_MARKS:
                sentences.append(text[start : i + 1])
                start, ended = i + 1, False
            continue
        if ended and depth == 0 and char in _CLOSING_MARKS:
            if text[i + 1 : i + 2] not in _CLOSING_MARKS:
                sentences.append(text[start : i + 1])
                start, ended = i + 1, False
        elif char not in _CLOSING_MARKS:
            ended = False
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def reply_sentences(text: str) -> list[str]:
    """The sentences of a reply or a quote, line breaks dropped (a reply's lines are not
    its sentences)."""
    return split_sentences(text.replace("\n", ""))


def squash(text: str) -> str:
    """``text`` without white space, for comparing texts whose spacing differs (PDF text has
    '2020 年' where a question set says '2020年')."""
    return _SPACES.sub("", text)


def fit_bytes(text: str, limit: int) -> str:
    """Cut at the last sentence boundary that fits; a single overlong sentence at a clause."""
    if len(text.encode("utf-8")) <= limit:
        return text
    out = ""
    for piece in reply_sentences(text) or [text]:
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
