"""One user's conversation: follow-ups that refer back to that user's previous answer.

WeChat delivers every message on its own, possibly to another gunicorn worker, so what a
follow-up refers to (the previous answer's citations and speaker) lives in the shared
StateStore under the user's keyed hash, never in process memory. The console uses the same
class with a MemoryStore, so it behaves exactly like the webhook.

Two kinds of follow-up:

* a bare number (``1``, ``[2]``, ``２``) shows that citation's passage in full;
* a question that points back at a person (他还讲了什么？ / 她是谁？ / 这位嘉宾的演讲题目是什么)
  is rewritten with the name of the previous answer's speaker before it is asked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.answer import MAX_REPLY_BYTES, Answer, fit_bytes
from bot.store.base import StateStore

if TYPE_CHECKING:
    from bot.engine import Engine

CONVERSATION_TTL = 30 * 60  # a follow-up refers to an answer at most this old (seconds)
# Input is cut to this many characters before any work is done on it; the composer cuts
# again, shorter, before tokenising. This bound only keeps the regular expressions cheap.
MAX_INPUT_CHARS = 2000

NO_PREVIOUS = "请先提一个关于论坛的问题，再回复出处编号（如 1）查看原文。"
NO_SOURCES = "上一条回答没有引用出处。可以换个问法再问一次。"

_NUMBER = re.compile(r"^[\[【(（#]?\s*(\d{1,2})\s*[\]】)）]?[。.]?$")
# Words that point back at a person. 他 is not a pronoun inside 其他 / 他们 / 他人 / 吉他.
_POINTER = re.compile(
    r"这位(?:嘉宾|专家|学者|教授|领导|主任|老师|先生|女士|演讲者|讲者)?"
    r"|该(?:嘉宾|专家|学者|教授|演讲者|讲者)|此人|这个人|演讲者|讲者"
    r"|(?<![其吉])[他她](?![们人])"
    r"|(?<![A-Za-z])[Tt][Aa](?![A-Za-z])"
)
# A question with the subject left out: 还讲了什么？ means "what else did <speaker> say?".
_ELLIPTIC = re.compile(r"^(那|那么)?(?=还(?:讲|说|谈|提|强调|指出|介绍|分享|表示))")


@dataclass(frozen=True)
class Reply:
    """What the bot says back to one message; ``text`` None means no reply at all."""

    text: str | None
    kind: str  # answer | passage | welcome | hint | unsupported | busy | none
    answered: bool | None = None
    top_score: float | None = None
    asked: str | None = None  # the question sent to the engine, after any rewriting

    def to_json(self) -> dict[str, Any]:
        # Not dataclasses.asdict, which deep-copies every field: this runs for every message.
        return {
            "text": self.text,
            "kind": self.kind,
            "answered": self.answered,
            "top_score": self.top_score,
            "asked": self.asked,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        return cls(**{k: data.get(k) for k in ("text", "kind", "answered", "top_score", "asked")})


NO_REPLY = Reply(None, "none")


def citation_number(text: str) -> int | None:
    """The citation a bare-number message asks for, else None."""
    match = _NUMBER.match(unicodedata.normalize("NFKC", text).strip())
    return int(match.group(1)) if match else None


def names_in(text: str, names: Iterable[str]) -> list[str]:
    """The known names ``text`` mentions, in the order it mentions them."""
    found = []
    for name in sorted(names, key=len, reverse=True):
        at = text.find(name)
        if at >= 0 and not any(name in other for _, other in found):
            found.append((at, name))
    return [name for _, name in sorted(found)]


def rewrite_follow_up(question: str, speaker: str | None, names: Iterable[str] = ()) -> str:
    """The question with a pointer to the previous speaker replaced by the speaker's name.

    A question that already names someone is left alone, as is one with nothing to resolve.
    """
    if not speaker or speaker in question or names_in(question, names):
        return question
    rewritten, count = _POINTER.subn(speaker, question, count=1)
    if count:
        return rewritten
    elliptic = _ELLIPTIC.match(question)
    if elliptic:
        return question[: elliptic.end()] + speaker + question[elliptic.end() :]
    return question


def speaker_of(question: str, answer: Answer, names: Iterable[str] = ()) -> str | None:
    """Whom a follow-up pronoun would mean: the person the question named, else the speaker
    of the first cited speech."""
    named = names_in(question, names)
    if named:
        return named[0]
    return next((c.passage.speaker for c in answer.citations if c.passage.speaker), None)


def show_passage(n: int, label: str, text: str) -> str:
    """Citation ``n`` in full, within WeChat's byte limit, cut at a sentence boundary."""
    header = f"[{n}] {label}\n"
    return header + fit_bytes(text, MAX_REPLY_BYTES - len(header.encode("utf-8")))


class Conversation:
    """The state one user's follow-ups need, read and written through a StateStore."""

    def __init__(
        self,
        store: StateStore,
        user: str,
        *,
        channel: str = "wechat",
        ttl: float = CONVERSATION_TTL,
    ) -> None:
        self.store = store
        self.user = user
        self.channel = channel
        self.ttl = ttl
        self.key = f"conversation:{user}"

    def state(self) -> dict[str, Any]:
        return self.store.get(self.key) or {}

    def forget(self) -> None:
        self.store.delete(self.key)

    def respond(self, engine: Engine, text: str) -> Reply:
        """Answer one message: a citation number, or a question (rewritten if it points
        back at the previous speaker)."""
        text = (text or "")[:MAX_INPUT_CHARS].strip()
        state = self.state()
        n = citation_number(text)
        if n is not None:
            return self._citation(state, n)
        kb = engine.knowledge
        names = getattr(kb, "speakers", frozenset()) if kb is not None else frozenset()
        question = rewrite_follow_up(text, state.get("speaker"), names)
        answer = engine.ask(question, user=self.user, channel=self.channel)
        self.remember(question, answer, names, previous=state)
        return Reply(answer.text, "answer", answer.answered, answer.top_score, question)

    def remember(
        self,
        question: str,
        answer: Answer,
        names: Iterable[str] = (),
        *,
        previous: dict[str, Any] | None = None,
    ) -> None:
        """Keep what the next follow-up may refer to: this answer's citations (with the text
        to show them, so a knowledge reload in between changes nothing) and its speaker."""
        previous = self.state() if previous is None else previous
        self.store.set(
            self.key,
            {
                "citations": [
                    {
                        "n": c.n,
                        "id": c.passage.id,
                        "label": c.line(),
                        "text": c.passage.text,
                    }
                    for c in answer.citations
                ],
                "speaker": speaker_of(question, answer, names) or previous.get("speaker"),
            },
            ttl=self.ttl,
        )

    def _citation(self, state: dict[str, Any], n: int) -> Reply:
        if not state:
            return Reply(NO_PREVIOUS, "hint")
        citations = state.get("citations") or []
        if not citations:
            return Reply(NO_SOURCES, "hint")
        cited = next((c for c in citations if c["n"] == n), None)
        if cited is None:
            numbers = "、".join(str(c["n"]) for c in citations)
            return Reply(f"上一条回答没有出处 [{n}]，可以回复 {numbers} 查看原文。", "hint")
        return Reply(show_passage(n, cited["label"], cited["text"]), "passage")
