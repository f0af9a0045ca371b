"""What a question asks for: its kind (who, when, where, …) and the words the report uses for it.

Users ask in their own words (会场设在哪, 李华讲啥了); the report says 举行, 演讲, 指出. The
composer ranks with the user's words plus these expansions, and prefers sentences that carry
the kind of fact asked for (a date for "when", a place for "where", a name for "who").
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from enum import Enum

from bot.qa import lexicon
from knowledge.passages import TITLE_RE
from knowledge.text import longest_first


class Intent(Enum):
    WHO = "who"
    WHEN = "when"
    WHERE = "where"
    COUNT = "count"
    TITLE = "title"
    LATIN = "latin"  # the English (or other Latin-script) name of something
    OVERVIEW = "overview"  # 介绍一下论坛: what it was, when, where, by whom
    WHAT = "what"


# Cue phrases per intent, checked in this order (the first match wins).
_INTENT_CUES: tuple[tuple[Intent, tuple[str, ...]], ...] = (
    (
        Intent.WHEN,
        (
            "什么时候",
            "啥时候",
            "啥时",
            "何时",
            "几时",
            "哪天",
            "哪一天",
            "几月",
            "哪年",
            "哪一年",
            "日期",
            "时间",
            "几号",
        ),
    ),
    (Intent.WHERE, ("哪里", "哪儿", "在哪", "什么地方", "何处", "哪个城市")),
    # 哪几位 / 都有谁 ask for the people, not how many
    (
        Intent.WHO,
        (
            "哪几位",
            "哪几个人",
            "哪些人",
            "都有谁",
            "有哪些嘉宾",
            "有哪些专家",
            "那个人",
            "那个专家",
            "那个嘉宾",
            "那个领导",
        ),
    ),
    (
        Intent.COUNT,
        (
            "多少",
            "几个",
            "几位",
            "几名",
            "几家",
            "几类",
            "几种",
            "几项",
            "几场",
            "几次",
            "几条",
            "几大",
            "人数",
            "规模",
            "一共",
            "总共",
            "共有",
            "第几",
            "哪一届",
            "哪届",
        ),
    ),
    (Intent.TITLE, ("题目", "标题", "题为", "叫什么名字", "全称", "全名", "名称")),
    (Intent.LATIN, ("英文名", "英文", "英语", "english", "外文", "缩写")),
    (
        Intent.WHO,
        ("谁", "哪位", "哪些人", "什么人", "哪个人", "哪些嘉宾", "哪些专家", "何人", "叫什么"),
    ),
    # a place named, not asked (会场能容纳多少人 is a count): where, when nothing else asks
    (Intent.WHERE, ("地点", "会场", "场地", "地址")),
    (Intent.OVERVIEW, ("介绍一下", "介绍", "简介", "概况", "概述", "基本情况", "大致情况")),
)

# User wording → the report's wording. Expansions help ranking only; they never count as
# words the question asked for, so they cannot make an unrelated question look answered.
_EXPANSIONS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("会场", "地点", "地方", "在哪", "哪里", "哪儿", "何处", "场地"), ("举行", "举办")),
    (
        ("什么时候", "啥时候", "何时", "几时", "哪天", "哪一天", "日期", "时间", "几号"),
        ("年", "月", "日", "举行"),
    ),
    (
        ("职务", "职位", "头衔", "身份", "担任", "做什么的", "干什么的", "什么人"),
        ("主任", "院长", "教授", "部长", "秘书长"),
    ),
    (("开会", "开的", "开幕", "召开", "举办"), ("举行",)),
    (
        (
            "讲了什么",
            "讲啥",
            "讲了啥",
            "说了什么",
            "说了啥",
            "谈了什么",
            "观点",
            "讲了哪些",
            "讲什么",
            "提到",
            "提及",
            "谈到",
        ),
        ("演讲", "指出", "强调", "提出"),
    ),
    (("题目", "标题", "题为"), ("题为", "主题演讲")),
    (("主办方", "主办单位", "组织者", "谁办的", "举办方"), ("主办", "联合主办")),
    (("协办方", "协办单位"), ("协办",)),
    (("承办方", "承办单位"), ("承办",)),
    (("多少人", "人数", "规模", "多少嘉宾"), ("名", "嘉宾")),
    (("奖项", "获奖", "奖"), ("奖", "授予")),
    (("主持人", "主持"), ("主持",)),
    (("开幕", "召开"), ("举行",)),
)

_GREETINGS = frozenset(lexicon.cues("greetings"))
_THANKS = frozenset(lexicon.cues("thanks"))
# A thanks is often led or rounded off (好的谢谢你, 嗯嗯多谢啦, 谢谢你呀): these are peeled
# off both ends before the rest is looked up.
_PARTICLES = lexicon.cue_pattern("social_particles").pattern
_SOCIAL_EDGES = re.compile(
    r"^(?:好的|好吧|好|嗯+|哦+|噢|ok|okay|明白了|知道了|收到|了解了)(?=.)|"
    rf"(?<=.)(?:{_PARTICLES})+$"
)
_PUNCTUATION = re.compile(r"[\s?？!！。.,，~～、]+")

_TRAILING = re.compile(r"[\s?？!！。.,，~～]+$")


@dataclass(frozen=True)
class Question:
    text: str  # as normalised for matching (simplified Chinese, half-width)
    intent: Intent
    expansions: tuple[str, ...] = field(default_factory=tuple)
    # (the user's phrase, the report's words for it): the phrase's words count as found
    # where one of the report's words is
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)


def is_thanks(text: str) -> bool:
    """Thanks or a goodbye, however it is led or rounded off, or several in a row
    (哈喽，辛苦了谢谢)."""
    text = _PUNCTUATION.sub("", text.strip().lower())
    for _ in range(3):
        if text in _THANKS:
            return True
        text = _SOCIAL_EDGES.sub("", text)
    return text in _THANKS or bool(text and _THANKS_RUN.fullmatch(text))


def _run_of(words: frozenset[str]) -> re.Pattern[str]:
    """Nothing but these words (of two or more Hanzi) and the particles that round them
    off, several in a row (辛苦了谢谢, 你好你好)."""
    chosen = longest_first({w for w in words if len(w) > 1 and w.isalpha() and not w.isascii()})
    return re.compile(f"(?:{'|'.join(map(re.escape, chosen))}|{_PARTICLES})+")


_THANKS_RUN = _run_of(_THANKS)
_SOCIAL_RUN = _run_of(_GREETINGS | _THANKS)  # 你好你好, 你好谢谢: a greeting, if one is in it
_GREETING_WORD = re.compile("|".join(map(re.escape, longest_first(_GREETINGS - {"?", "？"}))))


def is_social(text: str) -> bool:
    """A greeting, thanks or goodbye: never a follow-up of the question before it."""
    return is_greeting(text) or is_thanks(text)


def is_greeting(text: str) -> bool:
    """A greeting or a question about the bot, however rounded off, alone or with thanks
    (你好呀，你是谁？)."""
    stripped = text.strip().lower()
    if stripped in _GREETINGS or _TRAILING.sub("", stripped) in _GREETINGS:
        return True
    parts = [p for p in _PUNCTUATION.split(stripped) if p]
    greeting = [
        _peeled(p) in _GREETINGS or bool(_SOCIAL_RUN.fullmatch(p) and _GREETING_WORD.search(p))
        for p in parts
    ]
    return (
        bool(parts)
        and any(greeting)
        and all(g or is_thanks(p) for g, p in zip(greeting, parts, strict=True))
    )


def _peeled(text: str) -> str:
    return _SOCIAL_EDGES.sub("", text) if text not in _GREETINGS else text


RESPECTIVELY = lexicon.cues("respectively")  # asked of each of several things named
# 他/她 pointing back at a person: not inside 其他, 他们, 他人, 吉他
HE_OR_SHE = re.compile(r"(?<![其吉])[他她](?![们人])")
# words pointing back at an organisation; 它 is not one inside 其它 or 它们
THING_POINTER = re.compile(rf"(?<!其)(?:{lexicon.cue_pattern('thing_pointers').pattern})(?!们)")


def asks_each(text: str) -> bool:
    """Whether a question asks of each of several things named (分别, 各自, 各有)."""
    return any(cue in text for cue in RESPECTIVELY)


WHICH_PART = lexicon.cues("which_part")  # asked which part of the event
EVERYONE = lexicon.cues("everyone")  # asked who, of several at once

_ALL_CUES = longest_first({cue for _, cues in _INTENT_CUES for cue in cues} | set(RESPECTIVELY))


# asked how much of a quality (有多重要, 多么关键), not how many (有多少) or how long (有多久)
DEGREE = re.compile(
    rf"(?:{lexicon.cue_pattern('degree').pattern})(?![少久家个位种名项类场次条长大远高])"
)


def strip_cues(text: str) -> str:
    """The question without the words that only say what kind of fact is wanted, or how
    (a cue of degree too: 有多重要 keeps 重要, which the composer weighs lightly): what is
    left is what the fact must be about."""
    for cue in _ALL_CUES:
        text = text.replace(cue, " ")
    return DEGREE.sub(" ", text)


# 在哪些方面, 在哪个部门 ask which respects or which body, not where: their 在哪 is kept
# apart from the cue
_NOT_A_PLACE = re.compile(
    rf"在(?=哪(?:些|个|一个|几个|家)?(?:{lexicon.cue_pattern('not_places').pattern}))"
)


# 哪几个“更” asks which ones, as 哪些 does, not how many (哪几类奖, 哪几家 are answered
# with their count and the list that gives it)
_WHICH_FEW = re.compile(r"哪几(?=个)")


# 某人介绍了哪些工具 asks what they presented, not for an overview (介绍一下论坛)
_TOLD = re.compile(r"介绍(?=了|过|到)")


# a post or a kind of person, then its name asked (学院的院长叫什么名字, 那位嘉宾叫啥名)
_NAME_OF_SOMEONE = re.compile(
    rf"(?:{TITLE_RE.pattern}|嘉宾|专家|领导|主持人|负责人|那个人|这个人)(?:是|的)?(?:叫|名叫)?什么名字"
)


def analyse(text: str) -> Question:
    cued = _WHICH_FEW.sub("哪些", _TOLD.sub("讲", _NOT_A_PLACE.sub("在 ", text)))
    intent = next(
        (intent for intent, cues in _INTENT_CUES if any(cue in cued for cue in cues)), Intent.WHAT
    )
    if intent is Intent.TITLE and _NAME_OF_SOMEONE.search(cued):
        intent = Intent.WHO  # 院长叫什么名字: a person's name, not a title
    synonyms = tuple((cue, words) for cues, words in _EXPANSIONS for cue in cues if cue in text)
    expansions = tuple(dict.fromkeys(word for _, words in synonyms for word in words))
    return Question(text=text, intent=intent, expansions=expansions, synonyms=synonyms)


_DATE = re.compile(r"\d{4}\s*年|\d{1,2}\s*月\s*\d{1,2}\s*日")
_PLACE = re.compile(r"在[^，。；]{2,20}(举行|举办|召开|成立)|(举行|举办)于")
_COUNT = re.compile(
    r"(?:\d+|[一二两三四五六七八九十百千万]+)\s*(名|位|家|个|人|强|种|类|项|场)"
    r"|第[零〇一二三四五六七八九十百两\d]+[届次期]"
)
# a title: 《…》, "题为" (not the 题为 inside 主题为), or a name given in full in quotes
_TITLE = re.compile(r"《[^》]+》|(?<!主)题为|“[^”]{6,}”")
_AT_THE_EVENT = re.compile(r"在(?:论坛|会上|大会上?|现场|会议期间|开幕式)")
_LATIN = re.compile(r"[A-Za-z]{2,}(?:[ -]+[A-Za-z]{2,})+")
_WHO = re.compile(r"主持|担任|代表|颁奖|发表|主任|院长|部长|秘书长|专家|教授|总经理|书记")


# 论坛是在清华大学办的: a claim of where something took place, and the place it names
_PLACE_CLAIMED = re.compile(r"在(?P<place>[^，。；\s]{2,16}?)(?:办|举办|举行|召开|开)")


def place_claimed(claim: str) -> str | None:
    """The place a yes/no claim says something took place in, if it says so."""
    match = _PLACE_CLAIMED.search(claim)
    return match.group("place") if match else None


def places_held(sentence: str) -> list[str]:
    """The spans of a sentence that say where something took place (在东方大学湖畔会议中心隆重举行)."""
    return [m.group() for m in _PLACE.finditer(sentence)]


def intent_bonus(intent: Intent, sentence: str, names: frozenset[str]) -> float:
    """How well a sentence carries the kind of fact asked for (0 … 1)."""
    if intent is Intent.WHEN:  # a date, or the event itself (在论坛正式成立)
        return 1.0 if _DATE.search(sentence) else 0.6 if _AT_THE_EVENT.search(sentence) else 0.0
    if intent is Intent.WHERE:
        return 1.0 if _PLACE.search(sentence) else 0.0
    if intent is Intent.COUNT:
        return 1.0 if _COUNT.search(sentence) else 0.0
    if intent is Intent.TITLE:
        return 1.0 if _TITLE.search(sentence) else 0.0
    if intent is Intent.LATIN:
        return 1.0 if _LATIN.search(sentence) else 0.0
    if intent is Intent.OVERVIEW:  # the lead: what took place, when and where
        return 1.0 if _DATE.search(sentence) and _PLACE.search(sentence) else 0.0
    if intent is Intent.WHO:
        named = any(name in sentence for name in names)
        return (0.6 if named else 0.0) + (0.4 if _WHO.search(sentence) else 0.0)
    return 0.0


# 哪些 / 什么 / 哪三种 / 几个 …: the noun right after one of these names the kind of answer
# wanted (哪些单位, 什么奖项), which the report need not spell out. jieba tags some such nouns
# as verbs (什么组织, 什么活动), so a verb reading counts too.
_ASKING_FOR = re.compile(
    r"^(?:哪|什么|何|啥|几|多少)[一二三四五六七八九十两几\d]*[种个类项家位条些样名]?$"
)


_COUNTING = re.compile(r"^(?:几|多少)")
_WHERE_OF = frozenset({"哪里", "哪儿", "怎样"})  # beside _ASKING_FOR's 哪, 什么样


def counted_words(tagged: list[tuple[str, str]]) -> list[str]:
    """What a how-many question counts: the noun after 几位, 多少, or after 多少 and its
    measure word (多少员工 → 员工, 多少名成员 → 成员)."""
    counted = []
    for i, (before, _) in enumerate(tagged):
        if not (_ASKING_FOR.match(before) and _COUNTING.match(before)):
            continue
        after = tagged[i + 1 : i + 3]
        if after and after[0][1] == "q" and len(after) > 1:
            after = after[1:]
        post = next(  # 几位副主任: a post, however it is cut (副|主任, tagged as no noun)
            (
                joined
                for size in (3, 2, 1)
                if TITLE_RE.fullmatch(joined := "".join(w for w, _ in tagged[i + 1 : i + 1 + size]))
            ),
            None,
        )
        if post:
            counted.append(post)
            continue
        if after and after[0][1][:1] == "n" and after[0][0] != "人":
            counted.append(after[0][0])
            continue
        # 学员有多少人: what is counted comes before (有, 一共 between), 人 only its measure
        preceding = [wf for wf in tagged[:i] if wf[0] not in _BEFORE_COUNTING]
        if preceding and preceding[-1][1][:1] == "n" and len(preceding[-1][0]) > 1:
            counted.append(preceding[-1][0])
    return counted


_BEFORE_COUNTING = frozenset(
    {"有", "一共", "共", "总共", "共有", "都", "大概", "大约", "来", "了", "来了", "到场", "参加"}
)


# jieba's tags of adjectives, adverbs and 的: words that only qualify a noun
_QUALIFIERS = frozenset({"a", "ad", "d", "uj"})
_NOMINAL = frozenset({"vn", "l", "j"})  # and of nouns made of verbs, set phrases, short forms


# jieba keeps some asking words glued to their noun (哪些方面): the noun is the kind
_GLUED_ASKING = re.compile(r"^(哪些|哪个|哪几个|什么)(\w{2,})$")


def _unglued(tagged: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for word, flag in tagged:
        m = _GLUED_ASKING.match(word)
        if m and flag[:1] not in ("n", "t"):
            out += [(m.group(1), "r"), (m.group(2), "n")]
        else:
            out.append((word, flag))
    return out


def answer_type_words(tagged: list[tuple[str, str]]) -> set[str]:
    """Nouns that only say what kind of thing the answer is, given (word, tag) pairs. What a
    count counts is not one of them: 多少员工 needs a number of employees, not any number."""
    tagged = _unglued(tagged)
    kinds = {
        word
        for (before, _), (word, flag) in itertools.pairwise(tagged)
        if _ASKING_FOR.match(before) and flag[:1] in ("n", "v") and not _COUNTING.match(before)
    }
    # 云途来的嘉宾是谁: a kind of person before 是谁 (not a post: 主任是谁)
    kinds |= {
        word
        for (word, flag), (be, _), (who, _) in zip(tagged, tagged[1:], tagged[2:], strict=False)
        if be == "是" and who in ("谁", "哪位") and word in lexicon.words("answer_kinds")
    }
    # 哪里的官员, 什么样的人: the kind after a 的
    kinds |= {
        word
        for (asking, _), (of, _), (word, flag) in zip(tagged, tagged[1:], tagged[2:], strict=False)
        if of == "的" and flag[:1] == "n" and (_ASKING_FOR.match(asking) or asking in _WHERE_OF)
    }
    # 哪些具体的大数据分析工具: past the words that only qualify it, the noun that ends the run
    for i, (before, _) in enumerate(tagged[:-1]):
        if not _ASKING_FOR.match(before) or _COUNTING.match(before):
            continue
        rest = list(itertools.dropwhile(lambda pair: pair[1] in _QUALIFIERS, tagged[i + 1 :]))
        if len(rest) == len(tagged) - i - 1:
            continue  # a noun right after it is the kind, as above
        run = list(
            itertools.takewhile(lambda pair: pair[1][:1] == "n" or pair[1] in _NOMINAL, rest)
        )
        if run:
            kinds.add(run[-1][0])
    return kinds
