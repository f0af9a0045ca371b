"""Split a repaired document into sentence-aware, attributed passages.

A passage is what gets ranked, quoted and cited, so it is a few whole sentences that belong
together, labelled with the part of the document they come from. Parts are found from the
text itself: markdown headings, or in a plain report the sentences that open a part (a
keynote introduced as ``<role><name>发表了题为《…》的主题演讲``, a host ``…主持大会论坛``, a
dialogue panel ``组织了“…”的对话研讨``, a result ``…在论坛揭晓``, an organisation ``…联盟是``,
a founding ``…在论坛正式成立``). A part runs until the next one starts, so every sentence of
a keynote is attributed to its speaker. Roles and names are told apart by the job title that
ends a role (主任, 副部长, 教授 ...); when an introduction gives only the role, the speaker's
name comes from a photo caption carrying the same role, or from how the speech text itself
refers to the speaker (王强主任提出).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jieba.posseg as posseg

from knowledge.model import Block, Document, Passage
from knowledge.repair import markdown_blocks
from knowledge.text import split_sentences

# Passage size, in characters: enough context to answer from, short enough to quote.
MIN_CHARS = 60
MAX_CHARS = 250
MAX_SENTENCES = 4

LEAD_SECTION = "导语"  # the part of a report before its first recognisable part
CAPTION_SECTION = "图片说明"
HEADING_SECTION = "标题"


def _data_words(path: Path) -> frozenset[str]:
    """The words of one of the package's data files: one a line, ``#`` starting a comment."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.split("#", 1)[0].strip() for line in lines) - {""}


# Job titles that end a role (a data file of the package), longest first so 副部长 wins over
# 部长.
TITLES_FILE = Path(__file__).with_name("titles.txt")
TITLES = sorted(_data_words(TITLES_FILE), key=lambda title: (-len(title), title))
_TITLE = "|".join(TITLES)
TITLE_RE = re.compile(_TITLE)
NAME_RE = re.compile(r"[\u4e00-\u9fff]{2,4}")
_HONORIFIC = re.compile(r"(先生|女士)$")
# Suffixes that end an organisation's name inside a role.
ORG_RE = re.compile(
    r"^(.*(?:大学|学院|研究院|研究所|研究中心|中心|实验室|委员会|分委会|委(?![员会])|联盟|协会|学会"
    r"|办公室|局|部|厅|报社|杂志社|公司|集团|政府|网))"
)


def names_a_body(word: str) -> bool:
    """Whether ``word`` is a body's name as a whole, ending in what ends one (人民网, 交通部)."""
    body = ORG_RE.match(word)
    return body is not None and body.group(1) == word


# A person mentioned in running text: a job title, then a name, then a word that shows the
# name has ended (a list separator, an honorific, or what the person did).
MENTION_RE = re.compile(
    rf"(?:{_TITLE})\s?([\u4e00-\u9fff]{{2,3}})"
    r"(?=$|[、，。；和]|先生|女士|教授|主任|主持|作为|发表|担任|一起|代表|分别|提出|强调|指出)"
)

SPEECH_RE = re.compile(
    r"(?P<intro>[^，。；！？]*?)(?:作|发表)了?(?:题为)?\s*《(?P<title>[^》]+)》的?"
    r"(?P<what>(?:主题|特邀|专题)?(?:演讲|报告|发言|致辞))"
)
# Words that order a report's events, not part of a speaker's role: 随后 清华大学…主任.
_SEQUENCE_WORD = re.compile(r"^(?:随后|接着|之后|然后|最后|首先|其后|会上|会议期间)[，,\s]*")
# The sentences that open a part of a report, and how the part is named from them.
CUES: list[tuple[str, re.Pattern[str], str]] = [
    ("host", re.compile(r"主持(?P<name>大会论坛|大会|论坛|会议|开幕式|闭幕式)"), "{name}"),
    (
        "panel",
        re.compile(r"“(?P<topic>[^”]+)”的?(?P<kind>对话研讨|圆桌对话|圆桌论坛|分论坛|专题研讨)"),
        "{kind}：{topic}",
    ),
    ("result", re.compile(r"(?P<name>[^，。；]+?)在(?:论坛|会上|大会上|现场)?揭晓"), "{name}"),
    (
        "organisation",
        re.compile(r"^(?P<name>[^，。；]{2,}?(?:联盟|协会|学会|研究会|委员会|基金会|分委会))是"),
        "{name}",
    ),
    (
        "founding",
        re.compile(r"(?P<name>[^，。；]{2,}?)在(?:论坛|会上|大会上|现场)?(?:正式)?成立"),
        "{name}成立",
    ),
    (
        "opening",
        re.compile(r"“(?P<name>[^”]+)”(?:活动|会议|论坛|大会)?在[^，。；]+?(?:举行|召开|开幕)"),
        "{name}",
    ),
]


def slug(name: str) -> str:
    return re.sub(r"\s+", "-", name.rsplit(".", 1)[0])


def split_role_name(text: str) -> tuple[str, str] | None:
    """``(role, name)`` when ``text`` is a role ending in a job title, optionally followed by
    a name: 原交通运输部副部长李华 -> (原交通运输部副部长, 李华). The name is
    empty when the text ends with the title. None when it is not a role."""
    titles = list(TITLE_RE.finditer(text))
    if not titles:
        return None
    last = titles[-1]
    rest = _HONORIFIC.sub("", text[last.end() :].strip())
    if rest and not NAME_RE.fullmatch(rest):
        return None
    return text[: last.end()].strip(), rest


def organisations(role: str) -> list[str]:
    """Organisations named in a role: 东方大学兼职教授、原交通运输部副部长 ->
    [东方大学, 交通运输部]."""
    found = []
    for part in re.split(r"[、，,]|兼(?!职)", role):
        part = part.strip().removeprefix("原")
        while (title := TITLE_RE.search(part)) and title.end() == len(part):
            part = part[: title.start()]
        if (match := ORG_RE.match(part)) and not _KIND_ONLY.match(match.group(1).strip()):
            found.append(match.group(1).strip())
    return found


# a body's kind said alone (分委会秘书长: the sub-committee the text is about): no name of one
_KIND_ONLY = re.compile(r"^(?:分委会|委员会|联盟|协会|学会|中心|大学|学院|研究院|办公室)$")


def employer(role: str) -> str | None:
    """The body a role is of, named or not as one (东达软咨询合伙人 → 东达软咨询, a company a
    suffix does not show): what is left of its last part once its titles are taken off."""
    part = re.split(r"[、，,]|兼(?!职)", role)[0].strip().removeprefix("原")
    if organisations(part):
        return None  # it names its body as one
    while (title := TITLE_RE.search(part)) and title.end() == len(part) and title.start() > 0:
        part = _TITLE_OPENING.sub("", part[: title.start()].strip())
    if part == role.strip() or not 2 <= len(part) <= EMPLOYER_MAX_CHARS or _KIND_ONLY.match(part):
        return None
    return part


EMPLOYER_MAX_CHARS = 8
# what opens a title before its last word (首席安全专家, 资深专家): not the body's name
_TITLE_OPENING = re.compile(r"(?:首席|资深|高级|特聘|原)[\u4e00-\u9fff]{0,2}$")


def _same_role(a: str, b: str) -> bool:
    return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


@dataclass
class _Section:
    name: str
    kind: str  # lead | heading | speech | host | panel | result | organisation | ...
    speaker: str | None = None
    role: str | None = None
    talk_title: str | None = None
    talk_kind: str = ""


@dataclass
class _Part:
    """A run of the document in reading order: a section's sentences, or a standalone block."""

    section: _Section | None
    kind: str  # body | caption | heading
    sentences: list[str]


def _cue(sentence: str) -> _Section | None:
    if speech := SPEECH_RE.search(sentence):
        intro = _SEQUENCE_WORD.sub("", speech.group("intro").strip())
        role_name = split_role_name(intro)
        role, name = role_name if role_name else (intro or None, "")
        return _Section(
            name="",  # named once the speaker is known
            kind="speech",
            speaker=name or None,
            role=role,
            talk_title=speech.group("title").strip(),
            talk_kind=speech.group("what"),
        )
    for kind, pattern, template in CUES:
        if match := pattern.search(sentence):
            return _Section(template.format(**match.groupdict()).strip(), kind)
    return None


def _read_parts(blocks: Sequence[Block]) -> tuple[list[_Part], list[_Section]]:
    parts: list[_Part] = []
    sections: list[_Section] = []
    current = _Section(LEAD_SECTION, "lead")
    for block in blocks:
        if block.kind == "caption":
            parts.append(_Part(None, "caption", [block.text]))
            continue
        if block.kind == "heading":
            if block.level:  # a markdown heading names the part that follows
                current = _Section(block.text, "heading")
            else:  # a heading set apart on a page (page header, title)
                parts.append(_Part(None, "heading", [block.text]))
            continue
        sentences = split_sentences(block.text, longest=2 * MAX_CHARS)
        start = 0
        opened = False
        for i, sentence in enumerate(sentences):
            section = _cue(sentence)
            if section is None:
                continue
            # The first part announced in a paragraph takes the whole paragraph (its lead-in
            # sentences introduce it); a second one starts at its own sentence.
            if opened:
                parts.append(_Part(current, "body", sentences[start:i]))
                start = i
            opened = True
            current = section
            sections.append(section)
        parts.append(_Part(current, "body", sentences[start:]))
    return parts, sections


def _name_speakers(sections: Iterable[_Section], parts: Sequence[_Part]) -> None:
    """Give every keynote its speaker's name, and its section a name."""
    captions = [split_role_name(p.sentences[0]) for p in parts if p.kind == "caption"]
    for section in sections:
        if section.kind != "speech":
            continue
        if not section.speaker and section.role:
            from_caption = [rn[1] for rn in captions if rn and _same_role(rn[0], section.role)]
            section.speaker = next(filter(None, from_caption), None) or _name_from_speech(
                section, parts
            )
        section.name = f"{section.speaker or ''}{section.talk_kind}《{section.talk_title}》"


def _name_from_speech(section: _Section, parts: Sequence[_Part]) -> str | None:
    """How a report refers to its speaker after the introduction: <name><title>提出."""
    titles = "|".join(re.escape(t.group()) for t in TITLE_RE.finditer(section.role or ""))
    if not titles:
        return None
    pattern = re.compile(
        rf"(?:^|[。，；！？\s])([\u4e00-\u9fff]{{2,3}}?)(?:{titles})(?:提出|强调|指出|认为|表示|介绍|说)"
    )
    text = "".join(s for p in parts if p.section is section for s in p.sentences)
    found = Counter(pattern.findall(text))
    return found.most_common(1)[0][0] if found else None


def _pack(sentences: Sequence[str]) -> list[str]:
    """Group consecutive sentences into passages of MIN..MAX characters, at most
    MAX_SENTENCES sentences; a sentence longer than MAX stays whole."""
    chunks: list[list[str]] = []
    for sentence in sentences:
        current = chunks[-1] if chunks else None
        size = sum(map(len, current)) if current else 0
        if current is not None and (
            size < MIN_CHARS or (size + len(sentence) <= MAX_CHARS and len(current) < MAX_SENTENCES)
        ):
            current.append(sentence)
        else:
            chunks.append([sentence])
    if len(chunks) > 1 and sum(map(len, chunks[-1])) < MIN_CHARS:
        tail = chunks.pop()
        chunks[-1].extend(tail)
    return ["".join(chunk) for chunk in chunks]


def split_passages(document: Document, content: str | Sequence[Block]) -> list[Passage]:
    """Passages of one document, in reading order, with stable ids ``<slug>:<ordinal>``.

    ``content`` is the repaired document: its blocks (which know captions and headings), or
    plain text with blank lines between paragraphs (``#`` lines are headings).
    """
    blocks = markdown_blocks(content) if isinstance(content, str) else list(content)
    parts, sections = _read_parts(blocks)
    _name_speakers(sections, parts)
    passages: list[Passage] = []
    for part in parts:
        section = part.section
        if section is None:  # a caption or a heading set apart on the page
            texts = part.sentences
            section_name = CAPTION_SECTION if part.kind == "caption" else HEADING_SECTION
        else:
            texts, section_name = _pack(part.sentences), section.name
        speech = section if section is not None and section.kind == "speech" else None
        for text in texts:
            passages.append(
                Passage(
                    id=f"{slug(document.name)}:{len(passages):04d}",
                    document=document.title,
                    source=document.name,
                    section=section_name,
                    text=text,
                    kind="speech" if speech else part.kind,
                    speaker=speech.speaker if speech else None,
                    speaker_role=speech.role if speech else None,
                    talk_title=speech.talk_title if speech else None,
                )
            )
    return passages


def knowledge_terms(passages: Iterable[Passage]) -> set[str]:
    """Names and organisations the documents mention, for the tokenizer's user words:
    speakers and their organisations, people and organisations in captions, and people
    named with a job title in running text. Terms may contain spaces (信息时代学院)."""
    passages = list(passages)
    terms = knowledge_names(passages)
    for passage in passages:
        if passage.speaker_role:
            terms.update(organisations(passage.speaker_role))
        if passage.kind == "caption" and (role_name := split_role_name(passage.text)):
            terms.update(organisations(role_name[0]))
    return {t for t in terms if len(t) >= 2}


def knowledge_names(passages: Iterable[Passage]) -> set[str]:
    """The people the documents name: speakers, people in captions, and people named with
    a job title in running text (周杰先生, 赵敏主持). jieba's tagger does not know most of
    them, and answers need to (a question about 赵敏 is about 赵敏)."""
    names: set[str] = set()
    for passage in passages:
        if passage.speaker:
            names.add(passage.speaker)
        role_name = split_role_name(passage.text) if passage.kind == "caption" else None
        if role_name and role_name[1]:
            names.add(role_name[1])
        names.update(name for name in MENTION_RE.findall(passage.text) if _may_be_name(name))
        # one whose words a text retells (甲强调…, 乙所强调的): a name the dictionary knows
        for said in _RETOLD_RE.finditer(passage.text):
            # the three characters before it, not inside a title (《李四光》认为)
            before = passage.text[max(said.start() - 4, 0) : said.start()]
            name = before[-3:]
            if _known_name(name) and not before[:-3].endswith("《"):
                names.add(name)
    return {n for n in names if len(n) >= 2}


# what someone said, after their name: 甲强调, 甲所强调的, 甲多次强调
_RETOLD_RE = re.compile(r"(?:所|多次|曾)?(?:强调|指出|提出|认为|表示)")


def _known_name(word: str) -> bool:
    """A word the dictionary tags a person's name (a famous one the text retells), of three
    characters and a common surname: jieba tags 华为, 高峰 and 白皮书 so too."""
    return len(word) == 3 and word[0] in SURNAMES and posseg.dt.word_tag_tab.get(word) == "nr"


SURNAMES = _data_words(Path(__file__).with_name("surnames.txt"))


def _may_be_name(word: str) -> bool:
    """A word the dictionary knows as something other than a person (强调, 多次) is not a name."""
    tag = posseg.dt.word_tag_tab.get(word)
    return tag is None or tag.startswith("nr")
