"""The answer composer: ranked passages in, a short extractive reply with citations out.

The reply quotes the report's own sentences (never generated text), most relevant first,
followed by a ``出处`` block naming where each quoted sentence comes from. Whether to answer
at all is decided by how much of what the question asks about the best passage covers.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from bot.qa import lexicon
from bot.qa.question import (
    DEGREE,
    EVERYONE,
    HE_OR_SHE,
    THING_POINTER,
    WHICH_PART,
    Intent,
    Question,
    analyse,
    answer_type_words,
    asks_each,
    counted_words,
    intent_bonus,
    is_greeting,
    is_thanks,
    place_claimed,
    places_held,
    strip_cues,
)
from bot.qa.understanding import (
    ABBREVIATION_MAX_CHARS,
    EVERYTHING,
    Resources,
    Understanding,
    parts_beyond,
    understand,
)
from bot.wechat.limits import fit_bytes
from knowledge.base import KnowledgeBase
from knowledge.model import Passage
from knowledge.passages import TITLE_RE, names_a_body
from knowledge.text import CLAUSE as _CLAUSE
from knowledge.text import HAN as _HAN
from knowledge.text import longest_first, numeral_value
from knowledge.text import reply_sentences as split_sentences
from knowledge.text import squash as _squash

MAX_QUESTION_CHARS = 200  # longer input is cut before tokenising: nobody asks in essays
BODY_CHARS = 300  # target length of the quoted answer
CITATION_MARKER = "出处"
SEARCH_DEPTH = 8  # passages ranked per question
QUOTE_DEPTH = 4  # of which this many are quoted from
EVIDENCE_DEPTH = 64  # looked at when none of those carries the kind of fact asked for
MAX_SENTENCES = 3
# a sentence of the part a question names (圆桌论坛上…) is preferred to one that only shares
# its words (对话研讨's 与现场嘉宾们进行了经验分享)
SECTION_NAMED_BONUS = 0.3
# asked what there is besides something (除了节能，还…), a sentence that says it is not the
# only thing (不仅仅是节能，更是…) is preferred
BEYOND_BONUS = 0.5
# asked what one thing does to another (智慧城市对社会管理有啥作用, 能让社会管理在哪些方面更好),
# a clause with the first as its subject that goes on to the second says it, where another
# only shares the question's frame words (作用, 方面)
ACTING_BONUS = 0.3

# A question is answered when the best passage covers at least this share of the weight of
# the question's own words (calibrated on the dev set: in-scope questions cover 0.6 or more,
# out-of-scope ones 0.35 or less).
MIN_COVERAGE = 0.5
# a retelling in the user's own verb: the rest must be covered all the more
PARAPHRASE_COVERAGE = 0.65
# How near the best candidate's score one that carries the fact asked for must be: for a
# fact of a kind (a date for when), and for one the question's cue names (比作: 相当于…) or
# two things it pairs (甲和乙的关系: both)
NEAR_BEST = 0.8
CUED_REACH = 0.5
PARAPHRASED_WORDS = 2  # the question's own words besides the name a paraphrased passage says
# The shortest tail of the documents' subject that names it (数字政务高峰论坛), not a word
# of its own (论坛, 高峰论坛)
SUBJECT_RUN = 6
HEAD_CHARS = 2  # the subject's head word (论坛, 峰会), what 这次… calls it
MIN_TITLE_CHARS = 4  # a part's title as short as 大会 is a word, not a name of it
LISTED_AT_LEAST = 3  # items a sentence names of a kind, to list its particular ones
# A word the report never uses weighs this much of the heaviest weight, unless it names a
# thing (a noun, a foreign word): "举办" may be worded "举行" in the report, "餐厅" can't.
LIGHT_WEIGHT = 0.25
# A question word found only through 词林 (a general dictionary, not this knowledge's own
# synonym list) counts this much of its weight: 公布 may be 揭晓, or may be something else.
WEAK_SYNONYM_CREDIT = 0.6

# Time words that place the question itself (现在 = "as of now"), not a fact to look up.
RELATIVE_TIME = frozenset(
    {
        "现在", "目前", "当前", "如今", "当今", "今天", "明天", "昨天", "后天", "前天", "今年",
        "明年", "去年", "今后", "以后", "以前", "之前", "之后", "此前", "过去", "将来", "未来",
        "最近", "近期", "当时", "那时", "刚才",
    }
)  # fmt: skip

# The subject, the examples and the fixed replies are the forum's: its persona
# (knowledge/persona.py), which comes with the knowledge base.

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# 第十届, 第3次, 第二期: which occurrence of a recurring event. 第十 is a sub-word of 第十二届,
# so the ordinal as a whole must be one the sources use.
_ORDINAL = re.compile(
    r"第[零〇一二三四五六七八九十百两\d]+[届次期]|[上下]一?[届次期]|首届|往届|历届|下一次|上一次"
    # 明年的论坛: the edition of another year
    r"|(?:明年|去年|后年|前年)(?=的?(?:论坛|峰会|大会|会议|活动|那届|那次))"
)
_CLAIM_CLAUSE = re.compile(r"[^，,；;。！？]+")  # a list (、) stays in one clause
# 不仅, 不断, 未来, 无论 deny nothing
_DENIAL = re.compile(r"不(?!仅|单|断|少|只|光|止)|没有|并非|未(?!来)|无(?!论)")
# a list that can be counted
_LIST = re.compile(r"[^、，。]+(?:、[^、，。]+)+(?:和|及|与)?[^、，。]*")
# a sentence naming someone among others, quoted whole up to this length (甲、乙一起为…颁奖),
# else only what it says of them (a list of six guests and what they discussed)
JOINED_QUOTE_CHARS = 90
SET_APART = frozenset({"caption", "heading"})  # passages set apart from the running text


def body_of(reply: str) -> str:
    """What a reply says before its citations."""
    return reply.split(CITATION_MARKER, 1)[0]


def list_item(sentence: str, person: str, names: frozenset[str]) -> str | None:
    """From a sentence listing people (甲、乙、丙作为对话嘉宾; 甲、乙分别围绕 A、B), the part
    about ``person``: their item with what the list did, or paired with their topic when the
    lists pair up. None when ``person`` is not in a list of three or more."""
    clause = next((c for c in _CLAIM_CLAUSE.findall(sentence) if person in c), "")
    head, sep, tail = clause.partition("分别")
    items = head.split("、")
    mine = next((i for i, item in enumerate(items) if person in item), None)
    if mine is None or len(items) < 3:
        return None
    who = items[mine][: items[mine].index(person) + len(person)].strip()
    if sep:
        verb = re.match(r"[^、]*?(?:围绕|就|从|被授予|获得|负责|介绍)", tail)
        topics = tail[verb.end() :].split("、") if verb else []
        if len(topics) == len(items):
            topic = re.sub(r"等(?:主题|方面|内容|话题|领域)?[^、]*$", "", topics[mine])
            return f"{who}：{topic.strip()}"
    last = items[-1]
    ends = [last.index(n) + len(n) for n in names if n in last]
    did = last[max(ends) :].strip() if ends else ""
    return f"{who}{did}" if did else None


_WINDOW_BREAK = re.compile(r"[，,；;：:]")
_MEASURE = re.compile(r"(?:几|多少)([个位名家种类项场届])")
_COUNTS_PEOPLE = re.compile(
    r"(?:几|多少)(?:位|名|个人|人)|(?:几|多少)[位名个]?(?:嘉宾|专家|领导|人)"
)
_TOGETHER = lexicon.cue_pattern("together")


def person_window(
    sentence: str, person: str, people: frozenset[str], *, what_only: bool = False
) -> str:
    """What a sentence says of ``person``: their clause, with the clauses around it that name
    nobody else (由……张明教授担任分委会主任, not the next clause's 邱建华……秘书长). In a
    list of people (甲、乙、丙作为对话嘉宾), their own item and what the list did. Empty when
    the sentence does not name them."""
    clauses = _WINDOW_BREAK.split(sentence)
    mine = [i for i, clause in enumerate(clauses) if person in clause]
    if not mine:
        return ""
    i = mine[0]
    people = frozenset(n for n in people if n in sentence)  # once, not per clause
    others = people - {person}
    clause = clauses[i]
    items = clause.split("、")
    if len(items) > 1 and sum(any(o in item for o in people) for item in items) > 1:
        own = next(item for item in items if person in item)
        last = items[-1]
        ends = [last.index(n) + len(n) for n in people if n in last]
        clause = own + (last[max(ends) :] if ends and person not in last else "")
    start, end = i, i + 1
    while start > 0 and not any(o in clauses[start - 1] for o in others):
        start -= 1
    while end < len(clauses) and not any(o in clauses[end] for o in others):
        end += 1
    # 甲，乙，丙和丁一起启动…: the people named next, and what they all did together; with
    # ``what_only``, only what they did (乙's 清华大学 is no post of 甲's, for a claim of 甲's)
    together = []
    for j in range(end, len(clauses)):
        if _TOGETHER.search(clauses[j]):
            last = clauses[j]
            ends = [last.index(n) + len(n) for n in others if n in last]
            if not what_only:
                together = [*clauses[end:j], last]
            else:
                together = [last[max(ends) :] if ends else last]
            break
        if not any(o in clauses[j] for o in others):
            break
    return "，".join([*clauses[start:i], clause, *clauses[i + 1 : end], *together])


# A clause that opens with one of these goes on about the subject of the clause before it
# (联盟是在工信部的指导下，由……发起成立的), unlike one that names its own (……APP 承办的).
_CARRIES_ON = "由并而是从在就也又还且将对向为被把使让"


def _carried_runs(sentence: str) -> list[str]:
    """A sentence as runs of clauses about one subject: a claim made of no one must be made
    in one of them, not pieced together from clauses about different subjects."""
    runs: list[str] = []
    frame = ""  # 5 月 8 日，…举行: a date opening the sentence is said of all of it
    for clause in _CLAIM_CLAUSE.findall(sentence):
        if runs and clause.lstrip()[:1] in _CARRIES_ON:
            runs[-1] += "，" + clause
        elif not runs and _DATE_ONLY.fullmatch(clause.strip()):
            frame = clause + "，"
            runs.append(clause)
        else:
            runs.append(frame + clause)
    return runs


# 除了演讲(以外)，还…: what a question sets aside, followed by what it asks
_BESIDES = lexicon.cues("besides")  # 除了…还: what a question sets aside
_BESIDES_EDGE = re.compile(r"^(?:以外|之外)|(?:以外|之外)$")
_BESIDES_STOP = re.compile(r"[，,。？?还也]")
_DATE_ONLY = re.compile(r"[\d\s年月日号至到—-]+")


# 哪个奖, 什么奖: one of a kind named by one character, whose names end with it
_ONE_OF_A_KIND = re.compile(
    r"(?:哪个|哪一个|哪种|哪一种|什么|哪项|哪类)([奖])|([奖])项?(?:里|中)的?(?:哪个|哪一个|哪项)"
)
_ONLY = lexicon.cue_pattern("only")
_NOT_ONLY = lexicon.cue_pattern("not_only")
_NOW = lexicon.cue_pattern("now")
_LATER = lexicon.cue_pattern("later")
_ASKS_ORGANISATION = lexicon.cue_pattern("organisation_asks")
_FULL_NAME = lexicon.cue_pattern("full_name")
_IN_ORDER = lexicon.cue_pattern("in_order")
# the report's order (报道最后介绍的是什么, 张明之后是谁讲的, 名单里最后一个是谁)
_ORDER_FIRST = lexicon.cue_pattern("order_first")
_ORDER_LAST = lexicon.cue_pattern("order_last")
_ORDER_AFTER = lexicon.cue_pattern("after")


def _kind_of_word(word: str, tag: Callable[[str], list[tuple[str, str]]]) -> str:
    """What kind of thing a word names, for telling a claim denied from one not spoken of:
    a post, a body, a place, an award or a number; "" for anything else."""
    if TITLE_RE.fullmatch(word):
        return "post"
    if names_a_body(word):
        return "body"
    if len(word) > 2 and word.endswith("奖"):
        return "award"
    if _NUMBER.fullmatch(word):
        return "number"
    if [f for _, f in tag(word)] == ["ns"]:
        return "place"
    return ""


def _outermost(words: Iterable[str]) -> list[str]:
    """The words no other of them contains (创新服务奖, not 服务 and 服务奖): what is named."""
    words = list(words)
    return [w for w in words if not any(w in other and w != other for other in words)]


def _longest(words: Iterable[str]) -> frozenset[str]:
    """The longest of ``words`` (城市信息化's 信息化, not 城市): what names the thing."""
    words = list(words)
    most = max(map(len, words), default=0)
    return frozenset(w for w in words if len(w) == most)


_PAIR = re.compile(
    rf"([^\W跟和与同]{{2,12}}?)(?:跟|和|与|同)([^\W跟和与同]{{2,12}}?)(?:之间)?(?:的|有|是)?"
    rf"(?:什么|啥|哪些)?({lexicon.cue_pattern('paired').pattern})"
)
_PART_NAMED_NEXT = re.compile(r"的?(?:环节|那场|这场|那个环节|部分|板块)")
_NUMERALS = frozenset("零〇一二两三四五六七八九十百千0123456789")
_ORDER_NTH = re.compile(r"第([二三四五六七八九十]|\d+)(?:个|位|名)")
_THEN = re.compile(rf"[，,]\s*(?:{_ORDER_AFTER.pattern})")  # …，接下来: a clause after another
# 大会论坛张明主持的: what someone did, claimed after their name with 是 left out
_DONE_BY = re.compile(r"[\u4e00-\u9fff]{1,4}的[?？。.!！]*$")
# 张明之后分享的是…, 之后那位…: the one next is the subject of what is asked
_NEXT_ONE_ASKED = re.compile(r"(?:上台|分享|发言|演讲|讲|介绍)?(?:的是|的那位|那位|是|的)")
_AFTER_FIRST = re.compile(r"[^，,？?]{2,40}?(?:之后|以后|结束后|完后)[，,]")  # X之后，<question>
_DONE = re.compile(r"完|之后|以后|结束")  # 讲完颁奖, 颁奖之后: what was done before
_ORDER_BEFORE = lexicon.cue_pattern("before")
_ORDER_OF = lexicon.cue_pattern("order_of")
_ORDER_PARTS = lexicon.cue_pattern("order_parts")
_ORDER_LISTS = lexicon.cue_pattern("order_lists")
_IN_A_LIST = re.compile(r"[前后][面边]$")  # 李华后面是谁: the next of a list, not of a time
_REPORT_TELLS = re.compile(
    r"(?:报道|文章)[^，。？]{0,6}?(?:讲|写|介绍|说|提到)(?:了|的|过)?(?:是)?(?:什么|啥)"
    r"(?:内容|事)?[？?。]*$"
)
# a kind of people a list is of (分享嘉宾, 对话嘉宾): a list said of another kind is not it
_KIND_OF_PEOPLE = re.compile(r"(\w{2})(嘉宾|专家|代表)")
OTHER_KIND_PENALTY = 0.5
_LISTED_AS = re.compile(r"作为(\w{2,4})(?:嘉宾|专家|代表)")  # what a list of people was there as
_SUMMED = lexicon.cue_pattern("summed")
_COUNTED_PARTS = re.compile(r"[一二两三四五六七八九十\d]+[场个位]")


@functools.lru_cache(maxsize=256)
def _joined_part(name: str) -> re.Pattern[str]:
    """张明参加的那场, 跟张明同一场, 张明是在谁主持的环节里: a part named by one who took
    part in it."""
    joined, part = (
        lexicon.cue_pattern("joined_verbs").pattern,
        lexicon.cue_pattern("joined_part").pattern,
    )
    same = lexicon.cue_pattern("same_part").pattern
    who = re.escape(name)
    return re.compile(
        rf"{who}(?:{joined})的?(?:{part})|(?:跟|和|与|同)?{who}(?:{same})"
        rf"|{who}是?在[^，,。？?]{{0,8}}?的(?:{part})"  # 张明是在谁主持的环节里分享的
    )


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_PLACE_UNITS = lexicon.cues("place_units")  # a place is often named without its unit
_WHO_IS = re.compile(r"^.*(?:谁是|是谁|谁)")  # 谁是某实验室主任: what asks, not whose post
_ALONE = lexicon.cue_pattern("alone")
_FORMER = re.compile(r"(?:原|前)[^、，,；;]*$")


_POST_BREAK = re.compile(r"[、，,；;。：:]")
_WHOSE_TAIL = re.compile(r"(?:的|那位|那个|这位|这个|来的|现在的|以前的|原来的)+$")


def holds_post(held: str, post: str) -> bool:
    """Whether holding ``held`` is holding ``post``: 兼职教授 is a 教授, but 副院长 and 执行
    院长 are no 院长, nor 院长助理 (a post is read whole, from its end)."""
    return held == post or (held.endswith(post) and not held[: -len(post)].endswith(_OTHER_POST))


# what makes a post before its title another one (副院长, 执行院长, 名誉主席)
_OTHER_POST = ("副", "执行", "名誉", "荣誉")


def posts_in(text: str, former: bool = True) -> list[tuple[str, str]]:
    """The posts ``text`` names, each whole (副部长, not 部长), with the words before it up
    to the last break: whose post it is (交通运输部副部长). Posts held before (原…副部长)
    only when ``former``."""
    found = []
    for match in TITLE_RE.finditer(text):
        before = text[: match.start()]
        breaks = [0, *(m.end() for m in _POST_BREAK.finditer(before))]
        whose = before[breaks[-1] :]
        if not whose.strip() and len(breaks) > 1:  # 江城市政府党组成员、副市长: the roles before
            whose = before[breaks[-2] :]
        if former or not _FORMER.search(whose):
            found.append((match.group(), whose))
    return found


_NUMERAL = r"(?:\d+|[零〇一二两三四五六七八九十百千万亿]+)"
_PEOPLE_MEASURES = frozenset("位名人")  # the measure words of a number of people
_PEOPLE_COUNT = re.compile(rf"{_NUMERAL}\s*[{''.join(sorted(_PEOPLE_MEASURES))}]")
_NUMERAL_AT = re.compile(rf"\D*?({_NUMERAL})")
_COUNT_PHRASE = re.compile(
    rf"(?:近|约|逾|超过|共|共计)?\s*{_NUMERAL}(?:\s*[到至-]\s*{_NUMERAL})?\s*"
    r"(?:名|位|家|个|人|种|类|项|场|强)"
)


_COUNTED = re.compile(rf"({_NUMERAL})\s*(?:种|个|类|项|位|名|场|家)")


# A number a yes/no question claims (来了五百多位嘉宾吗, 超过500人吗, 是6月12日举行的吗):
# the number the report gives instead decides it, compared as the claim's words say.
def _any(*names: str) -> str:
    return "|".join(map(re.escape, longest_first({c for n in names for c in lexicon.cues(n)})))


# A number a yes/no question claims (来了五百多位嘉宾吗, 超过500人吗) or a sentence gives
# (近 200 名), with the words that say how it is meant
_CLAIMED_COUNT = re.compile(
    rf"((?:{_any('more_than', 'less_than', 'nearly', 'about')})了?)?(?<!第)({_NUMERAL})"
    rf"({_any('more_between')})?(位|名|个|家|种|类|项|场|届|人)"
    rf"({_any('at_least_after', 'at_most_after', 'about_after')})?"
)
# a date claimed in part or whole (2020年, 6月, 2020年6月, 6月11日): each part it gives
_CLAIMED_WHEN = re.compile(r"(?:(\d{4})年)?(?:(\d{1,2})月)?(?:(\d{1,2})[日号])?")


def _dates_in(sentence: str) -> list[re.Match[str]]:
    """The dates a sentence gives, whole or in part (2016 年, 6 月 11 日)."""
    return [m for m in _CLAIMED_WHEN.finditer(_squash(sentence)) if m.group(1) or m.group(2)]


_LEAD_CHARS = 12  # a count said before an answer's quotes (共 4 个, 近200名嘉宾) is no longer


def _same_measure(a: str, b: str) -> bool:
    return a == b or {a, b} <= _PEOPLE_MEASURES


def _span(count: re.Match[str]) -> tuple[float, float]:
    """The numbers a count can mean, as its words say: 近 200 is 180 to under 200, 五百多
    over 500 and under 600, 200 以上 200 or more, 约 50 and 50 左右 45 to 55."""
    n = numeral_value(count.group(2)) or 0
    before, between, after = count.group(1) or "", count.group(3) or "", count.group(5) or ""

    def cue(name: str, words: str) -> bool:
        return any(c in words for c in lexicon.cues(name))

    if cue("more_than", before):
        return n + 0.5, math.inf
    if cue("less_than", before):
        return -math.inf, n - 0.5
    if between:  # 五百多: over it, under the next step of its size
        return n + 0.5, n + 10 ** max(len(str(n)) - 1, 0) - 0.5
    if cue("at_least_after", after):
        return n, math.inf
    if cue("at_most_after", after):
        return -math.inf, n
    if cue("nearly", before):
        return n * 0.9, n - 0.5
    if cue("about", before) or cue("about_after", after):
        return n * 0.9, n * 1.1
    return n, n


def _bears_out(claimed: re.Match[str], said: re.Match[str]) -> bool:
    """Whether what the report says (近 200 名) bears out the count claimed (不到 200 人):
    everything it can mean is within what the claim allows."""
    low, high = _span(claimed)
    said_low, said_high = _span(said)
    return low <= said_low and said_high <= high


def counts_in(text: str, lists: bool = True) -> set[int]:
    """The counts ``text`` gives: the numbers before a measure word, and (with ``lists``) the
    length of a list (…服务奖、…设计奖、…贡献奖和…人物奖 is four). A claim's own list is no
    count it makes (东大软件中心、东达软协办了论坛吗 names two of three)."""
    found = {v for m in _COUNTED.finditer(text) if (v := numeral_value(m.group(1))) is not None}
    if lists:
        found.update(len(_list_items(match.group())) for match in _LIST.finditer(text))
    return found


_POST_AT = re.compile(r"在(?P<body>[^，,。？?在]{2,24}?)(?:里|中|内)?(?:担任|任|当|是|做|的)")
# 在新成立的分委会里担任: the body with what it is said to be, up to the verb, when one follows
_POST_AT_VERB = re.compile(r"在(?P<body>[^，,。？?在]{2,24}?)(?:里|中|内)?(?:担任|任|当|做)")
_POST_KINDS = lexicon.cue_pattern("post_kinds")
_ASKS_WHICH = re.compile(r"哪|什么|啥")
_RELATION = lexicon.cue_pattern("relation")
_JOINED = re.compile(r"[、与和及]")  # the items of a short list (甲与乙, 甲、乙和丙)
_DEFINITION = re.compile(r"是什么|什么是|是啥|啥是|是指")
_LABELS = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


def only_listed(sentence: str, subject: str) -> bool:
    """Whether a sentence names ``subject`` only as a bare item of a list (服务奖、设计奖、
    贡献奖和人物奖) or of a caption's labels (人物奖 贡献奖): it says the subject is among
    them, nothing of who got it or what it is. Only a long subject (a name, not a word) is
    looked at."""
    text = _squash(_LABELS.sub("、", sentence)).lower()
    if len(subject) < 4 or subject not in text:
        return False
    bare = 0
    for match in _LIST.finditer(text):
        items = _list_items(match.group())
        # the run of names of one kind that ends the list (…奖、…奖和…奖), its first item
        # running on from the words before it
        run = list(itertools.takewhile(lambda i: i.endswith(subject[-1]), reversed(items)))
        if len(run) > 1:
            bare += sum(item.endswith(subject) for item in run)
    return bare > 0 and bare == text.count(subject)


def _list_items(listed: str) -> list[str]:
    """The items of a list: 、 between them, and 和 before the last when both ends match
    (…贡献奖和…人物奖, not 由社会公众参与提供的)."""
    items = listed.split("、")
    last = re.split(r"和|及|与", items[-1])
    if len(last) == 2 and last[0][-1:] == last[1][-1:]:
        items[-1:] = last
    return items


def listed_people(sentence: str, names: frozenset[str]) -> list[str]:
    """The people a sentence lists together, in its order: the names of one clause, or of
    clauses that are nothing but names up to the one saying what they did (甲、乙、丙，丁，戊
    和己一起启动…: six), not a moderator's own clause before the panel (由甲主持，乙、丙作为
    嘉宾)."""
    best: list[str] = []
    run: list[str] = []
    for clause in _WINDOW_BREAK.split(sentence):
        named = [n for _, n in sorted((clause.find(n), n) for n in names if n in clause)]
        run += named
        if len(run) > len(best):
            best = list(run)
        if not (named and clause.rstrip().endswith(tuple(named))):
            run = []
    return best


def people_listed(sentence: str, names: frozenset[str]) -> int:
    """How many people a sentence lists together (``listed_people``)."""
    return len(listed_people(sentence, names))


# what asks a question: a question word, or a yes/no ending
_ASKS = re.compile(r"什么|啥|谁|哪|几|多少|怎么|怎样|如何|是否|有没有|吗|么")
_PART_BREAK = re.compile(r"[，,？?；;]|\s+")
_MANNER = frozenset({"怎么", "如何", "怎样", "该怎么", "要怎么", "怎么样"})  # asked how it is done
_ASKS_THING = frozenset(
    {"啥", "什么", "哪些", "哪种", "什么样", "怎样的", "哪样", "哪个", "哪一个"}
)
TWO_PART_MIN_CHARS = 4


_KIND_ASKED_BEFORE = re.compile(r"(?:几|多少|哪些|哪几|哪)[个位家名场种类届项]?$")


def _kind_asked(part: str, kind: str) -> bool:
    """几位嘉宾, 多少家企业, 哪些单位: a kind that a question word counts or picks."""
    at = part.find(kind)
    return at > 0 and bool(_KIND_ASKED_BEFORE.search(part[:at]))


def two_questions(text: str) -> tuple[str, str] | None:
    """A question that is two (张明演讲的题目是啥，他在分委会担任什么; 题目是什么？提到了哪位
    科学家？): its two halves, each asking something of its own; None for one question,
    however many commas it has (张明说政府要开放，是吗)."""
    text = text.strip().rstrip("？?。.！!")
    pieces = [p for p in _PART_BREAK.split(text) if p]
    asking = [i for i, p in enumerate(pieces) if _ASKS.search(p)]
    if len(asking) != 2:
        return None
    cut = asking[0] + 1
    first, second = "，".join(pieces[:cut]), "，".join(pieces[cut:])
    if min(len(first), len(second)) < TWO_PART_MIN_CHARS or not _ASKS.search(second):
        return None
    return first, second


def _part_name(section: str) -> str:
    """A part of the event as a reply names it: “新技术与创新服务”对话研讨, 大会论坛."""
    kind, colon, title = section.partition("：")
    return f"“{title}”{kind}" if colon and title else section


def _noun_at(text: str, words: dict[str, float]) -> str:
    """The question's words that ``text`` opens with, one after another (三种|社会管理范式:
    社会, 管理范式): the noun a count is of, as far as the question names it."""
    noun = ""
    while more := next((w for w in words if len(w) > 1 and text[len(noun) :].startswith(w)), ""):
        noun += more
    return noun


def _count_value(text: str) -> int | None:
    """The number a count phrase gives (近 200 名 → 200, 一个方面 → 1)."""
    match = _NUMERAL_AT.match(text)
    return numeral_value(match.group(1)) if match else None


# what a number counts: up to what they did (分别被授予…, 一起…) or the clause's end
_LIST_AFTER = re.compile(
    rf"^[^，,。；;：:]+?(?=(?:{lexicon.cue_pattern('together').pattern})|被|等|[，,。；;：:]|$)"
)


def _counts_others_too(counted: str, asked: _Asked) -> bool:
    """Whether what a number counts is a list (30 家城市、企业和个人) that holds the kind asked
    (城市, 企业 or 个人 有几个) with others the question does not name, or each of which it
    asks a count of: the number is of them all, and says nothing of how many of one kind
    there are."""
    listed = _LIST_AFTER.match(counted)
    items = [i for i in _JOINED.split(listed.group()) if i.strip()] if listed else []
    if len(items) < 2 or not any(asked.counted and asked.counted in i for i in items):
        return False
    named = [any(w in i for w in asked.weights if len(w) > 1) for i in items]
    return asked.counts_each or not all(named)


def counts_all_of_a_list(sentence: str, asked: _Asked) -> bool:
    """Whether the sentence counts what is asked only together with others (城市有几个 of
    30 家城市、企业和个人): it says nothing of how many of that one kind there are."""
    if not asked.counted:
        return False
    return any(
        _counts_others_too(sentence[m.end() : m.end() + 20], asked)
        for m in _COUNT_PHRASE.finditer(sentence)
    )


def count_in(sentence: str, asked: _Asked, names: frozenset[str] = frozenset()) -> str | None:
    """The count a sentence gives for what a how-many question asks about: the number whose
    noun, right after it, the question names (近 200 名嘉宾; asked how many people, any
    number of people), else how many people it lists when people are counted, else the
    sentence's only number."""
    specific = asked.counts_named
    found = []
    for match in _COUNT_PHRASE.finditer(sentence):
        after = sentence[match.end() : match.end() + 10]
        noun = _noun_at(after, asked.weights)
        measure = match.group().rstrip()[-1]
        if noun and _counts_others_too(sentence[match.end() :], asked):  # 30 家城市、企业和个人
            found.append((_squash(match.group()) + noun, False))
            continue
        if specific and not all(w in after for w in asked.counted_said):  # 三种社会管理范式
            found.append((_squash(match.group()) + noun, False))
            continue
        of_people = asked.counts_people and measure in _PEOPLE_MEASURES
        if asked.counts_people and not of_people:  # 几位…颁奖: 50 家城市 counts no people
            found.append((_squash(match.group()) + noun, False))
            continue
        found.append(
            (_squash(match.group()) + noun, bool(noun) or of_people or measure == asked.measure)
        )
    if asked.counted:  # 三方面: a numeral right before what is counted, no measure between
        for match in re.finditer(rf"({_NUMERAL})\s*{re.escape(asked.counted)}", sentence):
            found.append((_squash(match.group()), True))
    # 一个方面, 一位: one, when a sentence says more than one, is no count of them
    if sum(named for _, named in found) > 1:
        found = [(t, named) for t, named in found if _count_value(t) != 1]
    about = [text for text, named in found if named]
    if about:
        return about[0]
    if specific and not all(w in _squash(sentence) for w in asked.counted_said):
        return None  # 分委会有多少名成员: a list of who launched it counts no members
    if asked.counts_people:  # people are counted: any other list is not them
        listed = people_listed(sentence, names)
        return f"共 {listed} 位" if listed > 1 else None
    # no number of it given: count the list of what was asked about (…协办 after three
    # names; …服务奖、…设计奖 asked 几类奖), not a list of people (counted above, if asked)
    kinds = dict.fromkeys(asked.counted[-1:] + asked.counted[:1])  # 奖项: names end with 奖
    for match in _LIST.finditer(sentence):
        items = _list_items(match.group())
        if len(items) < 2 or sum(any(n in i for n in names) for i in items) > 1:
            continue
        for kind in kinds:  # the names of that kind that end the list (…奖、…奖和…奖)
            ending = [i.endswith(kind) for i in reversed(items)]
            run = ending.index(False) if False in ending else len(ending)
            if run > 1:
                return f"共 {run} {asked.measure or '个'}"
        if (not found or asked.measure) and any(
            t in items[-1] for t in asked.weights if len(t) > 1
        ):
            # no number of it given: the list that names it
            return f"共 {len(items)} {asked.measure or '个'}"
    if asked.measure and not asked.counts_people:  # 甲与乙联合主办: two joined, doing it
        for clause in _CLAIM_CLAUSE.findall(sentence):
            at = min(
                (clause.find(t) for t in asked.weights if len(t) > 1 and t in clause), default=0
            )
            joined = [
                i for i in _JOINED.split(clause[:at].removeprefix("由")) if len(i.strip()) > 1
            ]
            if len(joined) > 1 and not any(TITLE_RE.search(i) for i in joined):
                return f"共 {len(joined)} {asked.measure}"  # not people with their posts
    if asked.measure:  # 几家: a number counted otherwise (50 强) is not the answer
        return None
    return found[0][0] if len(found) == 1 else None


@dataclass(frozen=True)
class Citation:
    n: int
    passage: Passage
    score: float
    label: str = ""  # the line after [n]; empty: the passage's own citation

    def line(self) -> str:
        return self.label or self.passage.citation()

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
    coverage: float = 0.0
    # how the question was read and why it was answered or refused (the hit test shows it)
    reading: dict[str, object] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answered": self.answered,
            "text": self.text,
            "citations": [c.to_json() for c in self.citations],
            "reading": self.reading,
        }


@dataclass
class _Candidate:
    sentence: str
    passage: Passage
    passage_score: float
    score: float


_DEFINES_BEFORE = re.compile(
    rf"(?:{lexicon.cue_pattern('defines_before').pattern})“?([\w·]{{2,12}}?)”?(?:呢|啊|呀)?"
    r"(?=[?？。.!！]*$)"
)
_DEFINES_AFTER = lexicon.cue_pattern("defines_after")
_TERM = r"[^\W的说讲]{2,12}"  # a term asked of, without the words that say whose it is
_DEFINED_BEFORE = re.compile(rf"“?({_TERM})”?$")
_QUOTED_TERM_IS = re.compile(rf"“({_TERM})”(?:到底|究竟)?是(?:什么|啥)[?？。.!！]*$")
_PLURAL_WHICH = lexicon.cue_pattern("plural_which")
_ADDITIONAL = lexicon.cue_pattern("additional")
_LIKENED = lexicon.cue_pattern("likened")
_ACTS_ON = frozenset(lexicon.cues("acts_on"))
_QUOTED = re.compile(r"“([^”]{2,40})”")
# whose or with whom, in the middle of a question about someone (张明说要从谁的问题出发,
# 张明和谁一起颁奖): someone else; not 张明是谁, nor a claim (是云山大学的教授吗), nor one of
# two asked about (张明和李华谁先演讲)
_ASKS_WHOM = re.compile(r"(?<!是)(?:谁|哪位)(?![是呀啊呢吗?？。!！]|$)")
_PART_HEADS = frozenset(lexicon.cues("part_heads"))
_SAME_PART = frozenset(lexicon.cues("same_part"))


def _subject_named(text: str, subject: str) -> str:
    """The longest run of ``subject`` (what the documents are about) that ``text`` spells out
    and that ends as it does (云山数字政务高峰论坛, not 数字政务 alone), or ""."""
    text = _squash(text)
    for start in range(len(subject) - SUBJECT_RUN + 1):
        if subject[start:] in text:
            return subject[start:]
    return ""


def _heading_title(section: str) -> str:
    """What a heading calls its part (主题演讲《甲》: 甲; 对话研讨：乙: 乙; 大会论坛: itself)."""
    if quoted := re.search(r"《([^》]+)》", section):
        return quoted.group(1)
    return section.partition("：")[2] or section


def _retold_at(words: list[str]) -> int | None:
    """Where a question's verb of retelling stands (说, 认为, 按…的说法), among its words."""
    cues = lexicon.cues("retold")
    return next((i for i, w in enumerate(words) if w in cues), None)


def _at(text: str, part: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(part), text)]


def _defined_term(text: str) -> str:
    """The term a question asks the meaning of (什么才是创新: 创新; “众创”是什么意思: 众创),
    or "" when it asks no such thing."""
    match = _DEFINES_BEFORE.search(text)
    if match:
        return match.group(1)
    if quoted := _QUOTED_TERM_IS.search(text):  # 李华的“众创智慧”是什么: a term, in quotes
        return quoted.group(1)
    cue = _DEFINES_AFTER.search(text)  # 张明说的众创是什么意思: the words right before the cue
    term = _DEFINED_BEFORE.search(text[: cue.start()]) if cue else None
    return term.group(1) if term else ""


def normalize_question(text: str) -> str:
    return unicodedata.normalize("NFKC", text)[:MAX_QUESTION_CHARS].strip()


@dataclass(frozen=True)
class _Asked:
    """What a question asks about: its terms and their weights, the terms it only implies
    (the forum, when it names no subject), and report words that stand in for a term."""

    weights: dict[str, float]
    implied: frozenset[str]
    # report words that stand in for a term, each as its terms: all of one must be there
    alternatives: dict[str, tuple[frozenset[str], ...]]
    # the people the question names, each with the terms of the name: asked about several
    # (王强和张明分别…), a text about one of them is not short of the others' names
    people: dict[str, frozenset[str]] = field(default_factory=dict)
    weak: dict[str, frozenset[str]] = field(default_factory=dict)  # 词林's, for less
    # the report's phrases a term stands for, each whole (分委会: the sub-committee's full name)
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    counts_people: bool = False  # 几位嘉宾, 多少人: a count of people
    counted: str = ""  # what a count counts (几类奖: 奖)
    # its words a sentence must say, but the kinds of answer (主办单位: 主办)
    counted_said: tuple[str, ...] = ()
    measure: str = ""  # the measure word it counts by (几家: 家)
    retold: frozenset[str] = frozenset()  # the user's verbs in a retelling of what was said
    retold_needs: frozenset[str] = frozenset()  # what they ask for: an answer must say it
    # two things asked how they differ or relate (智慧城市和信息化是什么关系): a sentence
    # that answers names both, each by one of its words
    paired: tuple[frozenset[str], ...] = ()
    counts_each: bool = False  # 城市有几个，企业有几个: a count of each, not one of them all
    # light words the knowledge never uses (参会, 群体): no passage can have them, and they
    # ask nothing an answer must say, so they count neither for nor against one
    unfindable: frozenset[str] = frozenset()

    @property
    def counts_named(self) -> bool:
        """多少名成员: members are counted, not any people (a kind of person, 多少名嘉宾, is
        any), so only a count or a list of members answers."""
        return len(self.counted) > 1 and self.counted not in lexicon.words("answer_kinds")

    def says(self, term: str, terms: frozenset[str] | set[str]) -> bool:
        """Whether ``terms`` hold ``term``, itself or one of its synonyms whole."""
        return term in terms or any(alt <= terms for alt in self.alternatives.get(term, ()))

    def coverage(self, terms: frozenset[str] | set[str]) -> float:
        """The share of the question's weight that ``terms`` account for."""
        weights = self.weights
        if len(self.people) > 1 and any(name in terms for name in self.people):
            others = frozenset().union(
                *(parts for name, parts in self.people.items() if name not in terms)
            )
            weights = {t: w for t, w in weights.items() if t not in others}
        if self.unfindable:
            weights = {t: w for t, w in weights.items() if t not in self.unfindable}
        total = sum(weights.values())
        found = 0.0
        for t, w in weights.items():
            if self.says(t, terms):
                found += w
            elif not self.weak.get(t, frozenset()).isdisjoint(terms):
                found += w * WEAK_SYNONYM_CREDIT
        return found / total if total else 0.0


@dataclass(frozen=True)
class _Aside:
    """What a question sets aside (除了…还): the talks, or people, and the question left."""

    text: str
    talks: bool = False
    people: frozenset[str] = frozenset()
    # anything else set aside (除了节能，还是哪些方面的事): what the answer goes on from, best
    # said as not the only thing (不仅仅是节能，更是…)
    thing: str = ""
    # something the person asked of did (张明除了主持对话还做了什么): sentences that say
    # they did it are not the answer
    deed: str = ""


class Composer:
    """Composes the answer to one question from one knowledge base, in the words of its
    persona (a new one per question: ``reading`` and the quotes chosen belong to the question
    being answered)."""

    def __init__(self, kb: KnowledgeBase, resources: Resources = EVERYTHING) -> None:
        self.kb = kb
        self.resources = resources
        self.replies = kb.persona.replies
        self.reading: dict[str, object] = {}  # how the question now answered was read
        # the parts of the documents the question names, and what their passages say
        self._parts: dict[str, frozenset[str]] = {}
        self._hosts: tuple[str, ...] = ()  # people named only as the host of one
        self._joined: dict[str, str] = {}  # people naming a part they took part in: the part
        self._beyond: re.Pattern[str] | None = None  # 不仅仅是<what the question sets aside>
        self._acting: re.Pattern[str] | None = None  # <subject>…<what it acts on>, in a clause
        self._chosen: list[_Candidate] = []  # what the answer now composed quotes
        self._lead_said = ""  # and what it says before its quotes
        self._suggesting = False  # trying out questions to suggest
        self._names = kb.speakers
        self._max_weight = kb.term_weight("\0never a term\0")

    # -- relevance -------------------------------------------------------------------
    def _weight(self, term: str, answer_types: set[str]) -> float:
        light = self._max_weight * LIGHT_WEIGHT
        if term in lexicon.words("function_words"):  # 还是什么角色: 还是 asks nothing
            return min(light, self.kb.term_weight(term))
        if len(term) == 1 and not term.isascii() and not self._unheard_noun(term, answer_types):
            # a lone Hanzi is what jieba leaves of function words and light verbs (来, 开)
            return min(light, self.kb.term_weight(term))
        if any(term in kind for kind in answer_types) and not self._names_a_fact(term):
            # 什么活动, 哪些单位, 哪位科学家 (and its sub-words 科学, 学家): the kind of answer
            # wanted, which the answer need not repeat (哪个大学毕业: 毕业 is no kind)
            if self.kb.knows(term):
                return min(light, self.kb.term_weight(term))
            if any(term in kind and self._mere_kind(kind) for kind in answer_types):
                return light
            return self._max_weight  # 哪些功能: a kind of thing the report never names
        if self.kb.knows(term):
            return self.kb.term_weight(term)
        if term in lexicon.words("light_verbs") or not self._names_a_thing(term):
            return light
        if self._of_known_words(term):
            return light  # 网络安全: its words (网络, 安全) weigh for it, found or missing
        return self._max_weight

    def _unheard_noun(self, term: str, answer_types: set[str]) -> bool:
        """A one-character noun asked for as the kind of answer (哪些书, 哪个厅) that the
        knowledge never uses as a word: a kind of thing no passage names, not what jieba
        leaves of a function word. A kind the knowledge names as the head of its longer
        words (哪个盟: 某某盟) is one it has, as are answer_kinds' rows (当什么官, 哪个区);
        a two-character word is no evidence (秘书 is no book)."""
        if term not in answer_types or self.kb.knows(term) or self._mere_kind(term):
            return False
        if [flag for _, flag in self.kb.tokenizer.tag(term)] != ["n"]:
            return False
        heads = self.kb.derived(
            "heads of longer words",
            lambda: frozenset(t[-1] for t in self.kb.index.terms() if len(t) > 2),
        )
        return term not in heads

    def _of_known_words(self, term: str) -> bool:
        """A compound the knowledge never uses made whole of two or more words it does
        (网络|安全): the question's search has those words too, and counts them."""
        if len(term) < 4:
            return False
        parts = [t for t in self.kb.terms_in(term) if t != term and len(t) > 1 and self.kb.knows(t)]
        covered = set().union(*(range(i, i + len(p)) for p in parts for i in _at(term, p)))
        return len(covered) == len(term)

    @staticmethod
    def _mere_kind(word: str) -> bool:
        """A kind of answer an answer need not name (职务, 议题). 词林 cannot tell: it files
        功能 with 作用 and 意义, which are kinds, and has no group for 议题."""
        return word in lexicon.words("answer_kinds")

    def _names_a_thing(self, term: str) -> bool:
        if term.isascii():
            return True
        flags = [flag for _, flag in self.kb.tokenizer.tag(term)]
        if flags == ["t"]:  # a time word: 生日 names a fact, 现在 only when the question is
            return term not in RELATIVE_TIME
        if flags == ["x"] and len(term) > 1 and _HAN.match(term):
            return True  # a word of the synonym files jieba has no tag for (交通部): a name
        return any(flag[:1] in {"n", "e", "i", "l", "j"} or flag == "eng" for flag in flags)

    def _asked(
        self,
        question: Question,
        tagged: list[tuple[str, str]],
        people: tuple[str, ...],
        weak_synonyms: tuple[tuple[str, tuple[str, ...]], ...] = (),
        answer_types: set[str] | None = None,
    ) -> _Asked:
        tokenize = self.kb.tokenizer.tokenize
        if answer_types is None:
            answer_types = answer_type_words(tagged)
        terms = tokenize(strip_cues(question.text))
        weights = {t: self._weight(t, answer_types) for t in dict.fromkeys(terms)}
        alternatives: dict[str, tuple[frozenset[str], ...]] = {}
        phrases: dict[str, tuple[str, ...]] = {}
        for phrase, words in question.synonyms:
            # 国家数据中心 stands for 国数中心, not for any 中心
            report_words = tuple(t for t in map(self.kb.terms_in, words) if t)
            for term in self.kb.terms_in(phrase):
                alternatives[term] = (*alternatives.get(term, ()), *report_words)
                phrases[term] = (*phrases.get(term, ()), *(_squash(w) for w in words))
        subject = self.kb.terms_in(self.kb.persona.subject)
        light = self._max_weight * LIGHT_WEIGHT
        spelt = _subject_named(question.text, self.kb.persona.subject)
        # its head (论坛) stays, as in 这次论坛: without it 主题 would be any 主题演讲's
        named = self.kb.terms_in(spelt) - self.kb.terms_in(spelt[-HEAD_CHARS:])
        if any(w > light for t, w in weights.items() if t not in named):
            # 第三届某某论坛的主题: the forum named in full is what every passage is about,
            # as 这次论坛 is; its rare words would pick the one sentence that spells the
            # name out over the one that says the theme
            weights = {t: w for t, w in weights.items() if t not in named}
        # 有几类奖: a count of a thing named in one character (light) is asked of that thing
        counted_lone = question.intent is Intent.COUNT and any(
            len(w) == 1 and w in weights for w in counted_words(tagged)
        )
        if (
            question.intent is not Intent.WHAT
            and not counted_lone
            and all(w <= light or t in subject for t, w in weights.items())
        ):
            # 会场设在哪？ names nothing but the forum, if that: asked of this bot, it is
            # about the forum, so every passage that is about the forum counts as found.
            implied = subject - weights.keys()
            weights.update({t: self.kb.term_weight(t) for t in implied})
        else:
            subject = frozenset()
        names = {who: self.kb.terms_in(who) for who in people}
        retold = self._retold(tagged, people)
        if _LIKENED.search(question.text):
            # 把创新比作身体里的什么: the user's guess at the image (身体), not a fact to find
            for term in weights:
                if (
                    not self.kb.knows(term)
                    and term not in alternatives
                    and self._names_a_thing(term)
                ):
                    weights[term], retold[term] = light, ""
        before, rest = "", ""
        first = _AFTER_FIRST.match(question.text)
        if then := _THEN.search(question.text):  # …，接下来
            before, rest = question.text[: then.start()], question.text[then.end() :]
        elif first and self._parts_called(first.group()):
            # 第一场对话之后，…: after a part of the documents (not 数据链打通以后, said in one)
            before, rest = first.group(), question.text[first.end() :]
        if (
            before
            and _DONE.search(before)
            and any(w > light for t, w in weights.items() if t in rest)
        ):
            # 讲完颁奖，紧接着介绍了什么组织: a clause of what was done before only says where
            # to look from, when the rest asks something of its own
            for term in [t for t in weights if t not in rest]:
                del weights[term]
                alternatives.pop(term, None)
                retold.pop(term, None)
        for term in weights:
            if any(question.text.startswith(term, m.end()) for m in DEGREE.finditer(question.text)):
                # 有多重要, 多么关键: how much, which the answer shows without the word (strip_cues
                # took the cue away; the quality word is left, to weigh lightly here)
                weights[term] = min(weights[term], light)
        for term in [t for t in weights if t in _SAME_PART]:
            if any(_joined_part(who).search(question.text) for who in people):
                weights[term] = min(weights[term], light)  # 张明同场: the part is his
        for term in [t for t in weights if t in _PART_HEADS]:
            # 颁奖环节, 分享环节: the part is named by the word before; 环节 itself, standing
            # for 论坛 and 对话, would count any sentence about the forum as saying it
            if any(
                self.kb.knows(word) and word not in _PART_HEADS
                for word in self.kb.tokenizer.tokenize(question.text.split(term)[0][-4:])
            ):
                weights[term] = min(weights[term], light)
                alternatives.pop(term, None)
        paired: tuple[frozenset[str], ...] = ()
        if (
            not people
            and (pair := _PAIR.search(question.text))
            # two bodies (甲中心跟乙联盟什么关系) are related in the sentences naming them
            and not any(names_a_body(_squash(thing)) for thing in pair.group(1, 2))
        ):
            paired = tuple(
                _longest(t for t in self.kb.terms_in(thing) if len(t) > 1 and self.kb.knows(t))
                for thing in pair.group(1, 2)
            )
            if all(paired):
                # the frame word (区别, 关系) is what the sentence says of the two, not a word of it
                frame = set(self.kb.terms_in(pair.group(3)))
                weights = {t: min(w, light) if t in frame else w for t, w in weights.items()}
                weak_synonyms = tuple((w, m) for w, m in weak_synonyms if w not in frame)
            else:
                paired = ()
        weak: dict[str, frozenset[str]] = {}
        for word, mates in weak_synonyms:
            for term in self.kb.terms_in(word):
                weak[term] = weak.get(term, frozenset()) | frozenset(mates)
        for term, weight in weights.items():
            if (
                weight < self._max_weight
                and term not in alternatives
                and term not in weak
                and term not in retold
                and self._names_a_fact(term)
            ):
                weights[term] = self._max_weight
        return _Asked(
            weights,
            subject,
            alternatives,
            names,
            weak,
            phrases,
            counts_people=bool(_COUNTS_PEOPLE.search(question.text)),
            counted=(counted := self._counted(question, tagged)),
            counted_said=(counted,)
            if TITLE_RE.fullmatch(counted)  # 几位副主任: the post itself, not 主任
            else tuple(
                t
                for t in self.kb.tokenizer.tokenize(counted)
                if len(t) > 1 and t != counted and not self._mere_kind(t) and t in counted
            )
            or (counted,),
            retold=frozenset(retold),
            retold_needs=frozenset(n for n in retold.values() if n),
            paired=paired,
            measure=m.group(1) if (m := _MEASURE.search(question.text)) else "",
            counts_each=len(_MEASURE.findall(question.text)) > 1,
            unfindable=frozenset(
                t
                for t, w in weights.items()
                if w <= light and len(t) > 1 and not self.kb.knows(t) and t not in alternatives
            ),
        )

    def _acts_on(
        self, tagged: list[tuple[str, str]], people: tuple[str, ...]
    ) -> re.Pattern[str] | None:
        """<thing> 对|让 <thing>: a clause that begins with the first and names the second."""
        things = [
            i
            for i, (word, flag) in enumerate(tagged)
            if len(word) > 1
            and (flag[:1] in ("n", "x", "j") or flag == "vn")
            and _HAN.match(word)
            and self.kb.knows(word)
            and word not in people
            and not self.kb.people_in(word)
        ]
        for i, (word, _) in enumerate(tagged):
            if word not in _ACTS_ON:
                continue
            before = [t for t in things if t < i]
            after = [t for t in things if t > i]
            if before and after and before[-1] >= i - 2:
                subject, target = tagged[before[-1]][0], tagged[after[0]][0]
                return re.compile(
                    rf"(?:^|[，。；：！？,;:])(?:{re.escape(subject)})[^。；;！？]*?{re.escape(target)}"
                )
        return None

    def _counted(self, question: Question, tagged: list[tuple[str, str]]) -> str:
        """What a how-many question counts; not the event itself, or a word for it
        (会议有多少人: people at it, not 会议)."""
        counted = next(iter(counted_words(tagged)), "")
        subject = self.kb.persona.subject
        for_it = {p for p, words in question.synonyms if any(w in subject for w in words)}
        return "" if counted in subject or counted in for_it else counted

    def _numeral_off(self, term: str, chosen: list[_Candidate]) -> bool:
        """Whether a quote says a word that is ``term`` but for one numeral (十三五 for 十二五,
        三届 for 四届): the claim names another of its kind."""
        for candidate in chosen:
            for said in self.kb.terms_in(candidate.sentence):
                if len(said) != len(term) or said == term:
                    continue
                off = [(a, b) for a, b in zip(said, term, strict=True) if a != b]
                if len(off) == 1 and all(ch in _NUMERALS for ch in off[0]):
                    return True
        return False

    def _unborne(self, asked: _Asked) -> list[str]:
        """The verbs and adjectives of a claim the knowledge never uses (更谨慎, 收紧)."""
        return [
            t
            for t in asked.weights
            if len(t) > 1
            and not self.kb.knows(t)
            and t not in asked.alternatives
            and t not in asked.weak
            and t not in lexicon.words("light_verbs")
            and t not in lexicon.words("function_words")
            and t not in lexicon.cues("retold")
            and not self._mere_kind(t)
            and not _NOW.fullmatch(t)
            and not self._done(t)  # 担任过
            and all(f[:1] in ("a", "v") for _, f in self.kb.tokenizer.tag(t))
        ]

    def _post_added(self, claim: str) -> bool:
        """A post claimed on top of someone's (张明还担任分委会的顾问吗) of a body no sentence
        gives that post to anyone: their other posts do not deny it, and the report does not
        say; 还担任分委会主任吗, where another holds it, is 不是."""
        post = next(TITLE_RE.finditer(claim), None)
        if post is None or not _ADDITIONAL.search(claim[: post.start()]):
            return False
        bodies = [
            w
            for w, f in self.kb.tokenizer.tag(claim[: post.start()])
            if len(w) > 1
            and (f[:1] in ("n", "x") or names_a_body(w))
            and self.kb.knows(w)
            and w not in self.kb.names
        ]
        if not bodies:
            return False
        held = re.compile(rf"{re.escape(bodies[-1])}[^，。；、]{{0,8}}{re.escape(post.group())}")
        return not any(
            held.search(_squash(p.text))
            for p, _ in self.kb.search_terms([bodies[-1], post.group()], SEARCH_DEPTH)
        )

    def _unsettled(self, asked: _Asked, chosen: list[_Candidate]) -> bool:
        """A claim in words the knowledge never uses that no quote frames (现场有人提问吗,
        after a talk): the report neither bears it out nor says otherwise. Framed, every other
        word of the claim is in one quote (政府要以更谨慎的态度推进: 政府要以…的态度推进), and
        the claim is 不是."""
        said = frozenset().union(*(self.kb.terms_in(c.sentence) for c in chosen))
        loose = [  # 提问: only 词林's words for it, and no quote has one
            t
            for t, mates in asked.weak.items()
            if mates.isdisjoint(said)
            and all(f[:1] in ("a", "v") for _, f in self.kb.tokenizer.tag(t))
        ]
        if not self._unborne(asked) and not loose:
            return False
        light = self._max_weight * LIGHT_WEIGHT
        named = frozenset().union(*asked.people.values()) if asked.people else frozenset()
        subject = self.kb.terms_in(self.kb.persona.subject)  # 论坛上: every passage says it
        known = [
            t
            for t, w in asked.weights.items()
            if w > light and self.kb.knows(t) and t not in named and t not in subject and len(t) > 1
        ]
        if (
            loose
            and not known
            # 张明发言了吗: said in the report's words for speaking (发表了感言), not this one
            and not any(
                t in asked.alternatives or t in lexicon.words("speech_verbs") for t in loose
            )
        ):  # 张明结婚了吗: the claim is its loose word, no quote has it
            return True
        return not any(
            all(
                asked.says(t, self.kb.terms_of(c.passage) | self.kb.terms_in(c.sentence))
                for t in known
            )
            for c in chosen
        )

    def _not_of_its_subject(self, claim: str, chosen: list[_Candidate]) -> bool:
        """A claim about a place or body (江城这次获奖了没) that no quote names: what the quotes
        say of others (the prizes given to 50 cities) neither bears it out nor denies it. The
        subject is the first name the claim gives; the event itself is none."""
        subject = self.kb.terms_in(self.kb.persona.subject)
        first = next(
            (
                w
                for w, f in self.kb.tokenizer.tag(claim)
                if len(w) > 1 and (f in ("ns", "nt", "nr") or w in self.kb.bodies)
            ),
            None,
        )
        if first is None or first in subject or not self.kb.knows(first):
            return False
        return not any(first in _squash(c.sentence) or first == c.passage.speaker for c in chosen)

    def _unheard_runs(self, text: str) -> list[str]:
        """A word the tokenizer cut into characters the knowledge never uses (茶歇 as 茶|歇):
        a thing a claim names, which no passage can bear out."""
        runs, run = [], ""
        stop = self.kb.tokenizer.stopwords | lexicon.words("function_words")
        for word, flag in self.kb.tokenizer.tag(text):
            if (
                len(word) == 1
                and _HAN.match(word)
                and not self.kb.knows(word)
                and word not in stop
                and (run or flag.startswith("n"))  # a thing's name opens with a noun (开滴: no)
            ):
                run += word
                continue
            if len(run) > 1:
                runs.append(run)
            run = ""
        return runs + ([run] if len(run) > 1 else [])

    def _listed_instead(
        self, claim: str, unheard: list[str], people: tuple[str, ...]
    ) -> list[_Candidate]:
        """A claim of one of a kind of thing the report lists in full (设了创新领袖奖吗, where it
        gives 创新服务奖、创新设计奖…): the list, asked for as 设了哪些奖, when the thing
        claimed ends in the word its items end in and is none of them. A thing of no listed
        kind (有奖金吗) stays unknown, and refused. Of one person, a post of theirs with
        another word before it (张明是全职教授吗, where he is 兼职教授): what they are."""
        for word in unheard:
            end = re.match(rf"{re.escape(word)}([^\W吗呢吧了的]{{0,3}})", claim[claim.find(word) :])
            if end is None:
                continue
            named = end.group()
            post = named[len(word) :]
            if len(people) == 1 and post and TITLE_RE.fullmatch(post):
                quotes = self._quotes_for(claim.replace(named, f"什么{post}", 1))
                # its own word of that kind before the post (兼职 for 全职: they share 职)
                if (
                    quotes
                    and people[0] in quotes[0].sentence
                    and any(
                        m.group(1) != word and set(m.group(1)) & set(word)
                        for m in re.finditer(
                            rf"(\w{{{len(word)}}}){re.escape(post)}", quotes[0].sentence
                        )
                    )
                ):
                    return quotes[:1]
                continue
            head = named[-1]
            quotes = self._quotes_for(claim.replace(named, f"哪些{head}", 1))
            items = rf"(?:^|[、，,和及与：])[^、，,和及与：。]{{2,8}}{re.escape(head)}(?=[、，,和及与。；]|$)"
            if (
                quotes
                and named not in quotes[0].sentence
                and len(re.findall(items, quotes[0].sentence)) >= LISTED_AT_LEAST
            ):
                return quotes[:1]
        return []

    def _retold(self, tagged: list[tuple[str, str]], people: tuple[str, ...]) -> dict[str, str]:
        """The verbs the knowledge never uses in a retelling of what someone said, each with
        the thing it asks for, which the answer must say (张明说政府得拿出什么态度: 拿出, 态度):
        the user's words for the talk's, not a fact the report must state. Only so when the
        verb asks for a thing the knowledge names: asked how it is done (该怎么监管), or for
        whom (抢走谁的工作), the verb is the fact. A retelling is of someone: a person named,
        or asked after (谁认为…, 有位嘉宾说…)."""
        words = [w for w, _ in tagged]
        at = _retold_at(words)
        if at is None:
            return {}
        before = "".join(words[:at])
        if not any(who in before for who in people) and not any(
            w in before for w in lexicon.cues("retold_by")
        ):
            return {}
        # the cue's own word (按李华的说法): what was said, not a fact
        found: dict[str, str] = {
            t: "" for t in self.kb.tokenizer.tokenize(words[at]) if not self.kb.knows(t)
        }
        for i in range(at + 1, len(tagged)):
            word, flag = tagged[i]
            unknown = [
                t for t in self.kb.tokenizer.tokenize(word) if len(t) > 1 and not self.kb.knows(t)
            ]
            if flag not in ("v", "vn") or not unknown or words[i - 1] in _MANNER:
                continue
            rest = [(w, f) for w, f in tagged[i + 1 : i + 4] if w not in ("了", "的", "出", "个")]
            if len(rest) > 1 and rest[0][0] in _ASKS_THING and rest[1][1][:1] == "n":
                thing = rest[1][0]  # 拿出什么态度: 态度, to be said; 达到什么状态: any
                if self.kb.knows(thing):
                    found.update((t, "" if self._mere_kind(thing) else thing) for t in unknown)
            elif "把" in words[max(at, i - 4) : i] and any(
                w in _ASKS_THING for w in words[max(at, i - 3) : i]
            ):  # 把什么东西贯通起来: what is done to is asked, not how it is worded
                found.update((t, "") for t in unknown)
            elif rest and (
                rest[0][0] == "在" or (rest[0][1] in ("v", "vn") and self.kb.knows(rest[0][0]))
            ):
                found.update((t, "") for t in unknown)  # 提前研究: how, of a verb it does use
        return found

    def _paraphrased(
        self,
        tagged: list[tuple[str, str]],
        people: tuple[str, ...],
        asked: _Asked,
        unsaid: list[str],
        strict: bool = False,
    ) -> bool:
        """Whether the one verb the knowledge never uses is the user's paraphrase of what
        one person said (张明说管理要变得更高效: 变得): asked as a retelling of them (a verb of
        saying after their name), and a passage about them that covers the question even
        with that verb weighed in full as missing. A fact the report lacks (张明说该由谁投资)
        leaves too little of the question covered to pass."""
        if len(people) != 1:
            return False
        words = [w for w, _ in tagged]
        at = _retold_at(words)
        if at is None or people[0] not in "".join(words[:at]):
            return False
        hits = self.kb.search_terms(list(asked.weights), SEARCH_DEPTH)
        if len(unsaid) == 1 and not strict:
            return any(
                self._about(p, people[0])
                and asked.coverage(self.kb.terms_of(p)) >= PARAPHRASE_COVERAGE
                for p, _ in hits
            )
        # several words of the user's own (借助…现成的平台), or a ``strict`` label of a kind
        # (口号): what the passage says of the rest must be nearly all of it, in more than one
        # word besides the name
        light = self._max_weight * LIGHT_WEIGHT
        rest = replace(asked, unfindable=asked.unfindable | frozenset(unsaid))
        content = [
            t
            for t, w in asked.weights.items()
            if w > light and t not in unsaid and t not in self.kb.terms_in(people[0])
        ]
        return any(
            self._about(p, people[0])
            and rest.coverage(terms := self.kb.terms_of(p)) >= PARAPHRASE_COVERAGE
            and sum(t in terms for t in content) >= PARAPHRASED_WORDS
            for p, _ in hits
        )

    def _said_with(self, people: tuple[str, ...], words: Iterable[str]) -> bool:
        """Whether a passage naming all of ``people`` says one of ``words``: 词林 is too
        loose to stand in for the kind of thing asked (功能 for 作用, 企业 for 公司) but what
        someone is asked to have said (张明认为带来什么样的机会) may be said in its word for it
        (机遇)."""
        words = set(words)
        if not people or not words:
            return False
        names = [self.kb.terms_in(who) for who in people]
        hits = self.kb.search_terms([*itertools.chain(*names), *words], SEARCH_DEPTH)
        return any(
            all(n <= (terms := self.kb.terms_of(p)) for n in names) and not words.isdisjoint(terms)
            for p, _ in hits
        )

    def _names_a_fact(self, term: str) -> bool:
        """A verb the knowledge never uses, with no synonym it does, that is not one of the
        verbs questions use to point at what was said (提到, 包括): 出生, 毕业, 创办 name
        facts the report would have to state."""
        if len(term) < 2 or self.kb.knows(term) or term in lexicon.words("light_verbs"):
            return False
        if self._done(term):
            return False  # 讲完之后: 讲, done
        flags = [flag for _, flag in self.kb.tokenizer.tag(term)]
        return flags in (["v"], ["vn"])

    def _done(self, term: str) -> bool:
        """Whether ``term`` is a verb the knowledge uses, or a light or speech verb, with what
        only says it was done (讲完, 担任过): it asks that verb."""
        return any(
            term.endswith(c)
            and (verb := term[: -len(c)])
            and (
                self.kb.knows(verb)
                or verb in lexicon.words("light_verbs")
                or verb in lexicon.words("speech_verbs")
            )
            for c in lexicon.cues("complements")
        )

    # -- extraction ------------------------------------------------------------------
    def _sections_by_term(self) -> dict[str, frozenset[str]]:
        by_term: dict[str, set[str]] = {}
        for section in self.kb.sections:
            for term in self.kb.terms_in(section):
                by_term.setdefault(term, set()).add(section)
        return {term: frozenset(sections) for term, sections in by_term.items()}

    def _parts_named(
        self, question: Question, asked: _Asked, people: tuple[str, ...]
    ) -> tuple[dict[str, frozenset[str]], tuple[str, ...]]:
        """The parts of the documents a question names, each with what its passages are to
        be read as saying, and the people named only as their hosts. A part is named by a
        word of its heading no other heading has (圆桌论坛上有几位嘉宾做了分享), or by its
        host (赵敏主持的环节): each of its passages says its heading, and its host, though
        the list of who spoke may stand in a passage of its own."""
        self._joined = {}
        subject = self.kb.terms_in(self.kb.persona.subject)
        by_term = self.kb.derived("sections by term", self._sections_by_term)
        parts: dict[str, set[str]] = {
            next(iter(by_term[t])): set()
            for t in asked.weights
            if len(t) > 1
            and t not in subject
            and len(by_term.get(t, ())) == 1
            and t not in self.kb.names  # a talk is asked after by its speaker's name anyway
            and all(f.startswith("n") and f != "nr" for _, f in self.kb.tokenizer.tag(t))
        }
        for section in self._titled_part(question.text):
            parts.setdefault(section, set())
        hosts = []
        for name, verb in itertools.product(people, lexicon.cues("host_verbs")):
            if f"{name}{verb}" not in question.text:
                continue
            found = self.kb.search_terms([*self.kb.terms_in(name), verb], SEARCH_DEPTH)
            hosted = {p.section for p, _ in found if f"{name}{verb}" in _squash(p.text)}
            for section in hosted:
                parts.setdefault(section, set()).update(self.kb.terms_in(f"{name}{verb}"))
            after = question.text[question.text.find(f"{name}{verb}") + len(name) + len(verb) :]
            if hosted and (
                question.intent in (Intent.WHO, Intent.COUNT)
                # 赵敏主持的环节有哪些分享主题: the part, named by its host, is asked of
                or (_PART_NAMED_NEXT.match(after) and _ASKS_WHICH.search(after))
            ):
                hosts.append(name)  # 赵敏主持的环节有几位嘉宾: the guests, not 赵敏
        for name in people:
            if not _joined_part(name).search(question.text):
                continue
            found = self.kb.search_terms(list(self.kb.terms_in(name)), SEARCH_DEPTH)
            joined = {p.section for p, _ in found if name in p.text and p.kind not in SET_APART}
            if len(joined) == 1:  # 张明参加的那场对话是谁主持的: asked of the part, not of him
                section = next(iter(joined))
                parts.setdefault(section, set()).update(self.kb.terms_in(name))
                hosts.append(name)
                self._joined[name] = section
        return {
            section: frozenset(extra | self.kb.terms_in(section))
            for section, extra in parts.items()
        }, tuple(hosts)

    def _titled_part(self, text: str) -> list[str]:
        """The part a question names by its title, when its title alone is no unique word:
        对话研讨：某某建设, where a talk has the title 某某建设 too, is the dialogue, told
        from the talk by the other words of its heading (对话, 研讨) the question has."""
        text = _squash(text)
        titles = self.kb.derived(
            "titles of parts",
            lambda: [
                (section, title)
                for section in self.kb.sections
                if len(title := _squash(_heading_title(section))) >= MIN_TITLE_CHARS
            ],
        )
        titled = [(section, title) for section, title in titles if title in text]
        if len(titled) > 1:
            words = self.kb.terms_in(text)
            titled = [
                (section, title)
                for section, title in titled
                if (self.kb.terms_in(section) - self.kb.terms_in(title)) & words
            ]
        return [titled[0][0]] if len(titled) == 1 else []

    def _sentence_terms(self, sentence: str, passage: Passage, implied: frozenset[str]) -> set[str]:
        """What a sentence says, read in its context."""
        terms = set(self.kb.terms_in(sentence))
        terms.update(self.kb.terms_of(passage) & implied)  # what the passage is about
        terms.update(self._parts.get(passage.section, ()))  # the part the question names
        if passage.speaker:  # the citation names the speaker, so the sentence "says" it
            terms.update(self.kb.terms_in(passage.speaker))
        return terms

    def _clip(self, sentence: str, asked: _Asked, limit: int, who: bool = False) -> str:
        """A long sentence is cut to the run of clauses that matches the question best; asked
        who or how many, the run that names the most people (a list of seven speakers and
        their topics keeps the speakers)."""
        if len(sentence) <= limit:
            return sentence
        clauses = _CLAUSE.findall(sentence)
        best, best_score = sentence[:limit], -1.0
        for start in range(len(clauses)):
            text = ""
            for clause in clauses[start:]:
                if len(text) + len(clause) > limit:
                    break
                text += clause
            score = asked.coverage(self.kb.terms_in(text))
            if who:
                score += len(self.kb.people_in(text))
            if score > best_score:
                best, best_score = text, score
        best = best.rstrip("，,、：:；")
        prefix = "" if sentence.startswith(best) else "…"
        suffix = "" if sentence.endswith(best) else "…"
        return prefix + best + suffix

    def _people(self, question: Question, tagged: list[tuple[str, str]]) -> tuple[str, ...]:
        """The people a question names, as the sources spell them, in the question's order:
        the speakers, and the words of the question that are people the sources name (jieba
        tags 司法厅 as a name, so its tag alone does not make one)."""
        speakers = {name for name in self._names if name in question.text}
        if not self.resources.entities:  # jieba's own reading of names
            named = {w for w, f in tagged if f == "nr" and len(w) > 1 and self.kb.knows(w)}
            return tuple(sorted(speakers | named, key=question.text.find))
        named = {word for word, _ in tagged if word in self.kb.names}
        return tuple(sorted(speakers | named, key=question.text.find))

    def _named_in(self, question: Question, sentence: str) -> frozenset[str]:
        """Who a sentence names: anyone the sources name, not only the speakers (赵敏 gives
        no talk). Only a question that asks who looks at it."""
        if question.intent is not Intent.WHO:
            return frozenset()
        # the guests, not the host; and someone else than the one asked of (张明说要从谁的
        # 问题出发: whose, not 张明 again)
        named = self.kb.people_in(sentence) - frozenset(self._hosts)
        if _ASKS_WHOM.search(question.text) and len(self.kb.people_in(question.text)) == 1:
            named = frozenset(n for n in named if n not in question.text)
        return named

    def _about(self, passage: Passage, person: str) -> bool:
        return person in self.kb.terms_of(passage)

    def _found(
        self, question: Question, asked: _Asked, people: tuple[str, ...], depth: int
    ) -> tuple[list[tuple[Passage, float]], dict[str, float], list[tuple[Passage, float]]]:
        """BM25's ``depth`` best passages, each one's coverage of the question, and those an
        answer may quote (as many as ``depth`` allows past SEARCH_DEPTH)."""
        hits = self.kb.search_terms([*asked.weights, *question.expansions], depth)
        covered = {
            p.id: asked.coverage(self.kb.terms_of(p) | self._parts.get(p.section, frozenset()))
            for p, _ in hits
        }
        quote = QUOTE_DEPTH if depth == SEARCH_DEPTH else depth
        return hits, covered, self._quotable(people, hits, covered, quote)

    def _quotable(
        self,
        people: tuple[str, ...],
        hits: list[tuple[Passage, float]],
        coverage: dict[str, float],
        depth: int = QUOTE_DEPTH,
    ) -> list[tuple[Passage, float]]:
        """The passages an answer may quote: of those BM25 found, the ones that cover most of
        what the question asks (a short passage repeating one of its words can outrank the
        one that has them all). A question that names someone is about them (王强担任什么职务
        is not answered by who else 担任 something), so only passages that name them, or
        are their talk, qualify, however well the rest match; naming several
        (张明和李华分别讲了什么), the best passage about each qualifies. ``coverage``:
        each hit's, by passage id; the best covered comes first; ``depth`` of them."""
        hits = sorted(hits, key=lambda hit: -coverage[hit[0].id])
        if not people:
            return hits[:depth]
        about = [(p, s) for p, s in hits if any(self._about(p, who) for who in people)]
        quotable = about[:depth]
        for who in people:
            if not any(self._about(p, who) for p, _ in quotable):
                quotable += [(p, s) for p, s in about if self._about(p, who)][:1]
        return quotable

    def _one_for_each(
        self, question: Question, people: tuple[str, ...], candidates: list[_Candidate]
    ) -> list[_Candidate]:
        """The best sentence about each person a question names, when it names several and
        asks of each (分别, 各自), or when the best sentence is not about all of them."""
        if len(people) < 2:
            return []
        of_each = asks_each(question.text)
        if not of_each and all(self._about(candidates[0].passage, who) for who in people):
            return []  # 李华和张明一起…: a text about both answers it
        firsts: list[_Candidate] = []
        for who in people:
            about = [c for c in candidates if self._about(c.passage, who) and c not in firsts]
            # of the sentences nearly as good as their best, one naming them; what sets them
            # apart, a passage about them alone, only among those (a caption of their name
            # says less than 张明担任分委会主任 asked what each is in the committee)
            near = [c for c in about if c.score >= 0.8 * about[0].score and who in c.sentence]
            about = near or about
            alone = [c for c in about if sum(self._about(c.passage, o) for o in people) == 1]
            if alone or about:
                firsts.append((alone or about)[0])
        return firsts

    def _candidates(
        self,
        question: Question,
        asked: _Asked,
        quotable: list[tuple[Passage, float]],
        top: float,
    ) -> list[_Candidate]:
        expansions = set(question.expansions)
        out = []
        people_counted = question.intent is Intent.COUNT and asked.counts_people
        for passage, score in quotable:
            for sentence in split_sentences(passage.text):
                terms = self._sentence_terms(sentence, passage, asked.implied)
                if people_counted:  # 几位…: a number of people, or less so, people named
                    if _PEOPLE_COUNT.search(sentence):
                        bonus = 1.0
                    else:
                        named = self.kb.people_in(sentence) - frozenset(self._hosts)
                        bonus = 0.6 if len(named) > 1 else 0.0
                else:
                    bonus = intent_bonus(
                        question.intent, sentence, self._named_in(question, sentence)
                    )
                value = (
                    asked.coverage(terms)
                    + 0.4 * bonus
                    + 0.3 * score / top
                    + 0.1 * (len(expansions & terms) / len(expansions) if expansions else 0.0)
                    + SECTION_NAMED_BONUS * (passage.section in self._parts)
                    + BEYOND_BONUS * bool(self._beyond and self._beyond.search(_squash(sentence)))
                    + ACTING_BONUS * bool(self._acting and self._acting.search(_squash(sentence)))
                )
                out.append(_Candidate(sentence, passage, score, value))
        return sorted(out, key=lambda c: -c.score)

    # -- composition -----------------------------------------------------------------
    def answer(
        self, raw_question: str, exclude: frozenset[str] = frozenset(), whole: bool = False
    ) -> Answer:
        """``exclude``: sentences not to quote again (shown to this user already); ``whole``:
        one question, not two however it reads."""
        answer = (None if whole else self._in_two(raw_question, exclude)) or self._answer(
            raw_question, exclude
        )
        not_found = self.replies.not_found
        if answer.text == not_found and not _HAN.search(raw_question):
            return replace(answer, text=f"{not_found}\n\n{self.replies.in_chinese_please}")
        return answer

    def _who_claimed(self, raw_question: str, claim: str, people: tuple[str, ...]) -> Answer | None:
        """大会论坛是张明主持的吗, 分委会主任是李华吗: a claim of who did something or holds a
        post is the who-question it answers (大会论坛是谁主持的), answered, then held against
        the one claimed: 是的 when its quotes name them, 不是 and who it was when they name one
        other. None (the claim is judged as any other) when it is of the person's own (张明是
        云山大学的吗, the name before 是), when the part it names is one of theirs or the post
        one they hold (one of several talks, dialogues or 主任s: the who-question's one answer
        is not all of them), or when its quotes name several others."""
        if len(people) != 1:
            return None
        person = people[0]
        at = claim.find(person)
        before, after = claim[:at], claim[at + len(person) :]
        # …是张明…, or 大会论坛张明主持的 (a verb of theirs after the name, 是 left out)
        if at < 0 or len(before) < 3 or not (before.endswith("是") or _DONE_BY.match(after)):
            return None
        # only the parts the claim names are read for them, not every part of the documents
        if next(self._sections_naming(person, self._parts_called(claim)), None) or any(
            post in role
            for post in (m.group() for m in TITLE_RE.finditer(before))
            for role in self.kb.roles.get(person, ())
        ):
            return None
        asked = self._asked_instead(f"{before}谁{after}", Intent.WHO)
        if asked is None:
            return None
        chosen, lead = asked
        named = self.kb.people_in(lead).union(
            *(self.kb.people_in(c.sentence) for c in chosen),
            {c.passage.speaker for c in chosen if c.passage.speaker},
        )
        if person in named:
            verdict = "是的。"
        elif len(named) == 1:
            verdict = f"不是，是{next(iter(named))}。"
        else:
            return None
        return self._claim_judged(raw_question, verdict, chosen, "who the report says it was")

    def _role_claimed(
        self, raw_question: str, claim: str, people: tuple[str, ...]
    ) -> Answer | None:
        """代表获奖城市发言的是江城市副市长吗: a claim of who did something, by where they are
        from (and their post), is the who-question it answers, held against the one person
        its quotes name: 是的 when their roles name that place (and post), 不是 and who it
        was when not. None for a claim naming a person, or of no place the knowledge has."""
        at = claim.rfind("是")
        if people or at < 3:
            return None
        before, role = claim[:at], claim[at + 1 :]
        tagged = self.kb.tokenizer.tag(role)
        if not tagged or tagged[0][1] != "ns":
            return None
        found = self.kb.search_terms(list(self.kb.terms_in(tagged[0][0])), SEARCH_DEPTH)
        said = [_squash(p.text) for p, _ in found]
        place = next(  # 云城市, though the tokenizer cuts 云城|市
            (role[:n] for n in range(len(role), 1, -1) if any(role[:n] in t for t in said)), ""
        )
        if not place:
            return None
        rest = role[len(place) :].lstrip("的")
        post = rest if TITLE_RE.fullmatch(rest) else ""
        if not post and rest not in lexicon.cues("someone_from"):
            return None
        asked = self._asked_instead(f"{before}是谁", Intent.WHO)
        if asked is None:
            return None
        chosen, lead = asked
        named = self.kb.people_in(lead).union(*(self.kb.people_in(c.sentence) for c in chosen))
        if len(named) != 1:
            return None
        who = next(iter(named))
        theirs = "、".join(  # their roles, and what the quotes say of them
            [
                *self.kb.roles.get(who, ()),
                *(person_window(c.sentence, who, self.kb.names) for c in chosen),
            ]
        )
        holds = place in theirs and (not post or post in theirs)
        verdict = "是的。" if holds else f"不是，是{who}。"
        return self._claim_judged(raw_question, verdict, chosen, "where the one who did it is from")

    def _where_claimed(self, raw_question: str, claim: str) -> Answer | None:
        """论坛是在江城举行的吗: the where-question it answers (论坛是在哪里举行的), answered,
        then held against the place claimed: 是的 when the place the quote gives says it, 不是
        when it names another the knowledge knows; a place it never names (not said to be
        wrong: it may lie within the one given) is told with what the report says."""
        place = place_claimed(claim)
        if (
            not place
            or place.endswith("下")
            or names_a_body(place)
            or any(
                f[:1] in ("t", "m") or w in ("期间", "时候", "时")  # 在春节期间: a time
                for w, f in self.kb.tokenizer.tag(place)
            )
        ):
            return None
        asked = self._asked_instead(claim.replace(f"在{place}", "在哪里", 1), Intent.WHERE)
        if asked is None:
            return None
        chosen, _ = asked
        held = _squash("".join(places_held(chosen[0].sentence)))
        if not held:
            return None
        bare = place.removesuffix("市").removesuffix("省")  # 江城市: 江城大学… is in 江城
        # and what the synonym tables say it stands for (云大: 云山大学)
        said_as = (*self.kb.synonyms.means(place), *lexicon.synonyms().means(place))
        forms = {_squash(p) for p in (place, bare, *said_as)}
        if any(form in held for form in forms):
            verdict = "是的。"
        elif self.kb.knows(place) or place in self.kb.names:
            verdict = "不是。"
        else:
            verdict = self.replies.not_said_where.format(place=place)
        return self._claim_judged(raw_question, verdict, chosen, "the place the report gives")

    def _sections_naming(
        self, person: str, among: Iterable[str] | None = None
    ) -> Iterator[tuple[str, Passage, str]]:
        """Each part of the documents (or of ``among``) whose running text names ``person``,
        in reading order, with the first of its passages and sentences that does."""
        for section in self._units() if among is None else among:
            found = next(
                (
                    (passage, sentence)
                    for passage in self._in_section(section)
                    if passage.kind not in SET_APART
                    for sentence in split_sentences(passage.text)
                    if person in sentence
                ),
                None,
            )
            if found is not None:
                yield section, *found

    def _asked_instead(self, question: str, intent: Intent) -> tuple[list[_Candidate], str] | None:
        """The quotes and lead of ``question``, a claim asked as the question it answers, when
        it is answered as a question of that kind."""
        with self._aside():
            self._chosen = []
            answered = self._answer(question).answered
            kind, chosen, lead = self.reading.get("kind"), self._chosen, self._lead_said
        if not answered or not chosen or kind != intent.value:
            return None
        return chosen, lead

    def _claim_judged(
        self, raw_question: str, verdict: str, chosen: list[_Candidate], against: str
    ) -> Answer:
        self._chosen = chosen
        return self._decided(
            self._reply(raw_question, verdict, chosen, 0.0, 1.0),
            f"answered: the claim held against {against}",
        )

    def _in_two(self, raw_question: str, exclude: frozenset[str]) -> Answer | None:
        """张明演讲的题目是啥，他在分委会担任什么: two questions, each answered on its own
        and replied to in one. The second is asked of what the first is about when it names
        nothing of its own: its 他 is the first's person (or whom the first answer names,
        谁主持的大会论坛，他说了啥), its 这个单位 their body, and a second opening with no
        subject (在分委会担任什么, 主题是什么) takes the first's. None unless it is two
        questions and both are answered; when one quote answers both, it is said once."""
        parts = two_questions(normalize_question(raw_question))
        if parts is None or not self._asks_something(parts[0]):
            return None
        first, second = parts
        one = Composer(self.kb, self.resources)
        answer = one._answer(first, exclude)
        if not answer.answered or not one._chosen:
            return None
        second = self._in_terms_of(first, second, one._chosen)
        if not self._asks_something(second):
            return None
        two = Composer(self.kb, self.resources)
        other = two._answer(second, exclude)
        if not other.answered or not two._chosen:
            return None
        shown = {_squash(c.sentence) for c in one._chosen}
        if all(_squash(c.sentence) in shown for c in two._chosen):
            # the second's answer is the first's (张明的演讲题目是什么？他在云山大学任什么职？:
            # one sentence gives both): said once
            self.reading = {**(answer.reading or {}), "parts": [first, second]}
            return self._decided(
                self._reply_in_parts(
                    raw_question,
                    [(one._lead_said, one._chosen), (two._lead_said, [])],
                    0.0,
                    1.0,
                ),
                "answered: two questions, one quote answering both",
            )
        self.reading = {**(answer.reading or {}), "parts": [first, second]}
        return self._decided(
            self._reply_in_parts(
                raw_question,
                [(one._lead_said, one._chosen), (two._lead_said, two._chosen)],
                0.0,
                1.0,
            ),
            "answered: two questions, each on its own",
        )

    def _asks_something(self, part: str) -> bool:
        """Whether a part of a question names something the knowledge has (不知道什么原因
        names nothing: it is no question of its own). A mere kind is something when it is
        the documents' subject (论坛在哪开的: the event itself) or what is counted or picked
        (来了多少嘉宾, 第几届)."""
        subject = self.kb.terms_in(self.kb.persona.subject)
        return any(
            len(t) > 1
            and self.kb.knows(t)
            and (t in subject or not self._mere_kind(t) or _kind_asked(part, t))
            and t not in lexicon.words("function_words")
            for t in self.kb.terms_in(strip_cues(part))
        )

    def _in_terms_of(self, first: str, second: str, answered: list[_Candidate]) -> str:
        """The second part of a two-part question, asked of what the first is about."""
        if self.kb.people_in(second):
            return second
        named = self.kb.people_in(first) or frozenset().union(
            *(self.kb.people_in(c.sentence) for c in answered[:1])
        )
        tagged = self.kb.tokenizer.tag(second)
        opens_bare = bool(tagged) and (
            tagged[0][1][:1] in ("v", "p", "d", "r")
            or self._mere_kind(tagged[0][0])
            or bool(TITLE_RE.fullmatch(tagged[0][0]))  # 主任是谁，秘书长是谁: of the same body
        )
        if len(named) == 1:
            who = next(iter(named))
            bodies = self.kb.bodies_of(who)
            if bodies and THING_POINTER.search(second):  # 这个单位: theirs
                return THING_POINTER.sub(bodies[0], second, count=1)
            if HE_OR_SHE.search(second):
                return HE_OR_SHE.sub(who, second, count=1)
            if self.kb.people_in(first):
                return who + second if opens_bare else second
        # 论坛在哪举行，主题是什么; 分委会主任是谁，秘书长是谁: what the first opens with
        subject = "".join(
            w
            for w, _ in itertools.takewhile(
                lambda pair: pair[1][:1] not in ("v", "p", "r", "d", "c", "u", "y"),
                self.kb.tokenizer.tag(first),
            )
        )
        return subject + second if subject and opens_bare and subject not in second else second

    def _answer(self, raw_question: str, exclude: frozenset[str] = frozenset()) -> Answer:
        self._lead_said = ""
        text = normalize_question(raw_question)
        if not text or is_greeting(text):
            return self._decided(
                Answer(raw_question, False, self.replies.introduction), "a greeting"
            )
        if is_thanks(text):
            return self._decided(
                Answer(raw_question, False, self.replies.you_are_welcome), "thanks"
            )
        understood = understand(self.kb.tokenizer.normalize(text), self.kb, self.resources)
        # 除了演讲还做了什么: what the answer must not be is no word the answer must have
        aside = self._set_aside(understood.text)
        self._beyond = (
            re.compile(f"(?:{_NOT_ONLY.pattern}).{{0,4}}{re.escape(aside.thing)}")
            if aside.thing
            else None
        )
        question = analyse(aside.text)
        question = replace(question, synonyms=(*question.synonyms, *understood.synonyms))
        question = replace(
            question,
            expansions=tuple(
                dict.fromkeys(
                    [*question.expansions, *(w for _, ws in understood.synonyms for w in ws)]
                )
            ),
        )
        tagged = self.kb.tokenizer.tag(question.text)
        answer_types = answer_type_words(tagged)
        people = self._people(question, tagged)
        self._acting = self._acts_on(tagged, people)
        # a claim is borne out in the report's words or its own synonyms, never 词林's (李华
        # 结婚了吗: 结婚 ~ 结合, which some sentence says)
        weak = () if understood.yes_no else understood.weak_synonyms
        asked = self._asked(question, tagged, people, weak, answer_types)
        if understood.yes_no:
            # 周杰是某报社的总编辑吗: a post the knowledge never names is judged by the posts
            # it gives them (社长: 不是), not counted as missing from the passages
            claimed = [m.group() for m in TITLE_RE.finditer(question.text)]
            asked = replace(
                asked,
                unfindable=asked.unfindable
                | {
                    t
                    for t in asked.weights
                    if not self.kb.knows(t) and any(t in p for p in claimed)
                },
            )
        self.reading.update(
            understood=understood.to_json(),
            kind=question.intent.value,
            people=list(people),
            weights={t: round(w, 2) for t, w in asked.weights.items()},
        )
        if beyond := parts_beyond(question.text, self.kb):  # 第三场对话 of two
            return self._decided(
                Answer(raw_question, False, self.replies.not_found),
                f"refused: the documents have no part {'、'.join(beyond)}",
            )
        if (
            understood.yes_no
            and self.resources.evidence
            and (
                judged := self._who_claimed(raw_question, understood.text, people)
                or self._role_claimed(raw_question, understood.text, people)
                or self._where_claimed(raw_question, understood.text)
            )
        ):
            return judged
        if (
            question.intent is Intent.COUNT
            and not people
            and (per_part := self._per_part(question, asked))
        ):
            values, quotes = per_part
            measure = asked.measure or ("位" if asked.counts_people else "个")
            lead = (
                f"分别为 {'、'.join(f'{v} {measure}' for v in values)}。"
                if asks_each(question.text)
                else f"共 {sum(values)} {measure}。"
            )
            self._chosen = quotes
            return self._decided(
                self._reply(raw_question, lead, quotes, 0.0, 1.0),
                "answered: counted in each part of the kind asked of",
            )
        if not understood.yes_no and (joined := self._parts_joined(question, asked, people)):
            lead, quotes = joined
            self._chosen = quotes
            return self._decided(
                self._reply(raw_question, lead, quotes, 0.0, 1.0),
                "answered: every part of the event that names them",
            )
        if members := [
            m
            for m in self._of_a_set(question, asked, people)
            if m.passage.speaker not in aside.people
        ]:
            measure = asked.measure or ("位" if asked.counts_people else "个")
            count = f"共 {len(members)} {measure}。" if question.intent is Intent.COUNT else ""
            self._chosen = members
            return self._decided(
                self._reply(raw_question, count, members, 0.0, 1.0),
                "answered: asked of a set as a whole, each member's opening once",
            )
        if not understood.yes_no and (beside := self._beside(question, asked, people)):
            name, quote = beside
            self._chosen = [quote]
            lead = "" if quote.sentence.startswith(name) else f"{name}。"
            return self._decided(
                self._reply(raw_question, lead, [quote], 0.0, 1.0),
                "answered: the one next to them in the report's order",
            )
        if not understood.yes_no and not people and (placed := self._in_order(question, asked)):
            lead, quote = placed
            self._chosen = [quote]
            return self._decided(
                self._reply(raw_question, lead, [quote], 0.0, 1.0),
                "answered: first, last or next in the report's order",
            )
        if (
            understood.yes_no
            and not _LATER.search(question.text)  # 第十二届还会在…办吗: refused below
            and (judged := self._number_judged(raw_question, understood.text))
        ):
            return self._decided(judged, "answered: the number claimed, against the report's")
        if not asked.weights or any(
            _NUMBER.fullmatch(t) and not self.kb.knows(t) for t in asked.weights
        ):
            # a number the report never mentions (2018年的论坛) is a fact it cannot give
            return self._decided(
                Answer(raw_question, False, self.replies.not_found),
                "nothing to look up, or a number the knowledge never uses",
            )
        if self.resources.entities and (unknown := self._unknown_subject(question, tagged)):
            return self._decided(
                Answer(raw_question, False, self.replies.not_found),
                f"refused: asked of {unknown}, a place or body the knowledge never names",
            )
        if (
            self.resources.evidence
            and understood.yes_no
            and _LATER.search(question.text)
            and not any(verb in question.text for verb in lexicon.words("speech_verbs"))
        ):  # 李华后来当上市长了吗: what came after the day is not in its report
            return self._decided(
                self._not_found(raw_question, people, asked),
                "refused: asked about a time after the report's",
            )
        light = self._max_weight * LIGHT_WEIGHT
        unheard = [
            t
            for t, w in asked.weights.items()
            if w > light
            and len(t) > 1
            and not self.kb.knows(t)
            and t not in asked.alternatives
            and t not in asked.weak
            and t not in asked.unfindable
            and not self._mere_kind(t)
            and not _NOW.fullmatch(t)  # 现任: when the claim is, not a thing of it
            and self._names_a_thing(t)
            # a place or body named in a claim (张明是苏州的吗) is answered no with the one
            # the report gives
            and not any(f in ("ns", "nt", "nz", "nr") for _, f in self.kb.tokenizer.tag(t))
            and not names_a_body(t)  # 人民网, 科技部
        ]
        if understood.yes_no:
            unheard += self._unheard_runs(question.text)
        if understood.yes_no and unheard and self.resources.evidence:
            if listed := self._listed_instead(understood.text, unheard, people):
                return self._decided(
                    self._reply(raw_question, "不是。", listed, 0.0, 1.0),
                    f"answered no: {'、'.join(unheard)} is not among the ones the report lists",
                )
            # 获奖单位有奖金吗: a claim of a thing the knowledge never names can be neither
            # borne out nor denied by it
            return self._decided(
                self._not_found(raw_question, people, asked),
                f"refused: a claim of {'、'.join(unheard)}, which the knowledge never names",
            )
        unsaid = [
            t
            for t in asked.weights
            if self._names_a_fact(t)
            and t not in asked.alternatives
            and t not in asked.weak
            and t not in asked.retold
        ]
        if unsaid and not understood.yes_no and self._paraphrased(tagged, people, asked, unsaid):
            if len(unsaid) > 1:
                asked = replace(asked, unfindable=asked.unfindable | frozenset(unsaid))
            unsaid = []  # 张明说智慧城市让管理变得怎样: 变得 is the user's word for his
        if (
            unsaid and self.resources.evidence
        ):  # 晨光网是哪一年创办的: the report never says 创办, nor anything for it
            return self._decided(
                self._not_found(raw_question, people, asked),
                f"refused: the knowledge never says {'、'.join(unsaid)}, nor a synonym of it",
            )
        unnamed = [
            t
            for t in asked.weights
            if t in answer_types
            and len(t) > 1
            and not self.kb.knows(t)
            and t not in asked.alternatives
            and not self._said_with(people, asked.weak.get(t, ()))
            and not self._mere_kind(t)
            and t not in lexicon.words("light_verbs")  # 围绕什么展开讨论: what was done
            and all(f.startswith("n") for _, f in self.kb.tokenizer.tag(t))
        ]
        if (
            unnamed
            and not understood.yes_no
            and self._paraphrased(tagged, people, asked, unnamed, strict=True)
        ):
            # 张明说这是哪个口号的新趋势: 口号 is the user's label for what his passage says
            asked = replace(asked, unfindable=asked.unfindable | frozenset(unnamed))
            unnamed = []
        if unnamed and self.resources.evidence:  # 某APP有哪些功能: it never names 功能
            return self._decided(
                self._not_found(raw_question, people, asked),
                f"refused: the knowledge never names {'、'.join(unnamed)}, the kind asked for",
            )
        uncounted = [
            word
            for word in (counted_words(tagged) if question.intent is Intent.COUNT else ())
            if len(word) > 1 and not self.kb.knows(word) and word not in asked.alternatives
        ]
        if uncounted and self.resources.evidence:  # 云途有多少员工: it never says 员工
            return self._decided(
                self._not_found(raw_question, people, asked),
                f"refused: the knowledge never counts {'、'.join(uncounted)}",
            )
        ordinals = [o for o in _ORDINAL.findall(question.text) if not self.kb.knows(o)]
        if ordinals:
            if understood.yes_no and (
                chosen := self._quotes_for(_ORDINAL.sub("哪一届", understood.text, count=1))
            ):  # 这是第十届论坛吗: 不是, and which one it is
                return self._decided(
                    self._reply(raw_question, "不是。", chosen[:1], 0.0, 1.0),
                    f"answered no: the knowledge never says {'、'.join(ordinals)}",
                )
            return self._decided(  # 第十届 of a 第十二届 report
                Answer(raw_question, False, self.replies.not_found),
                "refused: an ordinal the knowledge never uses",
            )
        self._parts, self._hosts = self._parts_named(question, asked, people)
        people = tuple(p for p in people if p not in self._hosts)  # asked of their guests
        # what is set aside may be most of what matches best: look deeper past it
        depth = EVIDENCE_DEPTH if aside.talks or aside.people else SEARCH_DEPTH
        hits, covered, quotable = self._found(question, asked, people, depth)
        coverage = covered[quotable[0][0].id] if quotable else 0.0
        if (
            coverage < MIN_COVERAGE
            and understood.yes_no
            and len(people) == 1
            and self.resources.entities
        ):
            denied = self._denied(raw_question, understood.text, people[0])
            if denied is not None:
                return self._decided(denied, f"answered no: the claim is not made of {people[0]}")
        if not quotable:
            return self._decided(
                self._not_found(raw_question, people, asked), "refused: nothing found"
            )
        if coverage < MIN_COVERAGE:
            return self._decided(
                self._not_found(raw_question, people, asked, hits[0][1], coverage),
                f"refused: the best passage covers {coverage:.2f} of the question (< {MIN_COVERAGE})",
            )
        if aside.talks:  # 除了演讲: the talks set aside, and what is set apart with them
            quotable = [
                (p, sc)
                for p, sc in quotable
                if not (p.speaker and p.talk_title) and p.kind not in SET_APART
            ]
        if aside.people:  # 除了张明: not their talk
            quotable = [(p, sc) for p, sc in quotable if p.speaker not in aside.people]
        candidates = self._candidates(question, asked, quotable, hits[0][1])
        if aside.deed and len(people) == 1:
            done = [t for t in self.kb.terms_in(aside.deed) if len(t) > 1 and self.kb.knows(t)]
            candidates = [
                c
                for c in candidates
                if not all(
                    t in self.kb.terms_in(person_window(c.sentence, people[0], self.kb.names) or "")
                    for t in done
                )
            ]
        if exclude:
            shown = {_squash(s) for s in exclude}
            candidates = [c for c in candidates if not any(_squash(c.sentence) in s for s in shown)]
        if candidates and self.resources.evidence:
            carrying = self._carrying(question, asked, candidates)
            if carrying is None and len(hits) == SEARCH_DEPTH:
                # the fact asked for may rank lower among many passages: look deeper once
                _, deep_cover, more = self._found(question, asked, people, EVIDENCE_DEPTH)
                more = [(p, sc) for p, sc in more if deep_cover[p.id] >= MIN_COVERAGE]
                carrying = (
                    self._carrying(
                        question, asked, self._candidates(question, asked, more, hits[0][1])
                    )
                    if more
                    else None
                )
            if carrying is None and asked.paired:
                # 技术创新和社会管理创新: one of the two worded otherwise in the report (技术层面
                # 的创新): read as any other question
                carrying = self._carrying(question, replace(asked, paired=()), candidates)
            candidates = carrying or []
            if candidates and (listing := self._lists_them(raw_question)) is not None:
                candidates = [c for c in candidates if listing(c.sentence)]
            if candidates and not understood.yes_no:
                candidates = self._not_only_listed(question, asked, answer_types, candidates)
                if len(people) == 1:
                    candidates = self._said_of(people[0], asked, question.text, candidates)
                    candidates = self._of_them(people[0], candidates)
                if question.intent is Intent.WHO:
                    candidates = self._holding_post(understood.text, asked, candidates)
        if not candidates:
            return self._decided(
                self._not_found(raw_question, people, asked, hits[0][1], coverage),
                f"refused: no quoted sentence carries the {question.intent.value} asked for",
            )

        candidates = self._defining_first(question, candidates)
        chosen = self._choose(question, asked, people, candidates)
        if not chosen:
            return self._decided(
                self._not_found(raw_question, people, asked, hits[0][1], coverage),
                "refused: the only sentence names them in a list, without what they said",
            )
        if understood.yes_no and (
            self._unsettled(asked, chosen) or self._not_of_its_subject(understood.text, chosen)
        ):
            return self._decided(
                self._not_found(raw_question, people, asked, hits[0][1], coverage),
                "refused: a claim in words the knowledge never uses, which no quote frames",
            )
        lead = "".join(  # 张明参加的是…对话研讨。: how the part asked of is his
            f"{name}参加的是{_part_name(section)}。"
            for name, section in self._joined.items()
            if any(c.passage.section == section and name not in c.sentence for c in chosen)
        ) + self._lead(question, asked, people, understood, chosen)
        if understood.yes_no and lead.endswith("不是。") and self._post_added(understood.text):
            return self._decided(
                self._not_found(raw_question, people, asked, hits[0][1], coverage),
                "refused: a post claimed besides theirs, which no one is said to hold",
            )
        if (
            understood.yes_no
            and lead.endswith("不是。")
            and self.resources.evidence
            and not self._said_otherwise(understood.text, people, asked, chosen)
        ):
            return self._decided(
                self._not_found(raw_question, people, asked, hits[0][1], coverage),
                "refused: the quotes say nothing of the claim's subject in its terms",
            )
        if understood.yes_no and lead.endswith("不是。"):
            chosen = self._what_is_true(understood.text, people, chosen)
        self._chosen = chosen
        return self._decided(
            self._reply(raw_question, lead, chosen, hits[0][1], coverage),
            f"answered: the best passage covers {coverage:.2f} of the question (≥ {MIN_COVERAGE})",
        )

    @staticmethod
    def _of_them(person: str, candidates: list[_Candidate]) -> list[_Candidate]:
        """Asked of one person (张明是哪个市的，担任什么职务), what names them or is their
        talk, when any does: a sentence of others that shares the question's other words (两位
        部长为获奖城市颁奖) says nothing of them."""
        theirs = [c for c in candidates if person in c.sentence or c.passage.speaker == person]
        return theirs or candidates

    def _said_of(
        self, person: str, asked: _Asked, asked_text: str, candidates: list[_Candidate]
    ) -> list[_Candidate]:
        """Asked what one person did (周杰主持了什么), the sentences that say they did it:
        the question's verbs the knowledge uses, found in that person's part of the sentence
        or in their talk, not in someone else's clause. Verbs that only ask what they said
        (讲, 提到) need nothing."""
        if any(verb in asked_text for verb in lexicon.words("speech_verbs")):
            return candidates  # what they said: its words are the report's, not the question's
        verbs = self._event_verbs(asked)
        if not verbs:
            return candidates
        everyone = self.kb.names

        def says(c: _Candidate) -> bool:
            if c.passage.speaker == person:
                return True
            window = person_window(c.sentence, person, everyone) or c.sentence
            return all(asked.says(v, self.kb.terms_in(window)) for v in verbs)

        return [c for c in candidates if says(c)]

    def _beyond_topic(self, question: Question, asked: _Asked, candidate: _Candidate) -> bool:
        """Whether a question asks more of someone's talk than its topic, which is all a list
        of speakers and their topics says (云途 CEO 张明：政务云的未来): 张明讲的设计分为哪几个
        层次, 举了哪些案例. The question's words past the person, and past those that only
        ask what was said, must be the list's, or its part's or the event's. Asked of them, not
        of their talk (还兼任什么), the line's label may answer."""
        speech = lexicon.words("speech_verbs")
        if not any(verb in question.text for verb in speech):
            return False
        aside = speech | lexicon.words("light_verbs")
        aside |= lexicon.words("function_words") | set(lexicon.cues("retold"))
        terms = (
            self.kb.terms_in(candidate.sentence)
            | self.kb.terms_in(candidate.passage.section)
            | self.kb.terms_in(self.kb.persona.subject)
        )
        return any(
            len(t) > 1
            and t not in aside
            and not self._mere_kind(t)
            and not asked.says(t, terms)
            and not any(t in parts for parts in asked.people.values())
            for t in asked.weights
        )

    def _holding_post(
        self, asked_text: str, asked: _Asked, candidates: list[_Candidate]
    ) -> list[_Candidate]:
        """Asked who holds a post (南湖理工研究院的院长是谁), the sentences that give
        that post of that organisation: 副院长 and 院长特别助理 are other posts, 信息时代学院
        院长 another organisation's, and asked who holds it now, 原副部长 a post held before."""
        wanted = posts_in(asked_text.upper())  # read lower-cased: ceo is CEO
        if not wanted:
            return candidates
        now = bool(_NOW.search(asked_text))
        light = self._max_weight * LIGHT_WEIGHT

        def head(whose: str) -> set[str]:
            """Whose post the question asks: the names that end right before the post
            (南湖理工研究院, not any 研究院; 数字城市分委会 or 分委会), as the words
            and the report's phrases for them (东大: 东方大学)."""
            whose = _WHOSE_TAIL.sub("", _squash(whose).lower())
            ends = [
                t
                for t in asked.weights
                if whose.endswith(t)
                and asked.weights[t] > light
                and (t in self.kb.entity_words or t in asked.phrases)  # a name, not 企业
                # what they did (来分享的专家): no body's name
                and not any(f.startswith("v") for _, f in self.kb.tokenizer.tag(t))
            ]
            if not ends:  # 云途的CEO: a body of no word of its own, as the passages spell it
                body = _WHO_IS.sub("", whose)
                return {body} if self._spelt_out(body) else set()
            return {*ends, *(p.lower() for t in ends for p in asked.phrases.get(t, ()))}

        def of_it(post: str, whose: str, held: str, at: str) -> bool:
            # 副总编: 副总编辑, as the synonyms read it
            if not any(holds_post(held, p) for p in {post, *lexicon.synonyms().means(post)}):
                return False
            names = head(whose)
            squashed = _squash(at).lower()
            return not names or any(name in squashed for name in names)

        return [
            c
            for c in candidates
            if any(
                of_it(post, whose, held, at)
                for post, whose in wanted
                for held, at in posts_in(c.sentence, former=not now)
            )
        ]

    @staticmethod
    def _not_only_listed(
        question: Question, asked: _Asked, kinds: set[str], candidates: list[_Candidate]
    ) -> list[_Candidate]:
        """A name the question asks about that the sentences give only as a bare item of a
        list (创新人物奖颁给了谁): only sentences that say more of it answer, if any does.
        Unless the list is what is asked for: what the name is (创新人物奖是什么), or the
        others of its kind (除了创新服务奖还有哪些奖)."""
        for term in asked.weights:
            if _DEFINITION.search(question.text) or (
                any(cue in question.text for cue in (*EVERYONE, "还有"))
                # the others of its kind (除了创新服务奖还有哪些, 还有哪些奖), not who got
                # it (创新人物奖的获奖者都有谁)
                and (
                    any(cue in question.text for cue in _BESIDES)
                    or (kinds and all(kind.endswith(term[-1]) for kind in kinds))
                )
            ):
                continue
            if any(only_listed(c.sentence, term) for c in candidates):
                candidates = [
                    c
                    for c in candidates
                    if term in _squash(c.sentence).lower() and not only_listed(c.sentence, term)
                ]
        return candidates

    def _decided(self, answer: Answer, why: str) -> Answer:
        """The answer, with how the question was read and why it was answered or refused:
        what the hit test shows an admin."""
        return replace(answer, reading={**self.reading, "decision": why})

    def _reply(
        self, raw_question: str, lead: str, chosen: list[_Candidate], top: float, coverage: float
    ) -> Answer:
        """The quotes, each with its citation number, and the 出处 block."""
        self._lead_said = lead
        return self._reply_in_parts(raw_question, [(lead, chosen)], top, coverage)

    def _reply_in_parts(
        self,
        raw_question: str,
        parts: list[tuple[str, list[_Candidate]]],
        top: float,
        coverage: float,
    ) -> Answer:
        """One reply of each part's lead and quotes, numbered by one list of citations; a
        quote another part's quote holds whole is said once, the longer."""
        if len(parts) > 1:
            every = [_squash(c.sentence) for _, chosen in parts for c in chosen]
            parts = [
                (
                    lead,
                    [
                        c
                        for c in chosen
                        if not any(
                            _squash(c.sentence) in other and _squash(c.sentence) != other
                            for other in every
                        )
                    ],
                )
                for lead, chosen in parts
            ]
        citations: list[Citation] = []
        for candidate in itertools.chain(*(chosen for _, chosen in parts)):
            if all(c.passage.id != candidate.passage.id for c in citations):
                citations.append(
                    Citation(len(citations) + 1, candidate.passage, candidate.passage_score)
                )
        citations = self._told_apart(citations)
        shown: set[str] = set()
        body = ""
        for lead, chosen in parts:
            fresh = [c for c in chosen if _squash(c.sentence) not in shown]
            shown |= {_squash(c.sentence) for c in chosen}
            body += lead + "".join(self._quote(c, citations) for c in fresh)
        sources = "\n".join(f"[{c.n}] {c.line()}" for c in citations)
        reply = fit_bytes(
            f"{body}\n\n{CITATION_MARKER}：\n{sources}\n{self.replies.follow_up_hint}"
        )
        return Answer(raw_question, True, reply, citations, top, coverage)

    def more_of(self, passage_ids: list[str], shown: frozenset[str]) -> Answer:
        """还有呢 after an answer: what its sources go on to say, not shown yet: the rest of
        the cited passages, then the passages after them in the same part. Not answered when
        the sources have nothing more."""
        chosen: list[_Candidate] = []
        seen = {_squash(s) for s in shown}
        for passage_id in passage_ids:
            passage = self.kb.passage(passage_id)
            if passage is None:
                continue
            sentences = split_sentences(passage.text)
            # on from the last sentence shown, not from the passage's start
            last = max(
                (i for i, x in enumerate(sentences) if any(_squash(x) in s for s in seen)),
                default=-1,
            )
            ahead = [(passage, x) for x in sentences[last + 1 :]] + [
                (follower, x)
                for follower in self.kb.following(passage, 2)
                for x in split_sentences(follower.text)
            ]
            for follower, sentence in ahead:
                used = sum(len(c.sentence) for c in chosen)
                if (
                    any(_squash(sentence) in s for s in seen)
                    or len(chosen) == MAX_SENTENCES
                    or (chosen and used + len(sentence) > BODY_CHARS)
                ):
                    continue
                chosen.append(_Candidate(sentence, follower, 0.0, 0.0))
                seen.add(_squash(sentence))
            if chosen:
                break
        if not chosen:
            return Answer("", False, "")
        return self._reply("", "", chosen, 0.0, 1.0)

    def _carrying(
        self, question: Question, asked: _Asked, candidates: list[_Candidate]
    ) -> list[_Candidate] | None:
        """The candidates, those that carry the kind of fact asked for first (a date for
        when, a number or a countable list for how many, a time of day for 几点); None when
        none of those nearly as good as the best does (张衡是哪年出生的 is not answered by
        what he said). Among many passages, the one with the date need not rank first."""
        best = candidates[0].score
        if question.intent is Intent.COUNT and any(
            c.score >= 0.8 * best and counts_all_of_a_list(c.sentence, asked) for c in candidates
        ):
            return None  # 城市有几个: the report counts them only with others, in one number
        fits = self._evidence(question, asked)
        if fits is None:
            return candidates
        # a fact the question's own cue asks for (比作什么: 相当于…) may be said in a sentence
        # that shares fewer of its other words (对于城市的重要性) than the best one does
        reach = CUED_REACH if self._cued(question) or asked.paired else NEAR_BEST
        carrying = [c for c in candidates if c.score >= reach * best and fits(c.sentence)]
        if carrying and asked.paired:
            return carrying  # what says neither of the two is no part of how they relate
        if not carrying:
            return None
        return carrying + [c for c in candidates if c not in carrying]

    def _evidence(self, question: Question, asked: _Asked) -> Callable[[str], bool] | None:
        """What a sentence must hold to answer ``question``; None when anything may. Asked in
        the user's own verb for a talk's (拿出什么态度), the thing asked for, said."""
        fits = self._evidence_of_kind(question, asked)
        if asked.paired:
            of_kind = fits
            names = self.kb.derived(
                "names squashed, longest first",
                lambda: [_squash(n) for n in longest_first(self.kb.bodies | self.kb.names)],
            )

            def pairs(sentence: str) -> bool:
                # said as words of their own: 信息化 in 江城市信息化办公室 is a name's
                text = _squash(sentence)
                for name in names:
                    text = text.replace(name, "，")
                said = self.kb.terms_in(text)
                return all(not pair.isdisjoint(said) for pair in asked.paired) and (
                    of_kind is None or of_kind(sentence)
                )

            fits = pairs
        if not asked.retold_needs:
            return fits
        needs = asked.retold_needs
        return lambda sentence: (
            all(asked.says(n, self.kb.terms_in(sentence)) for n in needs)
            and (fits is None or fits(sentence))
        )

    @staticmethod
    def _cued(question: Question) -> re.Pattern[str] | None:
        """The pattern of the first evidence row whose cue the question has, if any."""
        return next(
            (
                pattern
                for cues, pattern in lexicon.evidence()
                if any(c in question.text for c in cues)
            ),
            None,
        )

    def _evidence_of_kind(self, question: Question, asked: _Asked) -> Callable[[str], bool] | None:
        row = self._cued(question)
        kind = _ONE_OF_A_KIND.search(question.text) if row is None else None
        if kind and self._names_someone(question):
            # 江城市拿的是哪个奖: a name of one (创新服务奖), not any word with 奖 (获奖感言),
            # and one said of something, not a bare list of them all (峰会上颁了什么奖: the
            # list is the answer)
            mark = kind.group(1) or kind.group(2)
            return lambda sentence: any(
                len(t) > 3 and t.endswith(mark) and not only_listed(sentence, t)
                for t in self.kb.terms_in(sentence)
            )
        if question.intent is Intent.WHEN:
            # 联盟是哪年成立的: a date (the row's, 哪年: a year) of that event, with its verb, not
            # the date of the sentence it is in; an event the knowledge never names (哪年创刊)
            # has no date in it
            if any(
                w >= self._max_weight
                and not self.kb.knows(t)
                and t not in asked.alternatives
                and t not in asked.weak
                and not any(t in parts for parts in asked.people.values())
                for t, w in asked.weights.items()
            ):
                return lambda sentence: False
            verbs = self._event_verbs(asked)

            def dated(sentence: str) -> bool:
                if row is not None:
                    return bool(row.search(sentence))
                return bool(intent_bonus(Intent.WHEN, sentence, frozenset()))

            return lambda sentence: (
                dated(sentence) and all(asked.says(v, self.kb.terms_in(sentence)) for v in verbs)
            )
        if row is None and question.intent is Intent.WHERE and not asked.people:
            located = self._body_located(question)
            if located:  # 云途在哪个城市: a place said of it, not the forum's
                return lambda sentence: self._placed(sentence, located)
        if row is None and (post_of := self._post_of_body(question, asked)):
            return post_of
        if row is None and (body := self._body_not_asked(question, asked)):
            return body
        if row is None and (spelt := self._spelt_in_full(question)):
            return spelt
        if row is None and len(asked.people) > 1 and _RELATION.search(question.text):
            people = asked.people  # 甲和乙是什么关系: a sentence about them all
            return lambda sentence: all(name in sentence for name in people)
        if row is not None:
            # asked of one person, the fact must be said of them (李华's 原副部长 says
            # nothing of what 张明 did before)
            person = next(iter(asked.people)) if len(asked.people) == 1 else ""
            return lambda sentence: bool(
                row.search((person and person_window(sentence, person, self.kb.names)) or sentence)
            )
        if question.intent is Intent.COUNT and (asked.counts_people or asked.counts_named):
            return lambda sentence: count_in(sentence, asked, self.kb.names) is not None
        if question.intent is Intent.COUNT:
            return lambda sentence: bool(
                intent_bonus(Intent.COUNT, sentence, frozenset())
                or _LIST.search(sentence)
                or count_in(sentence, asked, self.kb.names)  # 甲与乙联合推出: two
            )
        return None

    def _body_located(self, question: Question) -> str:
        """The body a where-question asks about (云途公司在哪个城市), one the people of the
        knowledge are of, else "" (论坛在哪: the event, whose place any answer may give)."""
        text = _squash(question.text)
        spelt = self.kb.derived("bodies_spelt", lambda: {_squash(b): b for b in self.kb.bodies})
        found = [body for squashed, body in spelt.items() if squashed in text]
        return max(found, key=len) if found else ""

    def _placed(self, sentence: str, body: str) -> bool:
        """Whether ``sentence`` says where ``body`` is: its name opens with a place (江城市
        交通局), or a place comes right before it; a sentence merely naming it does not."""
        text, name = _squash(sentence), _squash(body)
        at = text.find(name)
        if at < 0:
            return False
        before = self.kb.tokenizer.tag(text[max(0, at - 6) : at])
        if before and before[-1][1].startswith("ns"):  # 江城市的云途: a place right before it
            return True
        opening = self.kb.tokenizer.tag(name)[0]
        # a place its name opens with, when the rest still names a body (江城市|交通局, not
        # 云山|数据, a company jieba takes for a place and a word)
        return opening[1].startswith("ns") and names_a_body(name[len(opening[0]) :])

    def _post_of_body(self, question: Question, asked: _Asked) -> Callable[[str], bool] | None:
        """张明在某分委会担任什么职务: a post of that body said of them (their clause names
        院长 of another body, or none: the report does not say). None for other questions."""
        match = _POST_AT_VERB.search(question.text) or _POST_AT.search(question.text)
        if len(asked.people) != 1 or match is None or not _POST_KINDS.search(question.text):
            return None
        person = next(iter(asked.people))
        named = match.group("body")
        body = [w for w, _ in self.kb.tokenizer.tag(named) if len(w) > 1]
        if (
            not body
            or person in body[-1]
            or _ASKS_WHICH.search(named)  # 在哪家企业任职: the body is what is asked
            or _JOINED.search(named)  # 在学院和联盟里分别: one post of each
            or body[-1] in self.kb.terms_in(self.kb.persona.subject)  # 在论坛上: the event
        ):
            return None
        forms = self._forms_of_body(body[-1], asked)

        def holds(sentence: str) -> bool:
            said = person_window(sentence, person, self.kb.names)  # said of them
            return any(
                form in _squash(whose + post) for post, whose in posts_in(said) for form in forms
            )

        return holds

    def _forms_of_body(self, head: str, asked: _Asked) -> set[str]:
        """分委会 of 数字城市分委会: the body, not a word it shares with others, or the end of
        its name; or what the sources call it (交通部: 交通运输部)."""
        return {
            head,
            *(head[i:] for i in range(len(head) - 2) if self.kb.knows(head[i:])),  # 分委会
            *(p for t in self.kb.terms_in(head) for p in asked.phrases.get(t, ())),
        }

    def _spelt_out(self, name: str) -> bool:
        """Whether the passages write ``name`` so, spaces and case aside (looked for in those
        its words find): a description (主论坛上分享的企业) is no name of theirs."""
        wanted = _squash(name).lower()
        found = self.kb.search_terms(list(self.kb.terms_in(name)), SEARCH_DEPTH)
        return len(wanted) > 1 and any(wanted in _squash(p.text).lower() for p, _ in found)

    def _spelt_in_full(self, question: Question) -> Callable[[str], bool] | None:
        """东达软的全称是什么: a longer name of the knowledge's that spells the short one out,
        its characters in order (南湖: 南湖理工研究院; 交通部: 交通运输部), or one its
        synonyms give; not the short name said again. None for other questions, and for a
        name that is itself a body's full one."""
        cue = _FULL_NAME.search(question.text)
        if cue is None:
            return None
        short = _squash(question.text[: cue.start()]).removesuffix("的")
        short = "".join(_HAN_RUN.findall(short)[-1:])[-ABBREVIATION_MAX_CHARS:]
        subject = self.kb.terms_in(self.kb.persona.subject)
        words = {short, *self.kb.terms_in(short)}
        if (
            len(short) < 2
            or short in self.kb.organisations
            or self.kb.people_in(short)  # 宋主任的全名: the person's name is the answer
            or any(w in subject or lexicon.synonyms().means(w) & subject for w in words)
        ):
            return None  # 论坛的全称, 这个活动的全称: the event's own name, which it has
        spelt = re.compile(".*?".join(map(re.escape, short)))
        full = {
            _squash(name).lower()
            for name in (
                *self.kb.organisations,
                *self.kb.entity_words,
                *self.kb.synonyms.means(short),
                *lexicon.synonyms().means(short),
            )
            if len(_squash(name)) > len(short) and spelt.search(_squash(name))
        }
        return lambda sentence: any(name in _squash(sentence).lower() for name in full)

    def _body_not_asked(self, question: Question, asked: _Asked) -> Callable[[str], bool] | None:
        """王强在数据中心哪个部门当处长: asked which body someone is of, a body the question
        does not name already must be said of them (数据中心处长 says no department). None for other questions."""
        if len(asked.people) != 1 or not _ASKS_ORGANISATION.search(question.text):
            return None
        person, said = next(iter(asked.people)), _squash(question.text)
        return lambda sentence: (
            person not in sentence
            or any(  # their talk: cited with roles
                whose.strip() and _squash(whose) not in said
                for _, whose in posts_in(person_window(sentence, person, self.kb.names))
            )
        )

    def _names_someone(self, question: Question) -> bool:
        """Whether a question names a person, place or organisation of its own."""
        return any(
            len(word) > 1
            and (
                flag in ("nr", "ns", "nt")
                or word in self.kb.names
                or any(self.kb.knows(word + unit) for unit in _PLACE_UNITS)  # 江城 of 江城市
            )
            for word, flag in self.kb.tokenizer.tag(question.text)
        )

    def _event_verbs(self, asked: _Asked) -> list[str]:
        """The verbs of a question the knowledge uses, but for light ones (举办, 成立)."""
        return [
            t
            for t in asked.weights
            if len(t) > 1
            and t not in lexicon.words("light_verbs")
            and self.kb.knows(t)
            and [flag for _, flag in self.kb.tokenizer.tag(t)] == ["v"]
        ]

    def _denied(self, raw_question: str, claim: str, person: str) -> Answer | None:
        """A yes/no question about someone whose texts do not make the claim: no, when the
        report makes it of others (赵敏给获奖城市颁奖了吗: others gave the awards), or when it
        names a place or organisation their roles do not (孙丽是苏州的吗: he is from 南通);
        the evidence quoted either way. None when neither can be said."""
        with self._aside():
            return self._deny(raw_question, claim, person)

    def _deny(self, raw_question: str, claim: str, person: str) -> Answer | None:
        if self._post_added(claim):
            return None  # 还兼任分委会的副秘书长吗: whoever holds another post says nothing
        without = self._answer(claim.replace(person, " "))
        if without.answered and person not in body_of(without.text):
            chosen = self._what_is_true(claim, (person,), [])
            if not chosen:  # neither sub-question answered: the claim made of others, as is
                return replace(without, question=raw_question, text="不是。" + without.text)
            return self._reply(raw_question, "不是。", chosen, without.top_score, without.coverage)
        own = " ".join(self.kb.roles.get(person, []))
        places = [
            word
            for word, flag in self.kb.tokenizer.tag(claim.replace(person, " "))
            if flag in ("ns", "nt") and word not in own
        ]
        if own and places:
            about = self._answer(f"{person}是谁")
            if about.answered:
                return replace(about, question=raw_question, text="不是。" + about.text)
        return None

    def _set_aside(self, text: str) -> _Aside:
        """除了演讲(以外)，他还做了什么: the talks set aside, which the answer must not quote,
        and the question without them (演讲 is no word an answer must have); 除了张明，还有谁:
        a person set aside, whose talk and place in a set are not the answer. What is set
        aside ends at a comma, 还 or 也, or the name of someone (除了演讲张明还…). Anything
        else set aside (除了这两类还有什么) is what the answer goes on from, and stays."""
        cue = next(((text.find(c), c) for c in _BESIDES if c in text), None)
        if cue is None:
            return _Aside(text=text)
        start, end = cue[0], cue[0] + len(cue[1])
        stop = _BESIDES_STOP.search(text, end)
        if stop is None or stop.group() in "。？?":
            return _Aside(text=text)
        apart = text[end : stop.start()]
        named = sorted((apart.find(n), n) for n in self.kb.people_in(apart))
        if named and named[0][0] == 0:  # 除了张明，还有谁
            person = named[0][1]
            rest = _BESIDES_EDGE.sub("", apart[len(person) :]).lstrip("，, ")
            return _Aside(
                people=frozenset({person}), text=text[:start] + rest + text[stop.start() :]
            )
        if named:
            apart = apart[: named[0][0]]
        thing = _BESIDES_EDGE.sub("", apart).strip()
        terms = self.kb.terms_in(thing)
        talk_words = next((label for label, said, _ in self._sets() if said), frozenset())
        rest = _BESIDES_EDGE.sub("", text[end + apart.index(thing) + len(thing) : stop.start()])
        if (
            thing
            and terms
            and not terms <= talk_words
            and self.kb.people_in(text[:start])
            # 李华说…除了技术应用还是什么: a thing he said, not something he did
            and not any(cue in text[:start] for cue in lexicon.cues("retold"))
            and any(f.startswith("v") for _, f in self.kb.tokenizer.tag(thing))
            and any(self.kb.knows(t) for t in terms if len(t) > 1)
        ):
            return _Aside(text=text[:start] + rest + text[stop.start() :], deed=thing)
        if not thing or not terms or not terms <= talk_words:
            return _Aside(text=text, thing=_squash(thing))
        return _Aside(talks=True, text=text[:start] + rest.lstrip("，, ") + text[stop.start() :])

    def _sets(self) -> list[tuple[frozenset[str], frozenset[str], list[_Candidate]]]:
        """The sets of things the documents hold several of, each as the words that name
        the set (主题演讲; 对话研讨), the words a question about the set may also use (what
        every opening says: 发表, 题为), and each member's opening sentence, in reading order:
        the speakers' talks, and the parts of one kind (对话研讨：…). Found once per base."""
        return self.kb.derived("sets", self._find_sets)

    def _find_sets(self) -> list[tuple[frozenset[str], frozenset[str], list[_Candidate]]]:
        found = []
        talks = []
        for passage in self.kb.talks:
            sentences = split_sentences(passage.text)
            title, speaker = passage.talk_title or "", passage.speaker or ""
            first = next((x for x in sentences if title in x), sentences[0])
            if speaker not in first:  # the set answers who: each one named
                first = f"{speaker}：{first}"
            talks.append(_Candidate(first, passage, 0.0, 0.0))
        if len(talks) > 1:
            # what names a talk: its citation's words, but its speaker's, role's and title's
            label = frozenset.intersection(
                *(
                    self.kb.terms_in(c.passage.citation())
                    - self.kb.terms_in(
                        f"{c.passage.speaker}，{c.passage.speaker_role}，{c.passage.talk_title}"
                    )
                    for c in talks
                )
            )
            if label:  # 主题演讲 and its head 演讲, not 主题, which says nothing of talks alone
                longest = max(label, key=lambda t: (len(t), t))
                label = frozenset(t for t in label if longest.endswith(t))
            said = frozenset.intersection(*(self.kb.terms_in(c.sentence) for c in talks))
            found.append((label, said, talks))
        for kind, sections in self.kb.parts.items():
            parts = []
            for section in sections:
                passage, title = self.kb.opening[section], _squash(section.partition("：")[2])
                sentences = split_sentences(passage.text)
                first = next((x for x in sentences if title in _squash(x)), sentences[0])
                parts.append(_Candidate(first, passage, 0.0, 0.0))
            found.append((self.kb.terms_in(kind), frozenset(), parts))
        return found

    def _per_part(
        self, question: Question, asked: _Asked
    ) -> tuple[list[int], list[_Candidate]] | None:
        """两场对话研讨加起来一共有多少位对话嘉宾, 两场对话分别有几位嘉宾: the count each part of
        the kind named gives, with the sentence giving each; None unless every part gives one,
        or the question asks neither all of them together nor each."""
        together = _SUMMED.search(question.text) or (  # 两场对话有几位嘉宾: all of them
            asked.counts_people and _COUNTED_PARTS.search(question.text)
        )
        if not together and not asks_each(question.text):
            return None
        kinds = [k for k in self.kb.parts if any(t in question.text for t in self.kb.terms_in(k))]
        said = _squash(question.text)
        if len(kinds) != 1 or any(  # “…”对话研讨一共有几位: one part named, not summed
            _squash(s.partition("：")[2]) in said for s in self.kb.parts[kinds[0]]
        ):
            return None
        values, quotes = [], []
        for section in self.kb.parts[kinds[0]]:
            counted = next(
                (
                    (value, _Candidate(sentence, passage, 0.0, 0.0))
                    for passage in self._in_section(section)
                    if passage.kind not in SET_APART
                    for sentence in split_sentences(passage.text)
                    if (count := count_in(sentence, asked, self.kb.names))
                    and (value := _count_value(count))
                ),
                None,
            )
            if counted is None:
                return None
            values.append(counted[0])
            quotes.append(counted[1])
        return values, quotes

    def _parts_joined(
        self, question: Question, asked: _Asked, people: tuple[str, ...]
    ) -> tuple[str, list[_Candidate]] | None:
        """张明参加了哪些环节, 他后来还参加了什么活动: every part of the event whose running text
        names them, in the report's order, with what it says of them there. Only when the
        question asks nothing but that: 张明在什么环节讲了大数据 asks where something was said."""
        text = question.text
        joined = any(cue in text for cue in lexicon.cues("parts_joined")) and any(
            verb in text for verb in lexicon.cues("took_part")
        )
        role = any(cue in text for cue in lexicon.cues("role_at_event"))
        if (
            len(people) != 1
            or not (joined or role)
            or not self.kb.roles.get(people[0])  # someone only retold in a talk
        ):
            return None
        person = people[0]
        light = self._max_weight * LIGHT_WEIGHT
        named = self.kb.terms_in(person)
        # 他后来还参加了什么: taking part, and when on the day, ask nothing more
        besides = {
            t
            for cue in (*lexicon.cues("took_part"), *lexicon.cues("later_that_day"))
            for t in self.kb.terms_in(cue)
        }
        if role:  # 在论坛上担任了什么角色: the event itself, and holding a part in it
            besides |= self.kb.terms_in(self.kb.persona.subject) | {"担任", "论坛", "会上"}
        if any(  # 在哪些环节发言了 asks where they spoke
            (w > light and t not in named and t not in besides and not self._mere_kind(t))
            or t in lexicon.words("speech_verbs")
            for t, w in asked.weights.items()
        ):
            return None
        parts = [
            (
                section,
                _Candidate(
                    sentence
                    if len(sentence) <= JOINED_QUOTE_CHARS
                    else person_window(sentence, person, self.kb.names),
                    passage,
                    0.0,
                    0.0,
                ),
            )
            for section, passage, sentence in self._sections_naming(person)
        ]
        if not parts:
            return None
        # a talk's part is named without its speaker, who is the one asked of
        names = "、".join(_part_name(section).removeprefix(person) for section, _ in parts)
        lead = f"{person}参加了{names}。" if len(parts) > 1 else ""
        return lead, [quote for _, quote in parts]

    def _in_section(self, section: str) -> list[Passage]:
        """The passages of one part of the documents, in reading order (grouped once per
        base: a question must not walk 100,000 passages)."""
        return self.kb.derived("passages by section", self._by_section).get(section, [])

    def _by_section(self) -> dict[str, list[Passage]]:
        found: dict[str, list[Passage]] = {}
        for passage in self.kb.passages:
            found.setdefault(passage.section, []).append(passage)
        return found

    def _units(self) -> list[str]:
        """The parts of the documents in reading order, as a reader of the report sees them:
        not the captions or headlines set apart from the running text (found once per base)."""
        return self.kb.derived(
            "parts in reading order",
            lambda: [
                s
                for s in self.kb.sections
                if any(p.kind not in SET_APART for p in self._in_section(s))
            ],
        )

    def _opening_of(self, section: str) -> _Candidate:
        passage = self.kb.opening.get(section) or self._in_section(section)[0]
        return _Candidate(split_sentences(passage.text)[0], passage, 0.0, 0.0)

    def _in_order(self, question: Question, asked: _Asked) -> tuple[str, _Candidate] | None:
        """报道最后介绍的是什么内容, 两场对话研讨先介绍的是哪一场, 三场主题演讲之后接着介绍了什么
        环节, 名单里最后一个是谁: the first, last or next part of the documents, or person of a
        list, in the report's order; its name and what quotes it. None for other questions."""
        text = question.text
        if question.intent not in (Intent.WHAT, Intent.WHO, Intent.OVERVIEW):
            return None
        talk_label = question.intent is Intent.WHO and any(  # 最后是谁做的主题演讲
            t in text for labels, _, _ in self._sets() for t in labels
        )
        if not _ORDER_OF.search(text) and not talk_label and not _ORDER_NTH.search(text):
            return None
        first, last = _ORDER_FIRST.search(text), _ORDER_LAST.search(text)
        # 第二个被介绍的嘉宾: a place in a list of people, counted from its first
        nth = (
            None if first or last or question.intent is not Intent.WHO else _ORDER_NTH.search(text)
        )
        after = None if first or last or nth else _ORDER_AFTER.search(text)
        if not (first or last or after or nth):
            return None
        units = self._units()
        naming = self._parts_called(text)
        named = [u for u in units if u in naming]
        subject = self.kb.terms_in(self.kb.persona.subject)
        ordering = (_ORDER_OF, _ORDER_FIRST, _ORDER_LAST, _ORDER_AFTER)
        if self._asks_of_its_own(  # 最后一个问题，论坛在哪举行
            asked,
            lambda t: (
                t in subject
                or any(p.search(t) for p in ordering)
                or bool(_COUNTED_PARTS.fullmatch(t))  # 三场, 两场
                or any(t in n or n in t for words in naming.values() for n in words)
                or any(t in self.kb.terms_in(u) for u in named)  # 对话 of 对话研讨：…
            ),
        ):
            return None
        if question.intent is Intent.WHO:
            if not (first or last or nth):
                return None
            at = -1 if last else (numeral_value(nth.group(1)) or 1) - 1 if nth else 0
            talk_parts = self.kb.derived(
                "parts with talks",
                lambda: {u for u in units if any(p.talk_title for p in self._in_section(u))},
            )
            talks = [u for u in named if u in talk_parts]
            if not named:
                # 第一个分享的是谁: the list that says it (…等主题进行了分享), if one does; 最先
                # 发言的是谁: the talks; 最后一位对话嘉宾: a list of that kind
                verb = _IN_ORDER.search(text)
                if verb and (said := self._listed_at(asked, [], at, text, verb.group())):
                    return said
                if verb and not _ORDER_LISTS.search(text) and talk_parts:
                    talks = named = [u for u in units if u in talk_parts]
                elif not (_ORDER_LISTS.search(text) or _KIND_OF_PEOPLE.search(text)):
                    return None
            if talks and len(talks) == len(named):
                if at >= len(talks):
                    return None  # 第五位 of three talks: none is
                quote = self._opening_of(talks[at])
                return f"{quote.passage.speaker}。", quote
            return self._listed_at(asked, named, at, text)
        if not _ORDER_PARTS.search(text) and not _REPORT_TELLS.search(text):
            # 报道最后提到的技术是什么: a thing, not a part (but 报道最后讲了什么, 对话之后报道
            # 接着讲了什么 ask what part comes last, or next)
            return None
        scope = named or units
        if after:
            before = text[: after.start()]
            anchors = [u for u in units if u in self._parts_called(before)]
            at = max((units.index(u) for u in anchors), default=-1) + 1
            if not anchors or at >= len(units):
                return None
            scope, last = [units[at]], None
        unit = scope[-1] if last else scope[0]
        return f"{_part_name(unit)}。", self._opening_of(unit)

    def _asks_of_its_own(self, asked: _Asked, says_order: Callable[[str], bool]) -> bool:
        """Whether a question with an order word asks something of its own: a word of weight
        that is none of ``says_order``'s (its person, its cues, its parts), nor a verb of
        speaking or a light one, a mere kind, or a word of the parts' headings (第二场对话…)."""
        light = self._max_weight * LIGHT_WEIGHT
        aside = lexicon.words("speech_verbs") | lexicon.words("light_verbs")
        headings = self.kb.derived("sections by term", self._sections_by_term)
        return any(
            w > light
            and t not in aside
            and t not in headings
            and not self._mere_kind(t)
            and not says_order(t)
            for t, w in asked.weights.items()
        )

    def _parts_called(self, text: str) -> dict[str, set[str]]:
        """The parts of the documents ``text`` names, each with the words that name it: its
        kind, when several parts are of it (对话研讨), the talks' label for a talk (主题演讲), or
        a word of its heading no other heading has."""
        called: dict[str, set[str]] = {}
        for kind, sections in self.kb.parts.items():
            if kind in text:
                for section in sections:
                    called.setdefault(section, set()).add(kind)
        for labels, _, talks in self._sets():
            for label in labels:
                if label in text and any(c.passage.talk_title for c in talks):
                    for c in talks:
                        called.setdefault(c.passage.section, set()).add(label)
        by_term = self.kb.derived("sections by term", self._sections_by_term)
        for t in self.kb.terms_in(text):
            if len(t) > 1 and t not in self.kb.names and len(by_term.get(t, ())) == 1:
                called.setdefault(next(iter(by_term[t])), set()).add(t)
        return called

    def _listed_at(
        self, asked: _Asked, parts: list[str], at: int, asked_text: str = "", verb: str = ""
    ) -> tuple[str, _Candidate] | None:
        """The first or last person of the list a part names them in (名单里最后一个是谁),
        the part's own list when it names one, else the list the question's words find."""
        names = self.kb.names
        best: tuple[float, str, _Candidate] | None = None
        kind = _KIND_OF_PEOPLE.search(asked_text)
        passages = (
            [p for part in parts for p in self._in_section(part)]
            if parts
            else [p for p, _ in self.kb.search_terms(list(asked.weights), EVIDENCE_DEPTH)]
        )
        for passage in passages:
            for sentence in split_sentences(passage.text):
                listed = listed_people(sentence, names)
                if len(listed) < max(3, at + 1) or verb not in sentence:
                    continue
                score = asked.coverage(
                    self.kb.terms_in(sentence) | self.kb.terms_in(passage.section)
                )
                if (
                    kind
                    and kind.group() not in sentence
                    and re.search(rf"\w{{2}}{kind.group(2)}", sentence)
                ):
                    score -= OTHER_KIND_PENALTY  # 分享嘉宾: not a list of 对话嘉宾
                elif verb and (role := _LISTED_AS.search(sentence)) and verb not in role.group(1):
                    score -= OTHER_KIND_PENALTY  # 第一个分享的: not one listed 作为对话嘉宾
                if best is None or score > best[0]:
                    who = listed[at]
                    item = list_item(sentence, who, names) or sentence
                    best = (score, who, _Candidate(item, passage, 0.0, 0.0))
        if best is None:
            return None
        _, who, quote = best
        return ("" if quote.sentence.startswith(who) else f"{who}。"), quote

    def _beside(
        self, question: Question, asked: _Asked, people: tuple[str, ...]
    ) -> tuple[str, _Candidate] | None:
        """李华之后是谁讲的, 排在张明前面的是谁, 张明之后是哪家公司的: the one after (or before) the person in the
        report's order, of the talks when they gave one and the question asks of talks (their
        label, or a verb of speaking), else of a list that names them among three or more;
        that one's name, and what quotes them. None for other questions (李华发言之后谁当了
        主任 asks something of its own), or when no one is there."""
        # asked who, or what of them (之后分享的是哪家公司的专家): their quote says it
        if len(people) != 1 or question.intent not in (Intent.WHO, Intent.WHAT):
            return None
        person, text = people[0], question.text
        step, match = 0, None
        for way, cues in ((1, _ORDER_AFTER), (-1, _ORDER_BEFORE)):
            # 李华之后, 李华讲完之后, 李华的演讲结束后, 介绍完李华的演讲，接下来
            pattern = (
                rf"{re.escape(person)}(?P<between>[^，,。？?]{{0,5}}?)[，,]?(?:{cues.pattern})"
            )
            if match := re.search(pattern, text):
                step = way
                break
        # in the report's order (发言, 分享, 排, 名单, or 后面: where in a list), not later in
        # time (李华之后谁担任了主任)
        if match is None or not (_IN_ORDER.search(text) or _IN_A_LIST.search(match.group())):
            return None
        if question.intent is Intent.WHAT and (
            match.group("between") or not _NEXT_ONE_ASKED.match(text[match.end() :])
        ):  # 李华讲完之后做了什么: what they did next, not who came next
            return None
        labels = {t for label, _, _ in self._sets() for t in label}
        ordering = (_ORDER_AFTER, _ORDER_BEFORE, _IN_ORDER)
        found = match.group()
        if self._asks_of_its_own(  # 李华发言之后谁当了主任
            asked,
            lambda t: (
                t in self.kb.terms_in(person)
                or t in found  # 演讲结束后: how it says after
                or any(p.search(t) for p in ordering)
                or any(t in label for label in labels)
            ),
        ):
            return None
        speaking = any(verb in text for verb in lexicon.words("speech_verbs"))
        for label, _, members in self._sets():
            # the talks of the speaker's own document, in its order
            talks = [
                c
                for c in members
                if c.passage.talk_title and c.passage.source == members[0].passage.source
            ]
            speakers = [c.passage.speaker or "" for c in talks]
            if person in speakers and (speaking or any(t in text for t in label)):
                at = speakers.index(person) + step
                if 0 <= at < len(talks):
                    return speakers[at], talks[at]
        if match.group("between"):
            return None  # 李华讲完之后: after their talk, which only the talks' order tells
        names = self.kb.names
        for passage, _ in self.kb.search_terms(list(self.kb.terms_in(person)), SEARCH_DEPTH):
            for sentence in split_sentences(passage.text):
                if person not in sentence:
                    continue
                order = sorted((sentence.find(n), n) for n in self.kb.people_in(sentence))
                listed = [n for _, n in order]
                at = listed.index(person) + step
                if len(listed) < 3 or not 0 <= at < len(listed):
                    continue  # at this list's end: another list may go on
                other = listed[at]
                quote = list_item(sentence, other, names) or sentence
                return other, _Candidate(quote, passage, 0.0, 0.0)
        return None

    def _of_a_set(
        self, question: Question, asked: _Asked, people: tuple[str, ...]
    ) -> list[_Candidate]:
        """做主题演讲的都有谁, 几位嘉宾发表了演讲, 论坛有几场对话研讨: asked of a set as a
        whole, naming no one and nothing but the set's words (and what answers name, 嘉宾):
        each member's opening; asked what each is (两场对话研讨的主题分别是什么) too. Nothing
        for any other question."""
        each = question.intent is Intent.WHAT and asks_each(question.text)
        if people or (question.intent not in (Intent.WHO, Intent.COUNT) and not each):
            return []
        if any(p.search(question.text) for p in (_ORDER_FIRST, _ORDER_LAST, _ORDER_NTH)):
            return []  # 最后一个做主题演讲的是谁: one of the set, by its order
        light = self._max_weight * LIGHT_WEIGHT
        subject = self.kb.terms_in(self.kb.persona.subject)  # 论坛上: asked of the forum
        weighty = [
            t
            for t, w in asked.weights.items()
            if w > light
            and t not in subject
            and not _COUNTED_PARTS.fullmatch(t)  # 两场
            # 峰会 for the event: a word for the event itself
            and not any(alt <= subject for alt in asked.alternatives.get(t, ()))
        ]
        kinds = lexicon.words("answer_kinds")
        for label, said, members in self._sets():
            if any(t in label for t in weighty) and all(
                t in label or t in said or t in kinds for t in weighty
            ):
                return members
        return []

    def _number_judged(self, raw_question: str, claim: str) -> Answer | None:
        """是6月12日举行的吗, 来了五百多位嘉宾吗: the claim asked as a question (哪天, 多少位),
        and the number of the answer's quote set against the one claimed. None when the
        claim gives no number, or the report none to set against it."""
        squashed = _squash(claim)
        lead = ""  # the count the answer to the claim asked as a question says first
        if date := next(
            (m for m in _CLAIMED_WHEN.finditer(squashed) if m.group(1) or m.group(2)), None
        ):
            chosen = self._quotes_for(squashed[: date.start()] + "哪天" + squashed[date.end() :])
            dates = [d for c in chosen[:1] for d in _dates_in(c.sentence)]
            if not dates and chosen and intent_bonus(Intent.WHEN, chosen[0].sentence, frozenset()):
                # 在论坛正式成立: done at the event, so on the event's day
                held = self._quotes_for(f"{self.kb.persona.subject}是哪天举行的")
                dates = [d for c in held[:1] for d in _dates_in(c.sentence)]
            if not dates:
                return None
            # each part claimed (是2020年办的吗: the year only) as the quote's; a part either
            # leaves unsaid (a year) is any
            yes = any(
                all(
                    a is None or b is None or a == b
                    for a, b in zip(date.groups(), d.groups(), strict=True)
                )
                for d in dates
            )
        elif count := next(
            (  # 是一位教授吗: 一位 counts nothing, unless compared (不到一个月)
                m
                for m in _CLAIMED_COUNT.finditer(squashed)
                if numeral_value(m.group(2)) != 1 or m.group(1) or m.group(3) or m.group(5)
            ),
            None,
        ):
            measure = count.group(4)
            asked = squashed[: count.start()] + "多少" + measure + squashed[count.end() :]
            chosen, said = self._answered_for(asked)
            # the count the answer gives (共 4 个, of a list), else a number in its quote
            first = said.split("。", 1)[0]
            lead = first if len(first) <= _LEAD_CHARS else ""
            texts = [_squash(lead)] + [_squash(c.sentence) for c in chosen[:1]]
            said_counts = [
                m
                for text in texts
                for m in _CLAIMED_COUNT.finditer(text)
                if _same_measure(m.group(4), measure) and numeral_value(m.group(2)) is not None
            ]
            if not said_counts:
                return None
            yes = _bears_out(count, said_counts[0])
        else:
            return None
        verdict = "是的。" if yes else "不是。"
        if lead:  # 不是。共 4 个。: the count the report gives, said
            verdict += f"{lead}。"
        return self._reply(raw_question, verdict, chosen[:1], 0.0, 1.0)

    def _quotes_for(self, question: str) -> list[_Candidate]:
        """What the answer to ``question`` would quote (nothing when it is refused), leaving
        the reading of the question being answered as it was."""
        return self._answered_for(question)[0]

    def _answered_for(self, question: str) -> tuple[list[_Candidate], str]:
        """What the answer to ``question`` would quote, and its body (its count, 共 4 个, is
        said before the quotes); nothing when it is refused."""
        with self._aside():
            self._chosen = []
            answer = self._answer(question)
            return (self._chosen, body_of(answer.text)) if answer.answered else ([], "")

    @contextlib.contextmanager
    def _aside(self) -> Iterator[None]:
        """Another question answered on the way (the claim asked as a question, a question
        to suggest), leaving how the one being answered was read: what it quotes, the parts
        it names, what it sets aside."""
        kept = (
            dict(self.reading),
            self._chosen,
            self._parts,
            self._hosts,
            self._beyond,
            self._acting,
            dict(self._joined),
        )
        try:
            yield
        finally:
            (
                self.reading,
                self._chosen,
                self._parts,
                self._hosts,
                self._beyond,
                self._acting,
                self._joined,
            ) = kept

    def _unknown_subject(self, question: Question, tagged: list[tuple[str, str]]) -> str:
        """The place or body a question opens with (云海新区的规划, 某某集团的总部), when no
        word of it is the knowledge's, nor a synonym of one: a subject the report never
        speaks of."""
        words = list(itertools.takewhile(lambda pair: pair[1] not in ("uj", "v", "p"), tagged))
        name = "".join(w for w, _ in words)
        if (
            len(name) < 3
            or not words
            or any(phrase in name for phrase, _ in question.synonyms)  # 工信部
            # 云数中心 (中心), 云城市 (云城): a word of it the knowledge uses, maybe its name
            or any(self.kb.knows(t) for t in self.kb.terms_in(name) if len(t) > 1)
            or not (words[-1][1] in ("ns", "nt") or names_a_body(words[-1][0]))
        ):
            return ""
        return name

    def _said_otherwise(
        self, claim: str, people: tuple[str, ...], asked: _Asked, chosen: list[_Candidate]
    ) -> bool:
        """Whether a 不是 stands on what the quotes say of the claim's subject, a place or body
        it opens with: one of the claim's words, or another of the same kind (a post, a body,
        a place, an award, a number) said of it. 江城市获奖了吗, where the report names 江城
        only for a guest's post, is not denied but not said. A claim of a person is denied by
        who they are, which the quotes give in many kinds of words (their talk's topic, a
        body named in no other way)."""
        if people:
            return True
        opening = list(
            itertools.takewhile(
                lambda pair: pair[1] == "ns" or names_a_body(pair[0]), self.kb.tokenizer.tag(claim)
            )
        )
        subject = "".join(w for w, _ in opening)  # 北京市朝阳区, whole
        if len(subject) < 2 or not all(self.kb.knows(w) for w, _ in opening):
            return True  # 论坛是在清华大学办的: of the event, denied by where it was
        light = self._max_weight * LIGHT_WEIGHT
        own = self.kb.terms_in(subject)
        claimed = _outermost(
            t for t, w in asked.weights.items() if w > light and len(t) > 1 and t not in own
        )
        kinds = {_kind_of_word(t, self.kb.tokenizer.tag) for t in claimed} - {""}
        for candidate in chosen:
            if subject not in candidate.sentence and candidate.passage.speaker != subject:
                continue
            said = self.kb.terms_in(candidate.sentence)
            if any(
                t in said
                # 承办方, a word the knowledge never uses, by its 承办
                or (not self.kb.knows(t) and ((self.kb.terms_in(t) - {t}) & said) - own)
                for t in claimed
            ):
                return True
            if kinds & {_kind_of_word(t, self.kb.tokenizer.tag) for t in said}:
                return True
        return False

    def _what_is_true(
        self, claim: str, people: tuple[str, ...], chosen: list[_Candidate]
    ) -> list[_Candidate]:
        """The evidence for a 不是: what the report says instead (第二场对话是吴刚主持的
        → who chaired it; 论坛是在清华大学办的 → where it was held), then what it says of
        the person the claim was about (许佳是河南来的 → where 许佳 is from)."""
        place = place_claimed(claim)
        if len(people) == 1:
            truth = self._quotes_for(claim.replace(people[0], "谁", 1))
            person = people[0]
            everyone = self.kb.names
            posts = list(TITLE_RE.finditer(claim))
            # who they are, as the report says it: their post there, when a post was claimed
            # (是分委会秘书长吗 → what they are on the 分委会)
            asked_own = (
                claim[: posts[-1].start()] + "什么职务" + claim[posts[-1].end() :]
                if posts
                else f"{person}是谁"
            )
            claimed = set(
                _outermost(
                    t
                    for t in self.kb.terms_in(claim[: posts[-1].start()] if posts else "")
                    if len(t) > 1 and self.kb.knows(t) and t not in self.kb.terms_in(person)
                )
            )
            theirs = self.kb.terms_in("、".join(self.kb.roles.get(person, ())))
            own = [
                replace(c, sentence=person_window(c.sentence, person, everyone) or c.sentence)
                for c in (self._quotes_for(asked_own) if claimed & theirs else [])
            ] or [
                replace(c, sentence=person_window(c.sentence, person, everyone) or c.sentence)
                for c in self._quotes_for(f"{person}是谁")
            ]
        elif place:
            truth, own = self._quotes_for(claim.replace(place, "哪里", 1)), []
        else:
            return chosen
        merged: list[_Candidate] = []
        for candidate in [*truth[:1], *own[:1], *chosen]:
            if len(merged) == 2 or sum(len(c.sentence) for c in merged) > BODY_CHARS:
                break
            if all(_squash(candidate.sentence) != _squash(c.sentence) for c in merged):
                merged.append(candidate)
        return merged or chosen

    def _not_found(
        self,
        raw_question: str,
        people: tuple[str, ...],
        asked: _Asked,
        top_score: float = 0.0,
        coverage: float = 0.0,
    ) -> Answer:
        """Nothing to quote. Asked about someone the report does name, say what it lacks
        about them and what it can tell instead, rather than the general apology."""
        known = [p for p in people if p in self.kb.roles or p in self.kb.speakers]
        if not known:
            return Answer(
                raw_question, False, self.replies.not_found, top_score=top_score, coverage=coverage
            )
        who = known[0]
        suggestions = self._answerable_about(who, raw_question)
        if not suggestions:
            return Answer(
                raw_question, False, self.replies.not_found, top_score=top_score, coverage=coverage
            )
        text = self.replies.not_mentioned.format(who=who) + "\n".join(f"• {q}" for q in suggestions)
        return Answer(raw_question, False, text, top_score=top_score, coverage=coverage)

    def _answerable_about(self, who: str, asked: str) -> list[str]:
        """Two questions about ``who`` this knowledge answers, other than the one asked
        (吴刚讲了什么 is no suggestion after 吴刚讲了什么 was refused). Whether a
        suggestion is answered is worked out once per knowledge version."""
        questions = [q.format(who=who) for q in self.replies.about_someone]
        if self._suggesting:  # a suggestion tried out is not suggested on in turn
            return questions[:2]
        asked_key = _squash(normalize_question(asked)).rstrip("?？")
        fits: list[str] = []
        for question in questions:
            if _squash(question).rstrip("?？") == asked_key:
                continue
            if self._answers(question):
                fits.append(question)
            if len(fits) == 2:
                break
        return fits

    def _answers(self, question: str) -> bool:
        key = (self.kb.version, self.resources, question)
        known = _ANSWERABLE.get(key)
        if known is None:
            self._suggesting = True
            try:
                with self._aside():
                    known = self._answer(question).answered
            finally:
                self._suggesting = False
            if len(_ANSWERABLE) >= ANSWERABLE_KEPT:
                _ANSWERABLE.clear()
            _ANSWERABLE[key] = known
        return known

    def _lists_them(self, raw_question: str) -> Callable[[str], bool] | None:
        """Asked for the particular ones of a thing (江城的项目具体有哪些), whether a sentence
        lists them: items before its name (甲、乙、丙等项目), a list after it (三种范式：甲、乙),
        or the name repeated down a list (创新服务奖、创新设计奖…); a sentence that only names
        the thing (围绕智慧城市项目建设) gives none of them. None when not asked so."""
        at = raw_question.find(lexicon.cues("specifics")[0])
        which = _PLURAL_WHICH.search(raw_question, at) if at >= 0 else None
        if which is None:
            return None
        spans, pos = [], 0
        for word, flag in self.kb.tokenizer.tag(raw_question):
            spans.append((pos, word, flag))
            pos += len(word)
        # the thing before 具体 (项目), and whatever follows the which (哪些奖项, 哪些“更”)
        before = [
            w for p, w, f in spans if p + len(w) <= at and f[:1] in ("n", "x") and _HAN.match(w)
        ]
        after = [w for p, w, _ in spans if p >= which.end() and _HAN.match(w)]
        words = [*after[:1], *before[-1:]]
        if not words:
            return None

        def lists(sentence: str, word: str) -> bool:
            name = re.escape(word)
            ends = word if self.kb.knows(word) else word[0]  # 奖项: 创新服务奖、创新设计奖
            return bool(
                re.search(rf"{name}[^。；，]{{0,8}}：[^。]*、", sentence)
                or re.search(
                    rf"、[^、，。]{{1,12}}、[^、，。]{{1,6}}(?:等|“[^”]*”)?[^、，。]{{0,4}}{name}"
                    # the list ends there, and the name is no modifier (城市中的): its items
                    r"(?![的中之])(?=[^、，。；]*(?:[，。；]|$))",
                    sentence,
                )
                or len(
                    re.findall(
                        rf"(?:^|[、，,和及与：]){re.escape(ends)}|{re.escape(ends)}(?=[、，,和及与。；]|$)",
                        sentence,
                    )
                )
                >= LISTED_AT_LEAST
            )

        return lambda sentence: any(lists(sentence, w) for w in words)

    def _defining_first(self, question: Question, candidates: list[_Candidate]) -> list[_Candidate]:
        """Asked what a term means or what counts as it (什么才是创新), the sentences that
        define it (走出不一样的路，就是创新) as good as the best: the term is in many
        sentences, and the one that says what it is need not match the question best. A
        question no sentence answers so keeps its candidates as they are."""
        term = _defined_term(question.text)
        if not term or not candidates:
            return candidates
        frame = re.compile(
            rf"(?:{lexicon.cue_pattern('defining_before').pattern}){re.escape(term)}"
            rf"(?=[，,。；;！!？?、]|$)"
            rf"|(?:^|[，,。；;])(?:所谓)?“?{re.escape(term)}”?"
            rf"(?:{lexicon.cue_pattern('defining_after').pattern})"
        )
        # a term spelt out by its halves in a quote (众创智慧: “集众创，成智慧”)
        first, second = term[: len(term) // 2], term[len(term) // 2 :]

        def spelt_out(sentence: str) -> bool:
            # each half in a clause of its own: not a title that happens to hold both
            return len(term) >= 4 and any(
                len(parts := re.split(r"[，,、]", quoted)) > 1
                and first in parts[0]
                and second in parts[-1]
                for quoted in _QUOTED.findall(sentence)
            )

        best = candidates[0].score
        defines = [bool(frame.search(c.sentence)) or spelt_out(c.sentence) for c in candidates]
        if not any(defines):
            return candidates
        defining = [
            replace(c, score=max(c.score, best))
            for c, says in zip(candidates, defines, strict=True)
            if says
        ]
        return defining + [c for c, says in zip(candidates, defines, strict=True) if not says]

    def _choose(
        self,
        question: Question,
        asked: _Asked,
        people: tuple[str, ...],
        candidates: list[_Candidate],
    ) -> list[_Candidate]:
        """The sentences to quote: the best, and the next ones nearly as good, within the
        length budget; never a caption or headline after the first sentence, nor a sentence
        another quoted one already contains (a caption repeating the body)."""
        chosen: list[_Candidate] = []
        used = 0
        best = candidates[0].score
        # running text before a caption or headline nearly as good: a caption says less
        near = [c for c in candidates if c.score >= 0.8 * best]
        # and, asked about one person, the sentences that name them (or are their talk)
        # before those that only share the passage with them
        candidates = (
            sorted(
                near,
                key=lambda c: (
                    c.passage.kind in SET_APART,
                    len(people) == 1 and not self._says_of(c, people[0]),
                ),
            )
            + candidates[len(near) :]
        )
        firsts = self._one_for_each(question, people, candidates)
        for candidate in [*firsts, *(c for c in candidates if c not in firsts)]:
            if len(chosen) == MAX_SENTENCES:
                break
            if (
                chosen
                and candidate not in firsts
                and candidate.score < self._nearly(question) * best
            ):
                break
            if chosen and candidate.passage.kind in SET_APART:
                continue
            sentence = candidate.sentence
            if (
                self.resources.entities
                and len(people) == 1
                and (item := list_item(sentence, people[0], self.kb.names))
            ):
                if "：" not in item and self._asks_content(question):
                    continue  # 秦满作为对话嘉宾: he took part, not what he said
                if (
                    "：" in item
                    and self.resources.evidence
                    and self._beyond_topic(question, asked, candidate)
                ):
                    continue
                sentence = item
            elif self._asks_content(question) and len(people) == 1:
                if not self._tells_what(candidate, people[0]):
                    continue  # 周杰发表了获奖感言: that he spoke, not what he said
            elif (
                question.intent not in (Intent.COUNT, Intent.OVERVIEW)
                and len(people) < 2
                and not any(cue in question.text for cue in EVERYONE)
            ):  # 东达软合伙人的分享, 韩娇是什么职位: the part about the one asked of
                sentence = self._of_one(asked, candidate, people[0] if people else None)
            if any(_squash(sentence) in _squash(c.sentence) for c in chosen):
                continue
            quote = self._clip(
                sentence, asked, BODY_CHARS - used, question.intent in (Intent.WHO, Intent.COUNT)
            )
            if chosen and used + len(quote) > BODY_CHARS:
                continue
            chosen = [c for c in chosen if _squash(c.sentence) not in _squash(quote)]
            chosen.append(_Candidate(quote, candidate.passage, candidate.passage_score, 0))
            used = sum(len(c.sentence) for c in chosen)
        return chosen

    def _of_one(self, asked: _Asked, candidate: _Candidate, person: str | None = None) -> str:
        """Of a sentence naming several people, the part about the one asked of (``person``)
        or who fits the question: their pair from a list of people and topics (云途 CEO
        何军：SaaS 如何帮助政府更高效), else what the sentence says of them, when it covers
        the question nearly as well as the whole, with what the sentence says of them all
        (…等主题进行了分享)."""
        sentence = candidate.sentence
        named = self.kb.people_in(sentence)
        if len(named) < 2 or (person is not None and person not in named):
            return sentence
        everyone = self.kb.names

        def part(who: str) -> str:
            pair = list_item(sentence, who, self.kb.names)
            return pair if pair and "：" in pair else person_window(sentence, who, everyone)

        parts = {who: part(who) for who in sorted(named, key=sentence.find)}
        shared = self.kb.terms_in(sentence) - frozenset().union(
            *(self.kb.terms_in(p) for p in parts.values())
        )
        # the part the question names (张明参加的那场) is said by all of its sentences
        shared |= self._parts.get(candidate.passage.section, frozenset())

        def score(who: str) -> float:
            return asked.coverage(self.kb.terms_in(parts[who]) | shared)

        best = person or max(parts, key=score)
        whole = asked.coverage(
            self.kb.terms_in(sentence) | self._parts.get(candidate.passage.section, frozenset())
        )
        return parts[best] if score(best) >= whole - 0.05 else sentence

    @staticmethod
    def _says_of(candidate: _Candidate, person: str) -> bool:
        return person in candidate.sentence or candidate.passage.speaker == person

    def _tells_what(self, candidate: _Candidate, person: str) -> bool:
        """Whether a sentence tells what ``person`` said or did: a sentence of their talk, or
        one where they speak (赵敏主持大会论坛，他强调…), not one that names them only."""
        if candidate.passage.speaker == person:
            return True
        everyone = self.kb.names
        window = person_window(candidate.sentence, person, everyone)
        return any(verb in window for verb in lexicon.words("speech_verbs"))

    @staticmethod
    def _asks_content(question: Question) -> bool:
        """Whether a question asks what someone said or did there (介绍了什么, 具体), which
        a list naming them among others, with no topic of theirs, does not tell."""
        return any(cue in question.text for cue in lexicon.words("content_cues"))

    @staticmethod
    def _nearly(question: Question) -> float:
        """How close to the best a further sentence must score to be quoted too: a question
        after one date or number wants that fact, not its neighbours."""
        return 0.9 if question.intent in (Intent.WHEN, Intent.COUNT) else 0.8

    def _lead(
        self,
        question: Question,
        asked: _Asked,
        people: tuple[str, ...],
        understood: Understanding,
        chosen: list[_Candidate],
    ) -> str:
        """What the reply says before its quotes: which name a typo was read as, the yes or
        no a yes/no question asks for, the number a count asks for, the person a who-question
        asks for when the quote does not name them, the part of the event asked for when
        the quote does not name it."""
        lead = "".join(f"以下是关于“{name}”的内容：\n" for _, name in understood.corrections)
        first = chosen[0]
        if understood.yes_no:
            lead += "是的。" if self._verdict(asked, people, chosen, understood.text) else "不是。"
        elif question.intent is Intent.COUNT and (
            count := count_in(first.sentence, asked, self.kb.names)
        ):
            lead += f"{count}。"
        elif (
            first.passage.speaker
            and first.passage.speaker not in people
            and first.passage.speaker not in first.sentence
            and (
                not self.kb.people_in(first.sentence)
                # asked who said something of someone (谁提到了李华): whose talk it is
                or (
                    question.intent is Intent.WHO
                    and self.kb.people_in(first.sentence) <= set(people)
                )
            )
        ):  # a quote from a talk that does not say whose: say it
            lead += f"{first.passage.speaker}："
        elif (
            any(cue in question.text for cue in WHICH_PART)
            and first.passage.section
            and _squash(first.passage.section.split("：")[-1]) not in _squash(first.sentence)
        ):  # 他参加的是哪场对话: a quote from that part need not name it
            lead += f"{first.passage.section}。"
        return lead

    def _verdict(
        self, asked: _Asked, people: tuple[str, ...], chosen: list[_Candidate], claim_text: str
    ) -> bool:
        """Yes or no, on the evidence quoted. The claim (what it says that the knowledge could
        confirm) must be made whole of the person asked about: in one of their roles, or in
        what a quoted sentence says of them (their clause and the clauses around it that name
        nobody else), read with the passage's own heading; of no one, in one quoted sentence.
        Not denied there (不完全等同于), and not with another count (四种 where it says 三种)."""
        light = self._max_weight * LIGHT_WEIGHT
        named = frozenset().union(*(self.kb.terms_in(p) for p in people)) if people else frozenset()
        # what the claim says that the knowledge could confirm (名单 in 50强名单 it never uses)
        claim = [
            t
            for t, w in asked.weights.items()
            if w > light
            and t not in named
            and t not in lexicon.words("light_verbs")  # 参与: said as 一起启动, not in those words
            and (self.kb.knows(t) or t in asked.alternatives)
        ]

        def holds(text: str) -> bool:
            terms, squashed = self.kb.terms_in(text), _squash(text).lower()
            return all(
                t in terms or any(p.lower() in squashed for p in asked.phrases.get(t, ()))
                for t in claim
            )

        def context(candidate: _Candidate) -> str:
            return f"{candidate.passage.speaker or ''}，{candidate.passage.citation()}"

        posts = {m.group() for m in TITLE_RE.finditer(claim_text)}
        now = bool(posts and _NOW.search(claim_text))

        def current(text: str) -> bool:  # 李华现在还是副部长: 原…副部长 was before
            return not now or bool(posts & {p for p, _ in posts_in(text, former=False)})

        def whole(text: str) -> bool:  # 赵敏是院长吗: 院长助理 is another post
            held = [p for p, _ in posts_in(text)]
            return all(any(holds_post(h, post) for h in held) for post in posts)

        # 是南昌市的副市长吗, 是在发改委指导下成立的吗: a place or body the knowledge never
        # names, claimed where the quotes give one it does (江城市, 交通部): not borne out
        elsewhere = [
            w
            for w, f in self.kb.tokenizer.tag(claim_text)
            if (f in ("ns", "nt", "nz") or names_a_body(w))
            and len(w) > 1
            and not self.kb.knows(w)
            and w not in asked.alternatives
            and w not in people
            and not any(w in t and self.kb.knows(t) for t in asked.weights)  # 东达 of 东达软
        ]
        if elsewhere:
            return False
        if any(self._numeral_off(t, chosen) for t in asked.weights if not self.kb.knows(t)):
            return False  # 十二五 claimed, where the quotes say 十三五
        # 是说要以更谨慎的态度推进吗: a word of the claim the knowledge never uses, where the
        # quotes say the rest (更加开放、包容的态度), says what they do not
        if self._unborne(asked):
            return False
        if len(people) == 1 and self.resources.entities:
            person = people[0]
            if claim and any(
                holds(role) and current(role) and whole(role)
                for role in self.kb.roles.get(person, [])
            ):
                return True
            everyone = self.kb.names
            texts = [
                (c, person_window(c.sentence, person, everyone, what_only=True) or c.sentence)
                for c in chosen
                if person in c.sentence or c.passage.speaker == person
            ]
        else:
            texts = [(c, run) for c in chosen for run in _carried_runs(c.sentence)]
        holding = [text for candidate, text in texts if holds(f"{text}，{context(candidate)}")]
        if not holding:
            return False
        if not any(current(text) and whole(text) for text in holding):
            return False
        if _ONLY.search(claim_text) and any(_NOT_ONLY.search(text) for text in holding):
            return False  # 创新只是技术层面的事吗: 不单单是技术层面的创新
        if _ALONE.search(claim_text) and any(  # 只颁给了城市吗: 城市、企业和个人
            len(_list_items(m.group())) > 1 and any(t in m.group() for t in claim)
            for text in holding
            for m in _LIST.finditer(text)
        ):
            return False
        place = place_claimed(claim_text)
        if place and not any(
            place in held for text in holding for held in places_held(_squash(text))
        ):
            return False  # 论坛是在清华大学办的: 清华大学 is named, not as where it was held
        said = set().union(*(counts_in(text) for text in holding))
        asked_counts = counts_in(claim_text, lists=False)
        if asked_counts and said and asked_counts.isdisjoint(said):
            return False
        return not any(
            _DENIAL.search(clause)
            for text in holding
            for clause in _CLAIM_CLAUSE.findall(text)
            if any(t in self.kb.terms_in(clause) for t in claim)
        )

    def _told_apart(self, citations: list[Citation]) -> list[Citation]:
        """Two paragraphs of one talk would be cited by the same line: add each one's place."""
        lines = Counter(c.passage.citation() for c in citations)
        return [
            replace(c, label=f"{c.line()}，第 {self.kb.place(c.passage)} 段")
            if lines[c.passage.citation()] > 1
            else c
            for c in citations
        ]

    @staticmethod
    def _quote(candidate: _Candidate, citations: list[Citation]) -> str:
        n = next(c.n for c in citations if c.passage.id == candidate.passage.id)
        return f"{candidate.sentence}[{n}]"


# whether a suggested question is answered, by (knowledge version, question): a refusal
# about someone suggests the same questions every time
_ANSWERABLE: dict[tuple[str, Resources, str], bool] = {}
ANSWERABLE_KEPT = 4096


def compose_answer(
    kb: KnowledgeBase,
    question: str,
    exclude: frozenset[str] = frozenset(),
    resources: Resources = EVERYTHING,
    *,
    whole: bool = False,
) -> Answer:
    return Composer(kb, resources).answer(question, exclude, whole)
