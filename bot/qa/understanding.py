"""How a question typed on a phone or spoken to WeChat is read before anything is looked up.

One pass, in this order, each step driven by a table (``bot.qa.lexicon``) or by what the
knowledge itself names (its people, their aliases, its synonym file):

1. spoken forms read as written ones (叫啥 → 叫什么), then filler dropped (请问一下, 呀);
2. a yes/no question noticed (赵敏是晨光网的吗) and put as a statement, so the words that
   only ask (是不是, 吗) do not count against it;
3. aliases replaced by the name they stand for (张院长 → 张明), from the people's roles;
4. a name jieba glued to the word after it cut off again (李桦是 → 李桦 是), and a name typed
   with a pinyin input method (李桦) matched to the one known name that sounds the same,
   and said so in the reply;
5. jieba's cuts that hide the knowledge's words cut again (先抓, 几个|人为);
6. synonyms gathered: the knowledge's own file, the bot's general list, short forms of the
   passages' names, and, for a word the knowledge never uses, 词林's true synonyms (found
   there, they count for less); then two characters jieba guessed into a word split.

Everything the pass did is kept in the result, so the hit test can show an admin why a
question was read as it was.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache, partial

# Names are read a character at a time, so pypinyin's phrase dictionary (57 MiB and 0.3 s a
# process) is never needed: its documented switches leave it unloaded.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "true")
from pypinyin import Style, lazy_pinyin, pinyin

from bot.qa import lexicon
from knowledge.base import KnowledgeBase
from knowledge.passages import TITLE_RE
from knowledge.text import HAN as _HAN
from knowledge.text import ORDINAL, chinese_numeral, longest_first, numeral_value

# A yes/no question: a closing 吗, or an A-not-A form; the second group is what it becomes.
_YES_NO_END = re.compile(
    r"(?:(?:吗|嘛|不|没|(?<![什怎这那多要])么|是吧|对吧|对不对|是不是)[\s?？!！。.]*)+$"
)
_GUESS_END = re.compile(r"吧[\s?？!！。.]*$")
_CLAIMED = re.compile(r"是")  # 他们是同学吧; 讲讲他的演讲吧, 有七个人分享吧 claim nothing to judge
# 你知道论坛在哪里举行吗: a question inside a yes/no frame asks its own question
_ASKS_WHAT = re.compile(r"哪|什么|谁|几|多少|怎么|为什么|为何|何时|何地|啥")
_A_NOT_A = (("是不是", "是"), ("是否", "是"), ("有没有", "有"), ("有无", "有"), ("会不会", "会"))
# Sounds a pinyin input method or a listener mixes up, folded together.
_FOLDS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ing", "in"), ("eng", "en"), ("ang", "an"))
# Filler of one character only counts as filler at the end of a clause (哈 in 哈尔滨 does not).
_CLAUSE_END = re.compile(r"(?=[\s,，。.?？!！~～]|$)")
TYPO_MIN_CHARS = 2


@dataclass(frozen=True)
class Understanding:
    """A question as read, and what reading it took."""

    raw: str
    text: str  # what is looked up
    yes_no: bool = False
    dropped: tuple[str, ...] = ()  # filler removed
    aliases: tuple[tuple[str, str], ...] = ()  # (as typed, the name it means)
    corrections: tuple[tuple[str, str], ...] = ()  # (as typed, the known name it sounds like)
    recut: tuple[tuple[str, str], ...] = ()  # (jieba's word, the cut that reads the knowledge)
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (user's word, report's words)
    weak_synonyms: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())  # from 词林

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "yes_no": self.yes_no,
            "dropped": list(self.dropped),
            "aliases": [list(pair) for pair in self.aliases],
            "corrections": [list(pair) for pair in self.corrections],
            "recut": [list(pair) for pair in self.recut],
            "synonyms": {w: list(m) for w, m in self.synonyms},
            "weak_synonyms": {w: list(m) for w, m in self.weak_synonyms},
        }


# 二点零: speech recognition writes a decimal out in words; reports write 2.0
# (not 这一点, 一点一点, 两点三十分: a point made, little by little, a time of day)
_SPOKEN_DECIMAL = re.compile(
    r"(?<![这那第一])([零〇一二两三四五六七八九十百]+)点([零〇一二三四五六七八九]+)(?![点十百分钟半刻])"
)
_DIGIT = {ch: str(i) for i, ch in enumerate("零一二三四五六七八九")} | {"〇": "0", "两": "2"}


def _decimal(match: re.Match[str]) -> str:
    whole = numeral_value(match.group(1))
    if whole is None:
        return match.group()
    return f"{whole}.{''.join(_DIGIT[ch] for ch in match.group(2))}"


# 第12届: reports write ordinals in Chinese numerals (第十二届)
_ORDINAL_DIGITS = re.compile(r"第(\d{1,2})(届|次|期|场|个|位)")


_COMPARISON = lexicon.cue_pattern("comparison")


def _rewrite_colloquial(text: str) -> str:
    for rule in lexicon.colloquial():
        for word in rule.words:
            text = text.replace(word, rule.means[0])
    return text


@lru_cache(maxsize=1)
def _separable() -> tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...]:
    """A verb and its object said apart, as people do (颁完奖, 的奖是谁颁的): the report
    writes them as one word (颁奖), which is what the search can find."""
    rules = []
    for word in lexicon.cues("separable"):
        verb, obj = re.escape(word[0]), re.escape(word[1:])
        rules.append(
            (
                word,
                re.compile(rf"{verb}(?:了|的|过|完|完了)?([^，。？?！!的]{{0,8}}的)?{obj}"),
                # the object fronted (50强的奖是谁颁的), kept: it may end a name (人物奖)
                re.compile(rf"(?<={obj})是谁(?:给|来)?{verb}的"),
            )
        )
    return tuple(rules)


def _joined_separable(text: str, kb: KnowledgeBase) -> str:
    """Only a verb standing as a word of its own is joined: 发表的言论 has 发表, not 发…言."""
    words = kb.tokenizer.jieba.FREQ

    def joined(match: re.Match[str], word: str) -> str:
        at = match.start()
        if match.string[at : at + 2] in words and match.group()[1:2] not in "了的过完":
            return match.group()
        return f"{match.group(1) or ''}{word}"

    for word, apart, fronted in _separable():
        text = apart.sub(partial(joined, word=word), text)
        text = fronted.sub(f"是谁{word}的", text)
    return text


@lru_cache(maxsize=1)
def _filler_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    # a filler followed by 了 or 过 is the end of a word and a verb (演讲|讲了: not 讲讲)
    return tuple(
        (
            phrase,
            re.compile(
                re.escape(phrase) + (_CLAUSE_END.pattern if len(phrase) == 1 else "(?![了过])")
            ),
        )
        for phrase in lexicon.filler()
    )


def _drop_filler(text: str) -> tuple[str, list[str]]:
    dropped = []
    for phrase, pattern in _filler_patterns():
        text, n = pattern.subn("", text)
        if n:
            dropped.append(phrase)
    for pattern in (_OPENING_SOUND, _OPENING_DOCUMENT):
        dropped += [m.group() for m in pattern.finditer(text)]
        text = pattern.sub("", text)
    return text.strip(), dropped


# 嗯颁奖嘉宾是谁: a sound opening a clause (a one-character filler elsewhere only ends one)
_OPENING_SOUND = re.compile(
    rf"(?:^|(?<=[\s,，。.?？!！]))(?:{lexicon.cue_pattern('interjections').pattern})+"
)


# 报告把创新比作什么: the document as a clause's subject (a talk, 他的报告, never opens one)
_OPENING_DOCUMENT = re.compile(
    rf"(?:^|(?<=[\s,，。.?？!！]))(?:{lexicon.cue_pattern('documents').pattern})"
    # 报告里说, 报道认为: where in it and its saying go with it, when more follows
    rf"(?:{lexicon.cue_pattern('document_places').pattern})?"
    rf"(?:(?:{lexicon.cue_pattern('document_sayings').pattern})(?=\w)"
    rf"|(?=(?:{lexicon.cue_pattern('document_verbs').pattern})))"
)


def _yes_no(text: str) -> tuple[str, bool]:
    """A yes/no question as a statement, and whether it was one."""
    asked = False
    for pair, plain in _A_NOT_A:
        if pair in text:
            text, asked = text.replace(pair, plain, 1), True
    stripped = _YES_NO_END.sub("", text)
    if (
        stripped == text
        and (tag := _GUESS_END.search(text))
        and _CLAIMED.search(text[: tag.start()])
    ):
        stripped = text[: tag.start()]  # 他们是同学吧: a guess to confirm (说说吧 asks nothing)
    if stripped != text and _HAN.search(stripped):
        text, asked = stripped, asked or not _ASKS_WHAT.search(stripped)
    return text, asked


def _fold(syllable: str) -> str:
    for sound, folded in _FOLDS:
        syllable = syllable.replace(sound, folded)
    return "n" + syllable[1:] if syllable.startswith("l") else syllable


@lru_cache(maxsize=20_000)
def _char_sound(char: str) -> str:
    syllables = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return _fold(syllables[0]) if syllables else char


def sound(text: str) -> tuple[str, ...]:
    """How ``text`` sounds, character by character, toneless, with the sounds people mix up
    folded together. Read a character at a time, so a name and a window of a question are
    read alike (and each character is looked up once per process)."""
    return tuple(_char_sound(ch) for ch in text)


@lru_cache(maxsize=20_000)
def _char_readings(char: str) -> tuple[str, ...]:
    """Every reading of a character (乐: le and yue), folded: a name is spelt by whichever
    its owner uses, which a character-at-a-time reading cannot know."""
    readings = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    folded = tuple(dict.fromkeys(_fold(r) for r in readings[0])) if readings else ()
    return folded or (_char_sound(char),)


MAX_READINGS = 8  # of one name: a name of many polyphonic characters keeps its first ones


def readings(text: str) -> list[tuple[str, ...]]:
    """Each way ``text`` may sound (at most MAX_READINGS), the usual reading first."""
    out = [sound(text)]
    for combo in itertools.product(*(_char_readings(ch) for ch in text)):
        if len(out) >= MAX_READINGS:
            break
        if combo not in out:
            out.append(combo)
    return out


_SOUNDS: dict[str, dict[tuple[str, ...], frozenset[str]]] = {}


ROLE_SPAN_CHARS = (3, 4, 5)  # the lengths of the stretches of roles a typo may mean


def _role_spans(kb: KnowledgeBase) -> set[str]:
    """The openings of people's roles before their titles (云途 of 云途华北区总经理):
    a company is often named by no word of its own (云途 is cut 云|途), so a mistyped one
    (云图) can only be matched to the stretch of text that spells it."""
    spans: set[str] = set()
    for roles in kb.roles.values():
        for role in roles:
            for piece in TITLE_RE.split("".join(role.split())):
                # from where a body's name starts: the company, not a fragment (宣传处 of 司法厅宣传处)
                spans.update(piece[:size] for size in ROLE_SPAN_CHARS if len(piece) > size)
    return spans


def _role_words(kb: KnowledgeBase) -> set[str]:
    """The posts and places people's roles name (副总编辑, 江城市): typed with a pinyin input
    method (副总编缉, 姜城市) as often as names are."""
    found: set[str] = set()
    for roles in kb.roles.values():
        for role in roles:
            flat = "".join(role.split())
            found.update(m.group() for m in TITLE_RE.finditer(flat))
            found.update(w for w, flag in kb.tokenizer.tag(flat) if flag == "ns")
    return found


def _sounds(kb: KnowledgeBase) -> dict[tuple[str, ...], frozenset[str]]:
    """The knowledge's names (people, the organisations they are of, key terms, the
    stretches of roles, the posts and places in them) by how they sound; worked out once per knowledge version (gunicorn's preload does it before the
    fork)."""
    found = _SOUNDS.get(kb.version)
    if found is None:
        by_sound: dict[tuple[str, ...], set[str]] = {}
        for word in (
            kb.names | kb.entity_words | kb.organisations | _role_spans(kb) | _role_words(kb)
        ):
            if len(word) >= TYPO_MIN_CHARS and all(_HAN.match(ch) for ch in word):
                for reading in readings(word):
                    by_sound.setdefault(reading, set()).add(word)
        found = {key: frozenset(words) for key, words in by_sound.items()}
        if len(_SOUNDS) >= 4:
            _SOUNDS.clear()
        _SOUNDS[kb.version] = found
    return found


def _spelt_so(text: str, start: int, size: int, kb: KnowledgeBase) -> bool:
    """Whether the window, with a neighbouring character, is written so in the sources:
    东达 of 东达软 is the sources' own spelling, not a typo of 东大. Looked at only for a
    window about to be corrected."""
    spans = {text[max(start - 1, 0) : start + size], text[start : start + size + 1]}
    corpus = _corpus(kb)
    return any(span in corpus for span in spans if len(span) > size)


_CORPUS: dict[str, str] = {}


def _corpus(kb: KnowledgeBase) -> str:
    """Every passage's text in one string, once per version, for the typo check's lookups
    (a substring search over one string instead of a loop over 100,000 passages)."""
    found = _CORPUS.get(kb.version)
    if found is None:
        found = "\n".join(p.text for p in kb.passages)
        _CORPUS.clear()  # one version at a time: this is the largest of the caches
        _CORPUS[kb.version] = found
    return found


def _correct_names(text: str, kb: KnowledgeBase) -> tuple[str, list[tuple[str, str]]]:
    """Windows of the text that sound like exactly one known name, share a character with
    it in place, and are not words the knowledge uses, replaced by that name."""
    fixes: list[tuple[str, str]] = []
    tokens = list(kb.tokenizer.jieba.tokenize(text))
    # the words the knowledge does not use: a window must hold one (是政府, 是|政府, is no
    # typo of 市政府)
    strange = [
        (start, end)
        for word, start, end in tokens
        if _HAN.match(word) and not kb.knows(word) and word not in kb.tokenizer.stopwords
    ]
    if not strange:  # every word is one the knowledge uses: nothing was mistyped
        return text, fixes
    by_sound = _sounds(kb)
    lengths = sorted({len(k) for k in by_sound}, reverse=True)
    # the spans of words the knowledge uses: 东达 inside 东达软 is no typo of 东大
    known = [(start, end) for word, start, end in tokens if len(word) > 1 and kb.knows(word)]
    # a mistyped name is cut on its own, or into pieces (杨|雪山): a window that begins or
    # ends inside a word (求见中 of 求见|中国) is not one
    edges = {start for _, start, _ in tokens} | {end for _, _, end in tokens}
    # …or before a one-character word jieba glued to its end (中关新|圆开 of 中关新圆|开的)
    edges |= {
        end - 1
        for word, _, end in tokens
        if len(word) >= 2 and word[-1] in _GLUED_TAILS and not kb.knows(word)
    }
    for size in lengths:
        start = 0
        while start + size <= len(text):
            window = text[start : start + size]
            if (
                not all(_HAN.match(ch) for ch in window)
                or kb.knows(window)
                or start not in edges
                or start + size not in edges
                or any(a <= start and start + size <= b for a, b in known)
                or not any(a < start + size and start < b for a, b in strange)
            ):
                start += 1
                continue
            matches = frozenset().union(*(by_sound.get(r, frozenset()) for r in readings(window)))
            names = [
                n
                for n in matches
                if n != window and sum(a == b for a, b in zip(n, window, strict=True)) >= 1
            ]
            if len(names) == 1 and names[0] not in text and not _spelt_so(text, start, size, kb):
                fixes.append((window, names[0]))
                text = text[:start] + names[0] + text[start + size :]
                start += size
            else:
                start += 1
    return text, fixes


_NAME_FORMS: dict[str, frozenset[str]] = {}


def _name_forms(kb: KnowledgeBase) -> frozenset[str]:
    """The names of the sources, the bodies' too (云途软|来: jieba's 云途|软来), as typed
    without spaces (50 强 → 50强), once per version."""
    found = _NAME_FORMS.get(kb.version)
    if found is None:
        found = frozenset("".join(w.split()).lower() for w in (*kb.entity_words, *kb.bodies))
        if len(_NAME_FORMS) >= 4:
            _NAME_FORMS.clear()
        _NAME_FORMS[kb.version] = found
    return found


_GLUED_TAILS = frozenset(lexicon.cues("glued_tails"))


def _cut_at(text: str, cuts: list[tuple[int, str, str]]) -> tuple[str, list[tuple[str, str]]]:
    """``text`` cut at each (place, word, how it is cut): a space, which jieba never joins
    across; and each word with its cut, for the reading to show."""
    for at, _, _ in reversed(cuts):
        text = f"{text[:at]} {text[at:]}"
    return text, [(word, cut) for _, word, cut in cuts]


def _one_noun(word: str, kb: KnowledgeBase) -> bool:
    tags = [flag for _, flag in kb.tokenizer.tag(word)]
    return len(tags) == 1 and tags[0].startswith("n")


def _unglue(text: str, kb: KnowledgeBase) -> tuple[str, list[tuple[str, str]]]:
    """A word jieba made up (no dictionary of its holds it, nor the knowledge) from another
    it does not know and the one-character word after it (李桦|是 read as 李桦是, 经信委|来 as
    经信委来): cut again before that character, so the name can be matched as a typo and
    the short form as one, which both need the word on its own. Only a name is cut so, or
    a name's last character (邵果|安是: 邵果安 是): a word of other words (还会|来) stays
    whole."""
    tokens = list(kb.tokenizer.jieba.tokenize(text))

    def made_up(word: str) -> bool:
        return (
            all(_HAN.match(ch) for ch in word)
            and word not in kb.tokenizer.jieba.FREQ
            and not kb.knows(word)
        )

    cuts = [
        (end - 1, word, f"{word[:-1]} {word[-1]}")
        for i, (word, _, end) in enumerate(tokens)
        if len(word) >= 2
        and word[-1] in _GLUED_TAILS
        and made_up(word)
        and not kb.knows(word[:-1])
        and (
            _one_noun(word[:-1], kb)
            # 邵果|安是: the name's last character glued to the word after it
            or (
                len(word) == 2 and i > 0 and len(tokens[i - 1][0]) > 1 and made_up(tokens[i - 1][0])
            )
        )
    ]
    return _cut_at(text, cuts)


# a count (几个, 多少, 三位) that a word after it begins by finishing (几个|人为: 几个人|为)
_COUNT_BEFORE = re.compile(r"(?:几|多少|[\d一二两三四五六七八九十百千]+)[个位名]?$")
_COUNTED_PEOPLE = "人"
_PEOPLE_DO = frozenset(
    "为被把对给向从在是来和与跟"
)  # …人为: what they did follows (人口 is a noun)

_AUXILIARIES = frozenset(lexicon.cues("auxiliaries"))

# jieba's dictionary counts of words it holds but hardly ever saw (先抓: 3; 共享: 665)
RARE_IN_JIEBA = 10


def _recut(text: str, kb: KnowledgeBase) -> tuple[str, list[tuple[str, str]]]:
    """jieba's words the knowledge never uses that, cut in two, read as its words with
    their neighbours: a verb that joins a neighbour into a word it uses (打|造成 is 打造|成: an
    unknown verb would refuse the question), an adverb glued to a verb (先|抓), or any word
    whose first part completes a name of the sources (50|强有 is 50强|有). A word that names
    a fact (创办, 下载) joins nothing and stays whole; a noun it never uses (微信号) weighs in full. The cut is kept as a
    space, which jieba never joins across."""
    tokens = list(kb.tokenizer.jieba.tokenize(text))
    names = _name_forms(kb)
    cuts: list[tuple[int, str, str]] = []
    for i, (word, start, _) in enumerate(tokens):
        before = tokens[i - 1][0] if i else ""
        if (
            len(word) == 2
            and word[0] in _COUNTED_PEOPLE
            and word[1] in _PEOPLE_DO
            and _COUNT_BEFORE.search(before)
        ):
            cuts.append((start + 1, word, f"{word[0]} {word[1:]}"))  # 几个|人为 is 几个人|为
            continue
        if len(word) < 2 or not all(_HAN.match(ch) for ch in word) or kb.knows(word):
            continue
        after = tokens[i + 1][0] if i + 1 < len(tokens) else ""
        if before and (before + word[0]).lower() in names:
            cuts.append((start + 1, word, f"{word[0]} {word[1:]}"))
            continue

        if [flag for _, flag in kb.tokenizer.tag(word)] != ["v"]:
            continue
        if (
            len(word) == 2
            and kb.tokenizer.jieba.FREQ.get(word, 0) < RARE_IN_JIEBA
            and ([f for _, f in kb.tokenizer.tag(word[0])] == ["d"] or word[0] in _AUXILIARIES)
        ):
            # 先抓, 再抓, 来建: an adverb or auxiliary jieba glued to a verb, not a verb of its
            # own (共享, 还原 are words of its dictionary; 先抓 is in it too, but barely)
            cuts.append((start + 1, word, f"{word[0]} {word[1]}"))
            continue
        for k in range(1, len(word)):
            left, right = word[:k], word[k:]
            joined = (before + left, right + after)
            if any(len(w) > len(word) - 1 and kb.knows(w) for w in joined) and all(
                kb.knows(side) or kb.knows(w) or len(side) == 1
                for side, w in zip((left, right), joined, strict=True)
            ):
                cuts.append((start + k, word, f"{left} {right}"))
                break
    return _cut_at(text, cuts)


def _split_guessed(
    text: str, kb: KnowledgeBase, read: list[tuple[str, tuple[str, ...]]]
) -> tuple[str, list[tuple[str, str]]]:
    """Two characters jieba's guesswork made into a noun (奖|授 as 奖授) that no dictionary
    holds, the knowledge never uses, and that is no name (names are tagged so) nor part of
    a short form ``read`` already: two words of one character, each weighing little, not
    one missing word weighing in full."""
    cuts = [
        (start + 1, word, f"{word[0]} {word[1]}")
        for word, start, _ in kb.tokenizer.jieba.tokenize(text)
        if len(word) == 2
        and all(_HAN.match(ch) for ch in word)
        and word not in kb.tokenizer.jieba.FREQ
        and not kb.knows(word)
        and [f for _, f in kb.tokenizer.tag(word)] == ["n"]
        and not any(word in phrase for phrase, _ in read)
    ]
    return _cut_at(text, cuts)


def _whole_words(text: str, start: int, end: int, kb: KnowledgeBase) -> str:
    """``text[start:end]`` widened to the words it cuts (…信息化委 → …信息化委员会), so the
    name reads as the passage's own words do."""
    for _, a, b in kb.tokenizer.jieba.tokenize(text):
        if a < start < b:
            start = a
        if a < end < b:
            end = b
    return text[start:end]


ABBREVIATION_MAX_CHARS = 6
ABBREVIATION_SCOPE = 8  # passages looked in: those the rest of the question finds
# how much longer than a short form its name may be (云标院 for 云途技术标准化研究院: ten
# characters for three)
ABBREVIATION_SPREAD = 4


def _abbreviations(text: str, kb: KnowledgeBase) -> list[tuple[str, tuple[str, ...]]]:
    """Short forms of names the passages spell out (经信委 → 经济和信息化委, 北大软工中心 →
    北大软件工程研究中心): a run of the question's words, one of them unknown to the
    knowledge, whose characters appear in order, first and last in place, in one name of
    the passages the rest of the question finds, and in only one. Read as a synonym."""
    tokens = list(kb.tokenizer.jieba.tokenize(text))
    if not any(len(w) > 1 and _HAN.match(w) and not kb.knows(w) for w, _, _ in tokens):
        return []
    known = [w for w, _, _ in tokens if kb.knows(w)]
    texts = ["".join(p.text.split()) for p, _ in kb.search_terms(known, ABBREVIATION_SCOPE)]
    found: list[tuple[str, tuple[str, ...]]] = []
    for i, (word, _, _) in enumerate(tokens):
        if len(word) < 2 or not all(_HAN.match(ch) for ch in word) or kb.knows(word):
            continue
        for start in range(max(0, i - 2), i + 1):
            for end in range(i + 1, min(len(tokens), i + 3) + 1):
                span = "".join(w for w, _, _ in tokens[start:end])
                if not 3 <= len(span) <= ABBREVIATION_MAX_CHARS or not all(
                    _HAN.match(ch) for ch in span
                ):
                    continue
                pattern = re.compile(".{0,4}?".join(map(re.escape, span)))
                spelt = {
                    _whole_words(t, m.start(), m.end(), kb)
                    for t in texts
                    for m in pattern.finditer(t)
                    if len(span) < m.end() - m.start() <= ABBREVIATION_SPREAD * len(span)
                }
                if len(spelt) == 1 and not any(span in w for w, _ in found):
                    found.append((span, (spelt.pop(),)))
    return found


_PART_KINDS = "对话研讨|对话|研讨|圆桌|分论坛|主题演讲|演讲|报告"
_ORDINAL_PART = re.compile(rf"({ORDINAL})(?:场|个|次|轮|部分)?(?:的)?({_PART_KINDS})")
# “甲乙”之前的那场对话研讨: the part of that kind next to one named by its title
_NEXT_PART = re.compile(
    rf"“([^“”]{{2,30}})”(?:的)?(?:{_PART_KINDS})?(之前|以前|前面|之后|以后|后面)"
    rf"的?(?:那|这)?一?(?:场|个|次)?的?({_PART_KINDS})"
)


def _parts_of(kind: str, kb: KnowledgeBase) -> list[str]:
    return [s for s in kb.sections if kind in s or kind[:2] in s]


def parts_beyond(text: str, kb: KnowledgeBase) -> list[str]:
    """第三场对话 of a report with two, the one after the last: a part that is not there,
    asked of as if it were."""
    beyond = []
    for match in _ORDINAL_PART.finditer(text):
        n = numeral_value(match.group(1).removeprefix("第")) or 0
        if 0 < len(_parts_of(match.group(2), kb)) < n:
            beyond.append(match.group())
    for match in _NEXT_PART.finditer(text):
        anchored, near = _part_beside(match, kb)
        if anchored and near is None:
            beyond.append(match.group())
    return beyond


def _part_beside(match: re.Match[str], kb: KnowledgeBase) -> tuple[bool, str | None]:
    """Whether the part a _NEXT_PART match names by its title is one part of the documents,
    and the part of the kind asked before or after it (None when there is none)."""
    title, way, kind = match.groups()
    parts = _parts_of(kind, kb)
    anchors = [i for i, s in enumerate(kb.sections) if title in s]
    if len(anchors) > 1:  # a talk and a dialogue of one title: the one of that kind
        anchors = [i for i in anchors if kb.sections[i] in parts]
    if len(anchors) != 1:
        return False, None
    at = anchors[0]
    before = way in ("之前", "以前", "前面")
    near = [s for s in parts if (kb.sections.index(s) < at) == before and s != kb.sections[at]]
    if not near:
        return True, None
    return True, near[-1] if before else near[0]


def _resolve_parts(text: str, kb: KnowledgeBase) -> tuple[str, list[tuple[str, str]]]:
    """第二场对话, “甲乙”之前的那场对话 → the name of that part, in reading order."""
    found = []
    for match in _ORDINAL_PART.finditer(text):
        n = numeral_value(match.group(1).removeprefix("第")) or 0
        parts = _parts_of(match.group(2), kb)
        if 0 < n <= len(parts):
            found.append((match.group(), parts[n - 1]))
    for match in _NEXT_PART.finditer(text):
        _, near = _part_beside(match, kb)
        if near is not None:
            found.append((match.group(), near))
    for phrase, section in found:
        text = text.replace(phrase, section)
    return text, found


# 张明所在的单位在论坛里是什么角色: the body someone is of, by their roles, as the subject
# of something else (张明的单位是哪个, 是干什么的, 是云山数据吗 ask of the body itself, which
# their role answers)
_BODY_WORD = re.compile(r"单位|公司|机构|企业|部门")
_BODY_OF = re.compile(
    rf"(?:所在的?|的|供职的|工作的|任职的)(?:{_BODY_WORD.pattern})(?![是叫干做]|[?？]|$)"
)
# 张明的单位是云山数据(吗): the claim that they are of that body (张明是云山数据的)
_BODY_CLAIMED = re.compile(
    rf"(?:所在的?|的)(?:{_BODY_WORD.pattern})是(?P<body>[^，,。？?的]{{2,20}})(?=[?？。]*$)"
)


def _resolve_bodies(text: str, kb: KnowledgeBase) -> tuple[str, list[tuple[str, str]]]:
    found: list[tuple[str, str]] = []
    if not _BODY_WORD.search(text):  # most questions: the names are not looked through
        return text, found
    for name in [n for n in kb.names if n in text]:  # not people_in: jieba may cut 那张|明
        at = text.find(name)
        end = at + len(name)
        if claimed := _BODY_CLAIMED.match(text, end):
            said = f"{name}是{claimed.group('body')}的"
            found.append((text[at : claimed.end()], said))
            text = text[:at] + said + text[claimed.end() :]
        elif (of := _BODY_OF.match(text, end)) and (bodies := kb.bodies_of(name)):
            found.append((text[at : of.end()], bodies[0]))
            # set apart: 那云山数据 might be cut 那云|山数据
            text = f"{text[:at]} {bodies[0]} {text[of.end() :]}"
    return text, found


def _resolve_aliases(text: str, kb: KnowledgeBase) -> tuple[str, list[tuple[str, str]]]:
    found = []
    for alias in longest_first(kb.aliases):
        name = kb.aliases[alias]
        if alias in text and not any(alias in n for n in kb.names if n in text):
            text = text.replace(alias, name)
            found.append((alias, name))
    return text, found


def _synonyms(
    text: str, kb: KnowledgeBase, *tables: lexicon.SynonymTable
) -> list[tuple[str, tuple[str, ...]]]:
    """The words of the tables the question says, as whole words: 办的 is not said by 创办的."""
    spans = list(kb.tokenizer.jieba.tokenize(text))
    starts = {start for _, start, _ in spans}
    ends = {end for _, _, end in spans}
    found: list[tuple[str, tuple[str, ...]]] = []
    for table in tables:
        for word in table:
            if len(word) < 2 or any(word in w for w, _ in found):
                continue
            at = text.find(word)
            while at >= 0 and not (at in starts and at + len(word) in ends):
                at = text.find(word, at + 1)
            if at >= 0:
                found.append((word, tuple(sorted(table.means(word)))))
    return found


def _weak_synonyms(text: str, kb: KnowledgeBase) -> list[tuple[str, tuple[str, ...]]]:
    """词林's synonyms the knowledge uses, for the question's words it never does (词林 is
    read only when a question has such a word)."""
    found = []
    for term in dict.fromkeys(kb.tokenizer.tokenize(text)):
        if len(term) < 2 or kb.knows(term):
            continue
        mates = tuple(sorted(m for m in lexicon.cilin_synonyms(term) if kb.knows(m)))
        if mates:
            found.append((term, mates))
    return found


@dataclass(frozen=True)
class Resources:
    """What reading a question may use. All of it serves users; switching one off is how
    the ablation bench (``python -m bench ablation``) measures what each adds."""

    entities: bool = True  # the people the sources name and their roles, found at build time
    aliases: bool = True  # 张院长 → 张明, 第二场对话 → the part's name
    typos: bool = True  # 李桦 → 李华
    synonyms: bool = True  # the knowledge's synonyms.txt and the bot's list
    cilin: bool = True  # 词林, for words the knowledge never uses
    evidence: bool = True  # refuse when the quotes do not carry the fact asked for


EVERYTHING = Resources()


def understand(text: str, kb: KnowledgeBase, resources: Resources = EVERYTHING) -> Understanding:
    """Read ``text`` (already folded by the tokenizer's normalize) against ``kb``."""
    raw = text
    text = _joined_separable(_rewrite_colloquial(text), kb)
    text = _ORDINAL_DIGITS.sub(lambda m: f"第{chinese_numeral(int(m.group(1)))}{m.group(2)}", text)
    text = _SPOKEN_DECIMAL.sub(_decimal, text)
    text, yes_no = _yes_no(text)
    text, dropped = _drop_filler(text)
    aliases: list[tuple[str, str]] = []
    if resources.aliases:
        text, aliases = _resolve_aliases(text, kb)
        text, parts = _resolve_parts(text, kb)
        aliases += parts
        if resources.entities:
            text, bodies = _resolve_bodies(text, kb)
            aliases += bodies
    text, recut = _unglue(text, kb)
    corrections: list[tuple[str, str]] = []
    if resources.typos:
        text, corrections = _correct_names(text, kb)
    if len(kb.people_in(text)) > 1:  # 甲和乙有什么区别: what each is, of people only
        text = _COMPARISON.sub("分别是什么", text)
    text, recut_more = _recut(text, kb)
    recut += recut_more
    synonyms = _synonyms(text, kb, kb.synonyms, lexicon.synonyms()) if resources.synonyms else []
    if resources.aliases:
        synonyms += _abbreviations(text, kb)
    text, split = _split_guessed(text, kb, synonyms)
    recut += split
    return Understanding(
        raw=raw,
        text=text or raw,
        yes_no=yes_no,
        dropped=tuple(dropped),
        aliases=tuple(aliases),
        corrections=tuple(corrections),
        recut=tuple(recut),
        synonyms=tuple(synonyms),
        weak_synonyms=tuple(_weak_synonyms(text, kb)) if resources.cilin else (),
    )
