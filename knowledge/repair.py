"""Undo the damage PDF text extraction does to Chinese reports.

Two kinds of damage are repaired, in this order because the second needs the first:

1. Punctuation read through the wrong font table. Some PDF fonts map the GB2312 punctuation
   rows 0xA1/0xA3 onto the Hanzi rows 0xD2/0xD4, so ``、`` comes out as ``尧``, ``，`` as
   ``袁``, ``《…》`` as ``叶…曳``. The look-alike table is computed from that cause, not typed
   in. The same characters are ordinary Hanzi elsewhere (研究院, 叶子, a surname 袁), so each
   occurrence is judged in context: only runs of lines that hold no real punctuation at all
   are suspects, and inside them only glyphs that stand alone in the word segmentation, sit
   where the punctuation mark could sit, and (for brackets and quotes) pair up, count as
   damage. A run is repaired when at least two such glyphs agree, or when another run of
   the same document has already shown the shift.

2. Layout. Extraction breaks lines at the page's column edge (sometimes with a blank line
   after every line), lets photo captions and page headers fall into the middle of sentences, and
   leaves stray heading fragments. Lines are rejoined into paragraphs; a caption block that
   interrupts a sentence is recognised by its shape (the sentence is unfinished, the lines
   after it read like labels, and the text resumes on a line indented by a space whose first
   word completes the interrupted one) and set apart as caption blocks.

The result carries both plain text and the blocks with their kinds, so passage splitting can
tell a caption from running text.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import jieba

from knowledge.model import Block
from knowledge.text import HAN

# -- 1. punctuation read through the wrong font table -------------------------------------

# Damaged GB2312 row -> the punctuation row it stands for.
ROW_SHIFTS = {0xD2: 0xA1, 0xD4: 0xA3}
# The marks of Chinese punctuation usage (GB/T 15834). Other cells of the punctuation rows
# (math signs, full-width letters, ＃％＠...) practically never occur in prose, and their
# look-alikes include very common characters (原, 元, 一), so they are left alone.
CHINESE_PUNCTUATION = frozenset("、。·“”‘’《》〈〉「」『』〔〕〖〗【】（），：；！？—…")
# The dash and the ellipsis are always written doubled (——, ……); a single look-alike
# (要, 噎) is far more likely to be the word it is.
DOUBLED_MARKS = frozenset("—…")
PAUSE_MARKS = frozenset("、，：；")
SENTENCE_END_MARKS = frozenset("。！？!?…")
# Fewer agreeing glyphs than this in a run of lines is not, on its own, evidence of damage.
MIN_EVIDENCE = 2


def _opens(mark: str) -> bool:
    return len(mark) == 1 and unicodedata.category(mark) in ("Ps", "Pi")


def _shift_tables() -> tuple[dict[str, str], dict[str, str]]:
    """The look-alike table {glyph: mark} and the bracket/quote pairs {opener: closer}."""
    table: dict[str, str] = {}
    pairs: dict[str, str] = {}
    for damaged_row, punctuation_row in ROW_SHIFTS.items():
        previous = ""
        for cell in range(0xA1, 0xFF):
            try:
                glyph = bytes((damaged_row, cell)).decode("gb2312")
                mark = bytes((punctuation_row, cell)).decode("gb18030")
            except UnicodeDecodeError:
                previous = ""
                continue
            if mark in CHINESE_PUNCTUATION:
                table[glyph] = mark
                # GB2312 places each closing bracket or quote in the cell after its opener.
                if _opens(previous) and unicodedata.category(mark) in ("Pe", "Pf"):
                    pairs[previous] = mark
            previous = mark
    return table, pairs


SHIFTED, PAIRS = _shift_tables()
OPENERS = frozenset(PAIRS)
CLOSERS = frozenset(PAIRS.values())
# Line-breaking rules of Chinese typesetting: these never start a line ...
NO_LINE_START = CLOSERS | {"、", "。", "，", "：", "；", "！", "？", "·"}
# ... and these never end one.
NO_LINE_END = OPENERS


@dataclass(frozen=True)
class _Glyph:
    line: int
    start: int
    end: int  # exclusive; two characters for a doubled mark
    mark: str


@dataclass
class _GlyphReport:
    repaired: Counter[str] = field(default_factory=Counter)  # "尧→、" -> count
    kept_in_words: Counter[str] = field(default_factory=Counter)  # glyphs read as Hanzi
    blocks: int = 0


def _free_positions(text: str) -> set[int]:
    """Positions of characters that the word segmentation leaves standing alone."""
    free: set[int] = set()
    position = 0
    for token in jieba.lcut(text, HMM=False):
        if len(token) == 1:
            free.add(position)
        elif len(set(token)) == 1 and token[0] in SHIFTED:  # 要要, 噎噎
            free.update(range(position, position + len(token)))
        position += len(token)
    return free


def _suspect_glyphs(line_no: int, text: str) -> tuple[list[_Glyph], Counter[str]]:
    """Glyphs on one line that could be a shifted mark, and those read as part of a word."""
    free = _free_positions(text)
    first = len(text) - len(text.lstrip())
    last = len(text.rstrip()) - 1
    found: list[_Glyph] = []
    in_words: Counter[str] = Counter()
    i = 0
    while i < len(text):
        mark = SHIFTED.get(text[i])
        if mark is None:
            i += 1
            continue
        end = i + 1
        if mark in DOUBLED_MARKS:
            if text[i + 1 : i + 2] != text[i]:
                i += 1
                continue
            end = i + 2
        if not all(p in free for p in range(i, end)):
            in_words[text[i]] += 1
        elif not (
            (i == first and mark in NO_LINE_START) or (end - 1 == last and mark in NO_LINE_END)
        ):
            found.append(_Glyph(line_no, i, end, mark))
        i = end
    return found, in_words


def _agreeing(glyphs: list[_Glyph]) -> list[_Glyph]:
    """Drop brackets and quotes that do not pair up within the run."""
    open_stacks: dict[str, list[_Glyph]] = {closer: [] for closer in CLOSERS}
    kept: list[_Glyph] = []
    for glyph in glyphs:
        if glyph.mark in OPENERS:
            open_stacks[PAIRS[glyph.mark]].append(glyph)
        elif glyph.mark in CLOSERS:
            if open_stacks[glyph.mark]:
                kept.extend((open_stacks[glyph.mark].pop(), glyph))
        else:
            kept.append(glyph)
    return sorted(kept, key=lambda g: (g.line, g.start))


def _runs_without_punctuation(lines: Sequence[str]) -> Iterator[list[int]]:
    """Maximal runs of non-blank lines holding no real Chinese punctuation (blank lines
    do not interrupt a run). Real punctuation proves the font table was right there."""
    run: list[int] = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if CHINESE_PUNCTUATION.isdisjoint(line):
            run.append(i)
        elif run:
            yield run
            run = []
    if run:
        yield run


def _repair_glyphs(lines: list[str]) -> _GlyphReport:
    """Repair shifted punctuation in place, run by run.

    Evidence adds up over the document: once one run shows the shift beyond doubt, the
    document is known to have been set in the broken font, and a run with a single agreeing
    glyph (a one-line caption 教授尧原…副部长) is repaired too.
    """
    report = _GlyphReport()
    runs = []
    for run in _runs_without_punctuation(lines):
        suspects: list[_Glyph] = []
        in_words: Counter[str] = Counter()
        for i in run:
            found, kept = _suspect_glyphs(i, lines[i])
            suspects.extend(found)
            in_words.update(kept)
        runs.append((_agreeing(suspects), in_words))
    if not any(len(evidence) >= MIN_EVIDENCE for evidence, _ in runs):
        return report
    for evidence, in_words in runs:
        if not evidence:
            continue
        report.blocks += 1
        report.kept_in_words.update(in_words)
        for glyph in reversed(evidence):
            line = lines[glyph.line]
            damaged = line[glyph.start : glyph.end]
            replacement = glyph.mark * (glyph.end - glyph.start)
            lines[glyph.line] = line[: glyph.start] + replacement + line[glyph.end :]
            report.repaired[f"{damaged[0]}→{glyph.mark}"] += 1
    return report


# -- 2. layout -----------------------------------------------------------------------------

_CLOSING = "”’」』）》】〕〉〗\"')]"
_CJK_PUNCTUATION_CLASS = "".join(sorted(CHINESE_PUNCTUATION))
_SPACE_AROUND_PUNCTUATION = re.compile(rf"[ \t\u3000]*([{_CJK_PUNCTUATION_CLASS}])[ \t\u3000]*")
_STRAIGHT_QUOTED = re.compile(r'"([^"\n]*)"')
# A heading line is set apart from running text by being well short of the column; a
# wrapped line reaches close to it.
_HEADING_WIDTH = 0.6
_WRAPPED_WIDTH = 0.8
# Lines this many characters either side of a page break are enough to see a split word.
_JOIN_WINDOW = 4


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _is_han(char: str) -> bool:
    return bool(HAN.match(char))


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _is_finished(text: str) -> bool:
    """Does the line end a sentence (ignoring closing quotes and brackets)?"""
    stripped = text.rstrip().rstrip(_CLOSING)
    if not stripped:
        return False
    if stripped[-1] in SENTENCE_END_MARKS:
        return True
    return stripped[-1] == "." and len(stripped) > 1 and not stripped[-2].isdigit()


def _ends_open(text: str) -> bool:
    """Does the line end on a mark that announces more text (、，：《“ or a hyphen)?"""
    last = text.rstrip()[-1:]
    return bool(last) and (last in PAUSE_MARKS or last in OPENERS or last in ",;:-")


def _reads_like_caption(text: str) -> bool:
    """Captions and headings are labels: no clause or sentence punctuation inside."""
    return not any(c in "，。；！？" for c in text)


def _is_label_row(text: str) -> bool:
    """Several short Hanzi labels on one line, side by side: a row of photo captions."""
    parts = text.split(" ")
    return len(parts) > 1 and all(3 <= len(p) <= 12 and all(_is_han(c) for c in p) for p in parts)


def _forms_word_across(left: str, right: str) -> bool:
    """Does a word run across the join of two texts (服 + 务 -> 服务)?"""
    tail, head = left.rstrip()[-_JOIN_WINDOW:], right.lstrip()[:_JOIN_WINDOW]
    if not (tail and head and _is_han(tail[-1]) and _is_han(head[0])):
        return False
    position = 0
    for token in jieba.lcut(tail + head, HMM=False):
        if position < len(tail) < position + len(token):
            return True
        position += len(token)
    return False


def _hanzi(text: str) -> str:
    return "".join(HAN.findall(text))


@dataclass
class _LayoutReport:
    paragraph_lines: int = 0
    paragraphs: int = 0
    captions_lifted: int = 0
    interrupted_sentences: int = 0
    dehyphenated: int = 0
    debris: list[str] = field(default_factory=list)
    quotes: int = 0


class _Joiner:
    """Join wrapped lines the way the document itself writes mixed text."""

    def __init__(self, lines: Sequence[str], report: _LayoutReport) -> None:
        text = "\n".join(lines)
        spaced = len(re.findall(r"[\u4e00-\u9fff] [A-Za-z0-9]|[A-Za-z0-9] [\u4e00-\u9fff]", text))
        tight = len(re.findall(r"[\u4e00-\u9fff][A-Za-z0-9]|[A-Za-z0-9][\u4e00-\u9fff]", text))
        self.space_han_latin = spaced > tight
        self.report = report

    def join(self, lines: Sequence[str]) -> str:
        out = lines[0]
        for line in lines[1:]:
            left, right = out[-1:], line[:1]
            if left == "-" and out[-2:-1].isalpha() and out[-2:-1].isascii() and right.islower():
                out = out[:-1] + line  # Inno- / vation
                self.report.dehyphenated += 1
            elif (_is_latin(left) and _is_latin(right)) or (
                self.space_han_latin
                and ((_is_han(left) and _is_latin(right)) or (_is_latin(left) and _is_han(right)))
            ):
                out = f"{out} {line}"
            else:
                out += line
        return self.tidy(out)

    def tidy(self, text: str) -> str:
        """Straight quotes around Chinese text become Chinese quotes; no spaces hug
        Chinese punctuation (题为 《城域 -> 题为《城域); runs of spaces collapse."""
        if text.count('"') % 2 == 0:

            def curl(match: re.Match[str]) -> str:
                inner = match.group(1)
                if not HAN.search(inner):
                    return match.group(0)
                self.report.quotes += 1
                return f"“{inner.strip()}”"

            text = _STRAIGHT_QUOTED.sub(curl, text)
        text = _SPACE_AROUND_PUNCTUATION.sub(r"\1", text)
        return re.sub(r"[ \t\u3000]{2,}", " ", text).strip()


def _insertion_start(paragraph: list[str], resumed: str) -> int:
    """Where the caption lines that interrupted ``paragraph`` begin.

    Only trailing lines that read like captions can be inserted. Of the possible cuts the
    earliest one after which the last running-text line and the resumed line form a word
    (服 | 务) is taken; without such a word, all trailing caption-like lines are inserted.
    """
    first = len(paragraph)
    while first > 0 and _reads_like_caption(paragraph[first - 1]):
        first -= 1
    for cut in range(max(first, 1), len(paragraph)):
        if _forms_word_across(paragraph[cut - 1], resumed):
            return cut
    return first


def _caption_groups(lines: Sequence[str]) -> list[list[str]]:
    """One caption per line, except that a line ending on 、 or ， continues."""
    groups: list[list[str]] = []
    for line in lines:
        if groups and _ends_open(groups[-1][-1]):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def _layout_text(lines: Sequence[str], report: _LayoutReport) -> list[Block]:
    joiner = _Joiner(lines, report)
    texts = [line for line in lines if line.strip()]
    if not texts:
        return []
    widths = [_width(t.strip()) for t in texts]
    # Wrapped lines end at the column's edge, so the widest lines (a high percentile, not
    # the maximum, which one odd line could set) give the column width.
    column = statistics.quantiles(widths, n=10)[-1] if len(widths) > 1 else widths[0]
    before_blank = [
        line.strip()
        for i, line in enumerate(lines[:-1])
        if line.strip() and not lines[i + 1].strip()
    ]
    # Text extracted from a PDF may put a blank line after every wrapped line; then blank
    # lines say nothing about paragraphs (many lines before them run to the column's edge
    # and stop mid-sentence), and sentence ends must say where paragraphs end.
    wrapped = [
        line
        for line in before_blank
        if not _is_finished(line) and _width(line) >= _WRAPPED_WIDTH * column
    ]
    double_spaced = len(before_blank) > len(texts) / 2 and len(wrapped) >= len(before_blank) / 4

    blocks: list[Block] = []
    paragraph: list[str] = []
    glued: list[bool] = []  # per paragraph line: did it follow the line before without a gap?
    lifted: list[str] = []

    def set_apart(text: str, follows_heading: bool) -> None:
        if _is_label_row(text):
            blocks.append(Block("caption", text))
        elif follows_heading and blocks and blocks[-1].kind == "heading":
            # A title and its subtitle set on consecutive lines are one heading.
            title = blocks[-1].text
            gap = " " if _is_han(title[-1:]) and _is_han(text[:1]) else ""
            blocks[-1] = Block("heading", joiner.tidy(f"{title}{gap}{text}"))
        else:
            blocks.append(Block("heading", joiner.tidy(text)))

    def close() -> None:
        if len(paragraph) == 1 and not double_spaced and _reads_like_caption(paragraph[0]):
            # A lone line without sentence punctuation between blank lines is a heading.
            set_apart(paragraph[0], glued[0])
            paragraph.clear()
            glued.clear()
        if paragraph:
            blocks.append(Block("paragraph", joiner.join(paragraph)))
            report.paragraphs += 1
            report.paragraph_lines += len(paragraph)
            paragraph.clear()
            glued.clear()
        for group in _caption_groups(lifted):
            blocks.append(Block("caption", joiner.join(group)))
        lifted.clear()

    following = [""] * len(lines)  # the next non-blank line after each line
    upcoming = ""
    for i in range(len(lines) - 1, -1, -1):
        following[i] = upcoming
        upcoming = lines[i].strip() or upcoming

    previous_blank = True
    for raw, after in zip(lines, following, strict=True):
        if not raw.strip():
            previous_blank = True
            if not double_spaced:
                close()
            continue
        text, follows = raw.strip(), not previous_blank
        previous_blank = False
        if paragraph and raw[0].isspace():
            # Text resumes after something set into it on the page.
            cut = _insertion_start(paragraph, text)
            inserted, inserted_glued = paragraph[cut:], glued[cut:]
            del paragraph[cut:], glued[cut:]
            if paragraph and inserted:
                lifted.extend(inserted)
                report.captions_lifted += len(inserted)
                report.interrupted_sentences += 1
            else:
                for line, line_glued in zip(inserted, inserted_glued, strict=True):
                    set_apart(line, line_glued)
        if not paragraph and (
            _is_label_row(text)
            or (
                _width(text) < _HEADING_WIDTH * column
                and not _ends_open(text)
                and not _is_finished(text)
                # the first line of a narrow box of text goes on mid-word (激 | 发)
                and not _forms_word_across(text, after)
            )
        ):
            set_apart(text, follows)
            continue
        paragraph.append(text)
        glued.append(follows)
        if _is_finished(text):
            close()
    close()
    return _drop_debris(blocks, report)


def _drop_debris(blocks: list[Block], report: _LayoutReport) -> list[Block]:
    """Headings that hold no words, or only repeat words of the block before them (a
    banner fragment pulled out of the text it belongs to), are layout debris."""
    kept: list[Block] = []
    for block in blocks:
        if block.kind == "heading":
            words = _hanzi(block.text)
            previous = _hanzi(kept[-1].text) if kept else ""
            if not any(c.isalnum() for c in block.text) or (words and words in previous):
                report.debris.append(block.text)
                continue
        kept.append(block)
    return kept


_MD_HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_ITEM = re.compile(r"(?:[-*+]|\d+[.)])\s+")
_MD_INLINE = [
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links and inline images: their text
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*"), r"\1"),
    (re.compile(r"`([^`]*)`"), r"\1"),
]


def _plain_markdown(text: str) -> str:
    for pattern, replacement in _MD_INLINE:
        text = pattern.sub(replacement, text)
    return text


def markdown_blocks(text: str) -> list[Block]:
    """The blocks of clean text with blank lines between paragraphs and ``#`` headings."""
    return _layout_markdown(text.split("\n"), _LayoutReport())


def _layout_markdown(lines: Sequence[str], report: _LayoutReport) -> list[Block]:
    """Markdown already says where paragraphs, headings and images are."""
    joiner = _Joiner(lines, report)
    blocks: list[Block] = []
    paragraph: list[str] = []

    def close() -> None:
        if paragraph:
            blocks.append(Block("paragraph", joiner.join(paragraph)))
            report.paragraphs += 1
            paragraph.clear()

    for raw in lines:
        text = raw.strip()
        if not text or (set(text) <= set("-*_ ") and len(text) >= 3):  # blank or a rule
            close()
            continue
        if heading := _MD_HEADING.fullmatch(text):
            close()
            title = joiner.tidy(_plain_markdown(heading.group(2)))
            blocks.append(Block("heading", title, level=len(heading.group(1))))
            continue
        if image := _MD_IMAGE.fullmatch(text):
            close()
            if image.group(1).strip():
                blocks.append(Block("caption", joiner.tidy(image.group(1))))
            continue
        if item := _MD_ITEM.match(text):
            close()
            text = text[item.end() :]
        paragraph.append(_plain_markdown(text.lstrip("> ").strip()))
    close()
    return blocks


# -- the stage ------------------------------------------------------------------------------


@dataclass
class RepairResult:
    text: str  # the repaired document, blocks separated by blank lines
    notes: list[str] = field(default_factory=list)  # one line per kind of repair made
    blocks: list[Block] = field(default_factory=list)  # the same text with each block's kind


def repair_text(text: str, *, markdown: bool = False) -> RepairResult:
    """Repair shifted punctuation, then rebuild paragraphs, headings and captions."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    glyphs = _repair_glyphs(lines)
    layout = _LayoutReport()
    blocks = (_layout_markdown if markdown else _layout_text)(lines, layout)
    rendered = "\n\n".join(
        f"{'#' * b.level} {b.text}" if b.kind == "heading" and b.level else b.text for b in blocks
    )
    return RepairResult(rendered, _notes(glyphs, layout, blocks), blocks)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _notes(glyphs: _GlyphReport, layout: _LayoutReport, blocks: list[Block]) -> list[str]:
    notes: list[str] = []
    if glyphs.repaired:
        shifts = ", ".join(f"0x{a:X}→0x{b:X}" for a, b in ROW_SHIFTS.items())
        counts = ", ".join(f"{pair} ×{n}" for pair, n in glyphs.repaired.most_common())
        note = (
            f"restored {_count(glyphs.repaired.total(), 'punctuation mark')} garbled by a "
            f"GB2312 row shift ({shifts}) in {_count(glyphs.blocks, 'block')} without real "
            f"punctuation: {counts}"
        )
        if glyphs.kept_in_words:
            kept = ", ".join(f"{g} ×{n}" for g, n in glyphs.kept_in_words.most_common())
            note += f"; kept as Hanzi where they are part of a word: {kept}"
        notes.append(note)
    if layout.paragraph_lines > layout.paragraphs:
        kinds = Counter(block.kind for block in blocks)
        notes.append(
            f"rejoined {_count(layout.paragraph_lines, 'wrapped line')} into "
            f"{_count(layout.paragraphs, 'paragraph')}, with "
            f"{_count(kinds['heading'], 'heading')} and {_count(kinds['caption'], 'caption')} "
            "set apart"
        )
    if layout.interrupted_sentences:
        notes.append(
            f"lifted {_count(layout.captions_lifted, 'photo-caption line')} out of "
            f"{_count(layout.interrupted_sentences, 'sentence')} they had split, and rejoined "
            f"{'it' if layout.interrupted_sentences == 1 else 'them'}"
        )
    if layout.dehyphenated:
        notes.append(f"rejoined {_count(layout.dehyphenated, 'word')} hyphenated at a line end")
    if layout.quotes:
        notes.append(
            f"turned {_count(layout.quotes, 'pair')} of straight quotes into Chinese quotes"
        )
    if layout.debris:
        shown = "、".join(repr(d) for d in layout.debris)
        notes.append(f"dropped layout debris (headings repeating nearby text): {shown}")
    return notes
