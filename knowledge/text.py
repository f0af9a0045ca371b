"""Text helpers every part shares (the knowledge pipeline, the composer, the conversation,
WeChat's byte limit), kept at the bottom so that none of them imports another for them."""

from __future__ import annotations

import re
from collections.abc import Iterable

# One Hanzi: the unified ideographs with extension A and the compatibility block, so that a
# rare character counts as Chinese wherever the bot asks "is this Chinese?".
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_OPENING_MARKS = dict(zip("“‘《（「『【〔(", "”’》）」』】〕)", strict=True))
_CLOSING_MARKS = set(_OPENING_MARKS.values())
_SENTENCE_END = set("。！？!?")
# 第二, 第3: the Nth of something, as the conversation and the question reading find it.
ORDINAL = r"第[一二三四五六七八九十\d]+"
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}  # fmt: skip
_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHINESE_DIGITS = "零一二三四五六七八九"
CLAUSE = re.compile(r"[^，,、：:；]+[，,、：:；]?")
_SPACES = re.compile(r"\s+")


def numeral_value(text: str) -> int | None:
    """Digits, and numerals (五, 二十五, 一百零五, 两千, 三百五 as spoken: 350, 一万五,
    三亿五千万), as a number: the counts a claim or a sentence gives. None for what is no
    numeral (五五, 二〇一七 read digit by digit, 万 alone)."""
    if text.isdigit():
        return int(text)
    above = below = section = 0  # the 亿s, the 万s, and the rest
    digit: int | None = None
    unit = 0  # the last unit read, 0 before any
    for at, char in enumerate(text):
        if char in _DIGITS:
            if digit:  # 五五: two digits in a row, but 零 before one (一百零五)
                return None
            digit = _DIGITS[char]
        elif char in _UNITS:
            section += (1 if digit is None else digit) * _UNITS[char]
            digit, unit = None, _UNITS[char]
        elif char == "万" and at:
            below += (section + (digit or 0)) * 10_000
            section, digit, unit = 0, None, 10_000
        elif char == "亿" and at:
            above = (above + below + section + (digit or 0)) * 100_000_000
            below = section = 0
            digit, unit = None, 100_000_000
        else:
            return None
    if digit and unit >= 100 and text[-2] in "百千万亿":  # 三百五, 一万五: the unit below
        digit *= unit // 10
    return above + below + section + (digit or 0) if text else None


def chinese_numeral(n: int) -> str:
    """1 … 99 in Chinese numerals, as ordinals are written (11 → 十一, 20 → 二十)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CHINESE_DIGITS[tens] + "十")
    return head + (_CHINESE_DIGITS[ones] if ones or not tens else "")


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


def longest_first(words: Iterable[str]) -> list[str]:
    """Words longest first (a phrase before its parts), ties in a fixed order: from a set,
    ``sorted(key=len)`` keeps the set's order, which changes with each process's hash seed,
    and with it which of two overlapping words is found first."""
    return sorted(words, key=lambda w: (-len(w), w))


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
    if not out:  # nor a clause (a paragraph with no mark at all): characters
        out = text.encode("utf-8")[: limit - 3].decode("utf-8", "ignore")
    while len((out + "…").encode("utf-8")) > limit:
        out = out[:-1]
    return out + ("…" if out != text else "")
