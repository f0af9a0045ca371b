"""One user's conversation: follow-ups that refer back to that user's previous answer.

WeChat delivers every message on its own, possibly to another gunicorn worker, so what a
follow-up refers to (the previous answer's citations and speaker) lives in the shared
StateStore under the user's keyed hash, never in process memory. The console uses the same
class with a MemoryStore, so it behaves exactly like the webhook.

The kinds of follow-up:

* a bare number (``1``, ``[2]``, ``２``) shows that citation's passage in full, also after a
  refusal or a greeting in between (the last answer's citations stay open);
* a question that points back at a person (他是哪个单位的 / 她主持的是哪场 / 这位嘉宾…) is
  rewritten with the last person named, by the user's question or by the bot's answer (谁主持
  的 → 赵敏 → 他是什么职务);
* "more" (还有呢, 他还讲了什么) asks the last question again for sentences not yet shown to
  this user, or says there are no more;
* an elliptical turn takes the previous question's frame: 那协办单位呢 after 主办单位是谁
  swaps the word it replaces, 张明呢 the person; a short turn that names nothing of its
  own (嘉宾都有谁, 在谁指导下成立的), or that points at what was said (这样做能达到什么效果),
  is asked about the previous question's subject first.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from bot.chat.reply import Reply, ReplyKind
from bot.qa import lexicon
from bot.qa.answer import Answer, body_of
from bot.qa.question import HE_OR_SHE, THING_POINTER, is_social, strip_cues
from bot.state.base import KEEP, StateStore
from bot.wechat.limits import MAX_REPLY_BYTES, fit_bytes
from knowledge.passages import TITLE_RE, names_a_body
from knowledge.persona import Persona, Replies
from knowledge.text import HAN as _HAN_CHAR
from knowledge.text import ORDINAL, longest_first, numeral_value
from knowledge.text import reply_sentences as split_sentences

if TYPE_CHECKING:
    from bot.chat.engine import Engine
    from knowledge.base import KnowledgeBase

CONVERSATION_TTL = 30 * 60  # a follow-up refers to an answer at most this old (seconds)
# Input is cut to this many characters before any work is done on it; the composer cuts
# again, shorter, before tokenising. This bound only keeps the regular expressions cheap.
MAX_INPUT_CHARS = 2000

SHOWN_KEPT = 30  # sentences remembered as shown, per user

# "More of the same": the previous question, for what was not shown yet.
_MORE = re.compile(rf"^(?:那|那么)?(?:{lexicon.cue_pattern('more').pattern})[?？。.!！]*$")
# 还有呢？他还讲了什么, with the mark or without: the 还有呢 before a question of its own
_MORE_LEAD = re.compile(
    _MORE.pattern.removesuffix("$").replace("[?？。.!！]*", "[?？。.!！，,\\s]*")
)
_SAID_MORE = lexicon.cue_pattern("said_more").pattern
_MORE_OF_SOMEONE = re.compile(rf"还(?:{_SAID_MORE})")
# 还参加了什么环节: a part besides the ones shown (not 还提到…, whose fact may be in them)
_ALSO = re.compile(rf"还(?:{lexicon.cue_pattern('also_took_part').pattern})")
# 那协办单位呢 / 张明呢: the same question, about something else.
_INSTEAD = re.compile(r"^(?:那|那么)?(?P<what>.{1,15}?)(?:呢|怎么样|如何)[?？。.!！]*$")
ELLIPTIC_MAX_CHARS = 10
# jieba's tags of a noun or a time word: a thing or a time a turn names (中午吃的什么)
_NOUN = re.compile(r"n|ns|nr|nz|nt|t")
_NUMBER = re.compile(r"^[\[【(（#]?\s*(\d{1,2})\s*[\]】)）]?[。.]?$")
# Words that point back at a person. 他 is not a pronoun inside 其他 / 他们 / 他人 / 吉他.
_POINTER_NOUNS = lexicon.cue_pattern("pointer_nouns").pattern
_POINTER = re.compile(
    rf"这位(?:{_POINTER_NOUNS})?|该(?:{_POINTER_NOUNS})|此人|这个人|演讲者|讲者"
    rf"|{HE_OR_SHE.pattern}"
    r"|(?<![A-Za-z])[Tt][Aa](?![A-Za-z])"
)
# A question with the subject left out: 还讲了什么？ means "what else did <speaker> say?",
# 讲了什么主题？ "what did <speaker> speak about?"
# 同场还有谁: who else was in the same part as them
_ELLIPTIC = re.compile(
    rf"^(那|那么)?(?=还(?:{_SAID_MORE})|(?:{_SAID_MORE})(?:了|的|过|到|些|什么|啥|哪)"
    rf"|(?:{lexicon.cue_pattern('same_part').pattern})(?:还|都|有))"
)


# 是正秘书长吗 after 张明是哪里的: a claim about the last person, the subject left out
_CLAIM_OF_SOMEONE = re.compile(
    r"^(那|那么)?(?=(?:是不是|是)[^，,。？?]{1,12}(?:吗|(?<![什怎])么)[?？。.!！]*$)"
)


def citation_number(text: str) -> int | None:
    """The citation a bare-number message asks for, else None."""
    match = _NUMBER.match(unicodedata.normalize("NFKC", text).strip())
    return int(match.group(1)) if match else None


@functools.lru_cache(maxsize=16)
def _longest_first(names: frozenset[str]) -> list[str]:
    """The knowledge's names in the order they are looked for, sorted once per set: a
    follow-up looks them up several times, and there may be thousands."""
    return longest_first(names)


def names_in(text: str, names: Iterable[str]) -> list[str]:
    """The known names ``text`` mentions, in the order it mentions them."""
    found: list[tuple[int, str]] = []
    ordered = _longest_first(names) if isinstance(names, frozenset) else longest_first(names)
    for name in ordered:
        at = text.find(name)
        if at >= 0 and not any(name in other for _, other in found):
            found.append((at, name))
    return [name for _, name in sorted(found)]


_ASKS_OF_SOMEONE = re.compile(
    rf"^(?:那|那么)?(?:他|她)?(?:是|在)?(?:{lexicon.cue_pattern('asks_of_someone').pattern})"
    r"(?:的)?[?？。.!！]*$"
)


_ASKED_WHO = re.compile(r"谁|哪位|哪一位")
_WHO_IS = re.compile(r"(?:到底|究竟|又)?是(?:谁|哪位|哪一位|什么人)")


def _asks_of_someone(question: str, names: Iterable[str]) -> bool:
    """A turn of nothing but what it asks of a person (哪个单位的？ 什么职务？), naming no one."""
    return bool(_ASKS_OF_SOMEONE.match(question.strip())) and not names_in(question, names)


def rewrite_follow_up(question: str, speaker: str | None, names: Iterable[str] = ()) -> str:
    """The question with a pointer to the previous speaker replaced by the speaker's name.

    A question that already names someone is left alone, as is one with nothing to resolve.
    """
    if not speaker or speaker in question or names_in(question, names):
        return question
    rewritten, count = _POINTER.subn(speaker, question, count=1)
    if count:
        return rewritten
    elliptic = _ELLIPTIC.match(question) or _CLAIM_OF_SOMEONE.match(question)
    if elliptic:
        return question[: elliptic.end()] + speaker + question[elliptic.end() :]
    return question


_ASKS_ORGANISATION = lexicon.cue_pattern("organisation_asks")
# 这么 of 这么多 / 这么大 says how much, not what was said
_SAID_POINTER = re.compile(rf"(?:{lexicon.cue_pattern('said_pointers').pattern})(?![多少大长久快])")
_YES_NO_END = re.compile(r"(?:吗|(?<![什怎])么|嘛)[?？。.!！]*$")  # not 什么, 怎么
_PERSON_KIND_END = re.compile(rf"(?:{lexicon.cue_pattern('person_kinds').pattern})$")


_THEIR_BODY = lexicon.cue_pattern("their_body")


def point_to_their_body(question: str, speaker: str | None) -> str:
    """他的单位在论坛里是什么角色: asked of the body of the last person named (张明的单位),
    which the reading of the question resolves to the body their roles name."""
    if not speaker:
        return question

    def theirs(match: re.Match[str]) -> str:
        rest = match.group().lstrip("他她").removeprefix("们")
        return f"{speaker}{rest if rest.startswith(('的', '所在')) else '的' + rest}"

    return _THEIR_BODY.sub(theirs, question, count=1)


def point_to_organisation(question: str, organisation: str | None, orgs: Iterable[str]) -> str:
    """它的社长参加了吗 after a question about 某报社: the pointer replaced by the last
    organisation named, unless the question names one of its own."""
    if not organisation or names_in(question, orgs):
        return question
    return THING_POINTER.sub(organisation, question, count=1)


_PART_POINTER = lexicon.cue_pattern("part_pointers")
_NEXT_ONE = lexicon.cue_pattern("next_one")
_AFTER = lexicon.cue_pattern("after")
_DIALOGUE = "对话"
_OTHER_PART = lexicon.cue_pattern("other_part")
_PART_ROLE = lexicon.cue_pattern("part_roles")
_LIST_ORDINAL = re.compile(
    rf"{ORDINAL}(?:{lexicon.cue_pattern('list_ordinal_measures').pattern})(?![奖届])"
)


def point_to_part(question: str, section: str | None, parts: dict[str, list[str]]) -> str:
    """这个环节都有谁 after an answer from 大会论坛: that part's name; 那另一场 after an answer
    from one of two parts of a kind (两场对话研讨): the other one's."""
    if not section:
        return question
    if other := _OTHER_PART.search(question):
        rest = [s for s in parts.get(section.partition("：")[0], ()) if s != section]
        return question.replace(other.group(), rest[0], 1) if len(rest) == 1 else question
    pointer = _PART_POINTER.search(question)
    # 这场对话 points at a dialogue only: after an answer from another part, at nothing
    if pointer is None or (_DIALOGUE in pointer.group() and _DIALOGUE not in section):
        return question
    return question.replace(pointer.group(), section, 1)


def ask_of_part(
    question: str, section: str | None, parts: dict[str, list[str]], names: Iterable[str]
) -> str:
    """主持人是谁 after an answer from one of two dialogues: that dialogue's host, not the
    whole event's. Only a question that begins with what a part has, naming nobody."""
    if (
        not section
        or not any(section in sections for sections in parts.values())
        or not _PART_ROLE.match(question.strip())
        or names_in(question, frozenset(names))
    ):
        return question
    return f"{section}的{question.strip()}"


def _talk_opened(kb: KnowledgeBase, speaker: str, cited: list[dict[str, Any]]) -> frozenset[str]:
    """他还讲了什么 after an answer from 张明's talk: its opening sentence (张明发表了题为…的
    主题演讲) says that he spoke, which the user knows by now; what more he said is wanted."""
    if not any((p := kb.passage(c["id"])) is not None and p.speaker == speaker for c in cited):
        return frozenset()
    return frozenset(split_sentences(t.text)[0] for t in kb.talks if t.speaker == speaker)


def point_to_item(question: str, listed: list[str]) -> str:
    """第一种是什么意思 after an answer listing three (…：由政府建平台提供的供给式、…): the
    question about that item."""
    match = _LIST_ORDINAL.search(question)
    if not match or not listed:
        return question
    n = numeral_value(re.sub(r"\D*?([一二三四五六七八九十\d]+).*", r"\1", match.group())) or 0
    return question.replace(match.group(), listed[n - 1], 1) if 0 < n <= len(listed) else question


def listed_in(text: str) -> list[str]:
    """The items of the first list an answer gives after a colon (三种范式：甲、乙、丙)."""
    for sentence in _shown_in(text):
        _, colon, tail = sentence.rpartition("：")
        clause = re.split(r"[，,。；;]", tail)[0]  # 主题为：甲，来自…: one item, no list
        items = [i.strip() for i in re.split(r"、|和", clause)] if colon else []
        if len(items) > 2 and all(items):
            return items
    return []


_TOPIC_POINTER = re.compile(
    rf"(?<![其那])(?:(?:{lexicon.cue_pattern('topic_pointers').pattern})(?!们)"
    rf"|(?:{lexicon.cue_pattern('topic_pointer_bare').pattern})"
    rf"(?=(?:{lexicon.cue_pattern('topic_pointer_next').pattern})))"
)
_TOPIC_FLAGS = ("n", "x", "l", "i", "j", "vn")  # nouns, phrases of the knowledge, idioms


def topic_of(question: str, kb: KnowledgeBase | None) -> str | None:
    """What 它 / 这个 would mean next, when it is no one and no body: the first thing the
    question asks about that the knowledge names (五位一体 of 张明说的五位一体指什么), the
    words of one such run of words together (社会管理范式), not a person, a kind of answer
    (意思, 目标) or the event itself."""
    if kb is None:
        return None
    event = kb.terms_in(kb.persona.subject)
    run: list[str] = []
    for word, flag in kb.tokenizer.tag(question):
        thing = (
            len(word) > 1
            and flag.startswith(_TOPIC_FLAGS)
            and not flag.startswith("nr")
            and kb.knows(word)
            and word not in event
            and word not in kb.names
            and word not in lexicon.words("answer_kinds")
        )
        if thing:
            run.append(word)
        elif run:
            break
    return "".join(run) or None


def point_to_topic(question: str, topic: str | None, names: Iterable[str]) -> str:
    """这个要实现什么目标 after 张明说的五位一体指什么: the pointer replaced by that thing;
    a question naming someone (他…) is about them, and is left alone."""
    if not topic or topic in question or names_in(question, names) or HE_OR_SHE.search(question):
        return question
    return _TOPIC_POINTER.sub(topic, question, count=1)


def organisation_of(question: str, answer: Answer, orgs: Iterable[str]) -> str | None:
    """What 它 / 这家单位 would mean next: the organisation the question named, else, when
    it asked for one (他是哪家的), the first one the answer names; not any organisation an
    answer happens to name (论坛在哪里举行 names its organisers)."""
    orgs = frozenset(orgs)
    named = names_in(question, orgs) or (
        names_in(body_of(answer.text), orgs)
        if answer.answered and _ASKS_ORGANISATION.search(question)
        else []
    )
    return named[0] if named else None


def speaker_of(question: str, answer: Answer, names: Iterable[str] = ()) -> str | None:
    """Whom a follow-up pronoun would mean: the person the question named, else the first
    person the answer names (谁主持了大会论坛 → 赵敏), else the speaker of the first cited
    speech."""
    names = names if isinstance(names, frozenset) else frozenset(names)
    named = _named_by(question, answer.text if answer.answered else None, names)
    if named:
        return named
    return next((c.passage.speaker for c in answer.citations if c.passage.speaker), None)


@functools.lru_cache(maxsize=4096)
def _named_by(question: str, text: str | None, names: frozenset[str]) -> str | None:
    """The person the question names, else the one the answer's ``text`` names (and the
    answer's when the question asks who, of someone it names). Kept per
    question and answer: many users ask the same few questions and get the same answers,
    and every answer is remembered for its follow-ups."""
    named = names_in(question, names)
    # 张明提到了哪位科学家: the one the answer gives, not the one asked about
    asked_who = (
        bool(named)
        and bool(_ASKED_WHO.search(question))
        and text is not None
        # 张明是谁: asked about him (张明之后是谁讲的 is not)
        and not re.search(rf"{re.escape(named[0])}{_WHO_IS.pattern}", question)
    )
    if named and not asked_who:
        return named[0]
    if text is not None:
        body = body_of(text)
        in_answer = [n for n in names_in(body, names) if n not in named]
        if asked_who and not in_answer:
            return named[0]
        # of several, the one whose mention says most of what the question asked about
        # (东达软 → 东达软咨询合伙人钱伟, not the first of the list; 分委会秘书长 → who is
        # 秘书长, not the 分委会主任 named first)
        words = [w for w in re.findall(r"[\w]{2,}", question)]
        pairs = {w[i : i + 2] for w in words for i in range(len(w) - 1)}
        items = re.split(r"[、，。；]", body)
        # what the question shares with an item, each shared pair of characters weighed by
        # how few items have it (秘书长, not the 分委会 every clause names)
        spread = {pair: sum(pair in item for item in items) for pair in pairs}
        best, best_shared = None, 0.0
        for item in items:
            named = names_in(item, in_answer)
            shared = sum(1 / spread[p] for p in pairs if p in item) if named else 0.0
            if shared > best_shared:
                best, best_shared = named[0], shared
        if best:
            return best
        if in_answer:
            return in_answer[0]
    return None


@functools.lru_cache(maxsize=4096)
def _shown_in(text: str) -> tuple[str, ...]:
    """The sentences an answer's ``text`` shows, read once per answer (as _named_by)."""
    return tuple(s for s in split_sentences(body_of(text)) if _HAN_CHAR.search(s))


Tagger = Callable[[str], list[tuple[str, str]]]
# Words of one kind swap for one another: a person for a person, a place or organisation
# for another (jieba tags 沈阳 ns but 南通 nz).
_KIND = {"nr": "person", "ns": "proper", "nt": "proper", "nz": "proper"}
_ORDINAL_WORD = re.compile(rf"{ORDINAL}[场个次轮届期部分]")


def instead(
    question: str,
    previous: str,
    names: Iterable[str],
    tag: Tagger | None = None,
    *,
    swap_only: bool = False,
    called: Callable[[str], str | None] | None = None,
) -> str | None:
    """那协办单位呢 after 论坛的主办单位是谁: the previous question with the word the new one
    replaces swapped. Tried in turn: a known person for the person asked about (张明呢);
    a post for a post (秘书长呢 after 主任是谁); a body for a body (云途的呢 after 交通部的嘉宾是
    谁); a word of the same kind by its tag (南通的呢
    after 沈阳来的嘉宾是谁: a place for a place); an ordinal for an ordinal (第二场呢); the
    longest shared ending of two or more characters (主办单位 → 协办单位). Else the new
    words are put before the previous question (but with ``swap_only``, None). None when
    the turn is not of that form. ``called``: who a role phrase means (那云途CEO呢 swaps
    that person in for the one asked about)."""
    match = _INSTEAD.match(question.strip())
    if not match or not previous:
        return None
    what = match.group("what").strip().removesuffix("的")
    names = frozenset(names)
    theirs, mine = names_in(previous, names), names_in(what, names)
    if tag is not None and _is_body(what):  # 云途集团的呢 after 交通部的嘉宾是谁
        body = _body_named(tag(previous), what)
        if body:
            return previous.replace(body, what, 1)
    if theirs and not mine and called is not None and (person := called(what)):
        mine = [person]
    if theirs and not mine and _PERSON_KIND_END.search(what):  # 那芜湖来的嘉宾呢
        return previous.replace(theirs[0], what, 1)
    if theirs and mine:
        return previous.replace(theirs[0], mine[0], 1)
    if tag is not None:
        kinds = {_KIND[f]: word for word, f in reversed(tag(previous)) if f in _KIND}
        for word, flag in tag(what):
            old = kinds.get(_KIND.get(flag, ""))
            if old and old != word:
                return previous.replace(old, word, 1)
    posts = list(TITLE_RE.finditer(previous))
    if TITLE_RE.fullmatch(what) and posts and posts[-1].group() != what:  # 秘书长呢 after 主任
        post = posts[-1]
        return previous[: post.start()] + what + previous[post.end() :]
    new_ordinal, old_ordinal = _ORDINAL_WORD.search(what), _ORDINAL_WORD.search(previous)
    if new_ordinal and old_ordinal:
        return previous.replace(old_ordinal.group(), new_ordinal.group(), 1)
    owner, _, asked_of = what.rpartition("的")
    if owner and len(asked_of) > 1 and (at := previous.find(f"的{asked_of}")) > 0:
        # 那第二场对话的主持人呢 after “某某”对话研讨的主持人是谁: its own owner for the
        # previous one's, however long either is
        return owner + previous[at:]
    spans = [(m.start(), m.end()) for n in theirs for m in re.finditer(re.escape(n), previous)]
    for size in range(len(what) - 1, 1, -1):
        ending = what[-size:]
        at = previous.find(ending)
        if at >= len(what) - size:
            start = at - (len(what) - size)
            if any(a < at and start < b for a, b in spans):
                continue  # 再之后 for 明之后 of 张明之后: a name is not cut
            return previous[:start] + what + previous[at + size :]
    return None if swap_only else f"{what}，{previous}"


def _body_named(tagged: list[tuple[str, str]], other: str) -> str | None:
    """The body a question names other than ``other``, with the places its name opens with
    (江城市交通局 of 江城市交通局来的是谁: swapped whole, not 交通局 alone)."""
    words = [w for w, _ in tagged]
    at = next((i for i, w in enumerate(words) if w != other and _is_body(w)), None)
    if at is None:
        return None
    start = at
    while start > 0 and tagged[start - 1][1].startswith("ns"):
        start -= 1
    return "".join(words[start : at + 1])


def _is_body(word: str) -> bool:
    """Whether ``word`` is the name of a body as a whole (交通部, 云途集团)."""
    return len(word) > 2 and names_a_body(word)


def is_more(question: str) -> bool:
    return bool(_MORE.match(question.strip()) or _MORE_OF_SOMEONE.search(question))


def show_passage(n: int, label: str, text: str) -> str:
    """Citation ``n`` in full, within WeChat's byte limit, cut at a sentence boundary."""
    header = f"[{n}] {label}\n"
    return header + fit_bytes(text, MAX_REPLY_BYTES - len(header.encode("utf-8")))


_UNREAD: Any = object()


class Conversation:
    """The state one user's follow-ups need, read and written through a StateStore.

    Given what the message's begin read (``read``), the conversation touches the store no
    more: what it would write waits in ``pending`` for the message's finish, which writes it
    with the reply in the same round trip (bot.state.retries). Without it (the console, the
    admin's tools) every read and write is the store's at once.
    """

    def __init__(
        self,
        store: StateStore,
        user: str,
        *,
        channel: str = "wechat",
        ttl: float = CONVERSATION_TTL,
        read: Any = _UNREAD,
    ) -> None:
        self.store = store
        self.user = user
        self.channel = channel
        self.ttl = ttl
        self.key = self.key_of(user)
        self._deferred = read is not _UNREAD
        self._read: dict[str, Any] = (read or {}) if self._deferred else {}
        self.pending: Any = KEEP  # for the finish: KEEP (nothing changed), None (dropped), a state

    @staticmethod
    def key_of(user: str) -> str:
        return f"conversation:{user}"

    def state(self) -> dict[str, Any]:
        if not self._deferred:
            return self.store.get(self.key) or {}
        current = self._read if self.pending is KEEP else self.pending
        return current or {}

    def forget(self) -> None:
        if self._deferred:
            self.pending = None
        else:
            self.store.delete(self.key)

    def respond(self, engine: Engine, text: str) -> Reply:
        """Answer one message: a citation number, or a question read in the context of the
        previous one."""
        text = (text or "")[:MAX_INPUT_CHARS].strip()
        state = self.state()
        kb = engine.knowledge
        replies = (kb.persona if kb is not None else Persona()).replies
        n = citation_number(text)
        if n is not None:
            return self._citation(state, n, replies)
        names = kb.names if kb is not None else frozenset()
        if kb is not None and (speaker := state.get("speaker")) and not names_in(text, names):
            # (张明他的单位 asks about the one it names, not the last one)
            text = point_to_their_body(text, speaker)
        previous = state.get("asked") or ""
        more = bool(previous) and is_more(text) and not self._asks_its_own(text, engine)
        if more and not _MORE.match(text):  # 还有呢？他还讲了什么: the question after it
            text = _MORE_LEAD.sub("", text) or text
        speaker = state.get("speaker")
        if more and (subjects := names_in(previous, names)):
            # 还讲了什么 after 张明提到了哪位科学家 → 李华: more of what 张明 said, not of 李华
            speaker = subjects[0]
        question = rewrite_follow_up(text, speaker, names)
        if (
            question == text
            and speaker
            and _asks_of_someone(text, names)
            # after a question who someone was, or about them: not one about a body
            and (speaker in previous or _ASKED_WHO.search(previous))
        ):
            question = f"{speaker}{text}"  # 哪个单位的？ after 秘书长是谁: theirs
        if (
            _NEXT_ONE.fullmatch(question.strip(" ？?。.!！"))
            and speaker
            and _AFTER.search(previous)  # not after 张明之前是谁: that goes the other way
        ):
            # 再之后呢 after 张明之后是谁讲的 → 李华: who comes after 李华
            asked_of = names_in(previous, names)
            if asked_of and asked_of[0] != speaker:
                question = previous.replace(asked_of[0], speaker, 1)
        claimed = names_in(question, names)
        if _CLAIM_OF_SOMEONE.match(question) and len(claimed) == 1 and _ASKED_WHO.search(previous):
            # 是李华吗 after 大会论坛是谁主持的: 大会论坛是李华主持的吗, the claim in its frame
            asked = _ASKED_WHO.sub(claimed[0], previous.rstrip("?？。.!！ "), count=1)
            question = f"{asked}吗"
        orgs = kb.bodies if kb is not None else frozenset()
        # the thing the last question asked about, worked out only for a turn pointing at one
        topic = topic_of(previous, kb) if _TOPIC_POINTER.search(question) else None
        to_body = functools.partial(
            point_to_organisation, organisation=state.get("organisation"), orgs=orgs
        )
        to_topic = functools.partial(point_to_topic, topic=topic, names=names)
        # 它 after a question naming a body is that body, else the thing the question asked of
        for point in (to_body, to_topic) if state.get("body_last") else (to_topic, to_body):
            question = point(question)
        question = point_to_part(question, state.get("section"), kb.parts if kb else {})
        question = ask_of_part(question, state.get("section"), kb.parts if kb else {}, names)
        if not names_in(question, names):  # 张明讲的第一点: his, not the list's
            question = point_to_item(question, state.get("listed") or [])
        turn = question  # this turn, its pointers resolved, before any frame is put round it
        exclude = frozenset(state.get("shown", ())) if more else frozenset()
        if more and kb is not None and speaker:
            exclude |= _talk_opened(kb, speaker, state.get("citations") or [])
        answer: Answer | None
        if more and _MORE.match(text):  # 还有呢: what the last answer's sources go on to say
            cited = [c["id"] for c in state.get("citations") or []]
            if cited:
                answer = engine.more_of(cited, exclude)
            else:
                answer = engine.ask(previous, user=self.user, channel=self.channel, exclude=exclude)
            if not answer.answered:
                return Reply(replies.no_more, ReplyKind.ANSWER, False, answer.top_score, previous)
            self.remember(previous, answer, names, previous=state, organisations=orgs)
            return Reply(answer.text, ReplyKind.ANSWER, True, answer.top_score, previous)
        answer = None
        if text and not more and previous and not is_social(text):
            tag = kb.tokenizer.tag if kb is not None else None
            # 第二场呢 after 他是哪个单位的: the frame of the question before, if only it has
            # the word to swap
            earlier = state.get("asked_before") or ""
            called = kb.person_called if kb is not None else None
            framed = (
                instead(question, previous, names, tag, swap_only=True, called=called)
                or (
                    earlier
                    and instead(question, earlier, names, tag, swap_only=True, called=called)
                )
                or instead(question, previous, names, tag, called=called)
            )
            if framed is None and self._points_at_what_was_said(question, engine, names):
                # 这样做能达到什么效果
                framed = f"{strip_cues(previous).strip()} {_SAID_POINTER.sub('', question)}"
            if framed is None and self._elliptic(question, engine, names):
                framed = f"{strip_cues(previous).strip()} {question}"
            if framed is not None:
                answer = engine.ask(
                    framed, user=self.user, channel=self.channel, record=False, whole=True
                )
                if answer.answered:
                    question = framed
                    answer = engine.ask(framed, user=self.user, channel=self.channel, whole=True)
                else:
                    answer = None
        if answer is None:
            answer = engine.ask(question, user=self.user, channel=self.channel, exclude=exclude)
        also_asked = _ALSO.search(text) and not _YES_NO_END.search(text)  # not 还担任…吗
        if not more and also_asked and self._repeats(answer, state):
            # 他还参加了什么环节: something besides what was shown, if the report has it
            also = engine.ask(
                question,
                user=self.user,
                channel=self.channel,
                exclude=frozenset(state.get("shown", ())),
            )
            if also.answered:
                answer = also
        if more and not answer.answered:
            return Reply(replies.no_more, ReplyKind.ANSWER, False, answer.top_score, question)
        self.remember(question, answer, names, previous=state, organisations=orgs, turn=turn)
        return Reply(answer.text, ReplyKind.ANSWER, answer.answered, answer.top_score, question)

    @staticmethod
    def _repeats(answer: Answer, state: dict[str, Any]) -> bool:
        """Whether an answer quotes something, all of it shown to this user already."""
        shown = set(state.get("shown", ()))
        quoted = _shown_in(answer.text) if answer.answered else ()
        return bool(quoted) and all(s in shown for s in quoted)

    @staticmethod
    def _asks_its_own(question: str, engine: Engine) -> bool:
        """还强调要加强哪些领域的合作 asks a question of its own, not for more of the same:
        it has words the knowledge uses beyond 还 and the verb of saying."""
        kb = engine.knowledge
        if kb is None or _MORE.match(question.strip()):
            return False
        rest = _MORE_OF_SOMEONE.sub("", _POINTER.sub("", strip_cues(question)))
        return any(len(t) > 1 and kb.knows(t) for t in kb.terms_in(rest))

    @staticmethod
    def _points_at_what_was_said(question: str, engine: Engine, names: Iterable[str]) -> bool:
        """A turn that points at what the last answer said (这样做能达到什么效果) and names
        nothing of its own besides: no one (张明为什么这样说 asks about him), no claim to
        judge (是这样认为的吗), at most one word the knowledge uses (这么多嘉宾里谁是南通的
        asks of its own)."""
        kb = engine.knowledge
        if kb is None or not _SAID_POINTER.search(question) or names_in(question, names):
            return False
        rest = strip_cues(_SAID_POINTER.sub(" ", question))
        if _YES_NO_END.search(rest):
            return False
        return sum(len(t) > 1 and kb.knows(t) for t in kb.terms_in(rest)) <= 1

    @staticmethod
    def _elliptic(question: str, engine: Engine, names: Iterable[str]) -> bool:
        """A short turn that names no one and at most one thing of its own (嘉宾都有谁), and
        nothing the knowledge never mentions (火星上有什么, 中午吃的什么 ask about something
        else)."""
        kb = engine.knowledge
        if kb is None or names_in(question, names) or len(question) > ELLIPTIC_MAX_CHARS:
            return False
        terms = [t for t in kb.terms_in(strip_cues(question)) if len(t) > 1]
        if any(not kb.knows(t) and _NOUN.match(f) for t in terms for _, f in kb.tokenizer.tag(t)):
            return False
        if kb.terms_in(kb.persona.subject) & set(terms):
            return False  # 论坛在哪开的 after 张明讲了什么: about the event, not about him
        return sum(kb.knows(t) for t in terms) <= 1

    def remember(
        self,
        question: str,
        answer: Answer,
        names: Iterable[str] = (),
        *,
        previous: dict[str, Any] | None = None,
        organisations: Iterable[str] = (),
        turn: str = "",
    ) -> None:
        """Keep what the next follow-up may refer to: this answer's citations (with the text
        to show them, so a knowledge reload in between changes nothing; a refusal keeps the
        last answer's), the last person and organisation named, the question, and the
        sentences shown in the conversation so far (还讲了什么 after two answers about
        someone repeats neither)."""
        previous = self.state() if previous is None else previous
        shown = _shown_in(answer.text)
        citations = [
            {"n": c.n, "id": c.passage.id, "label": c.line(), "text": c.passage.text}
            for c in answer.citations
        ]
        state = {
            "citations": citations or previous.get("citations") or [],
            # whom the turn as typed asks about (南通那位 of 沈阳来的嘉宾是 南通那位叫啥)
            "speaker": speaker_of(turn or question, answer, names)
            or (speaker_of(question, answer, names) if turn and turn != question else None)
            or previous.get("speaker"),
            "organisation": (body := organisation_of(question, answer, organisations))
            or previous.get("organisation"),
            # whether the last question named a body: 它 is that body, else its thing
            "body_last": bool(body) if answer.answered else previous.get("body_last", False),
            # the part the answer came from (这个环节), and what it listed (第一种)
            "section": answer.citations[0].passage.section
            if answer.answered and answer.citations
            else previous.get("section"),
            "listed": listed_in(answer.text) if answer.answered else previous.get("listed", []),
            "asked": question if answer.answered else previous.get("asked", ""),
            "asked_before": previous.get("asked", "")
            if answer.answered and previous.get("asked") != question
            else previous.get("asked_before", ""),
            "shown": [*previous.get("shown", []), *shown][-SHOWN_KEPT:],
        }
        if self._deferred:
            self.pending = state
        else:
            self.store.set(self.key, state, ttl=self.ttl)

    def _citation(self, state: dict[str, Any], n: int, replies: Replies) -> Reply:
        if not state:
            return Reply(replies.no_previous, ReplyKind.HINT)
        citations = state.get("citations") or []
        if not citations:
            return Reply(replies.no_sources, ReplyKind.HINT)
        cited = next((c for c in citations if c["n"] == n), None)
        if cited is None:
            numbers = "、".join(str(c["n"]) for c in citations)
            return Reply(f"上一条回答没有出处 [{n}]，可以回复 {numbers} 查看原文。", ReplyKind.HINT)
        return Reply(show_passage(n, cited["label"], cited["text"]), ReplyKind.PASSAGE)
