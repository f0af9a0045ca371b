"""The forum's own words: what the documents are about, how the bot introduces itself, the
example questions, its fixed replies and the custom menu, from ``persona.toml`` in the
knowledge folder.

They are kept with the documents because they belong to them: serving another forum is a
change of the folder, not of code. The file is read with the folder, at start and on every
reload, and is part of the build's key and version like the synonym file, so every worker
serves the words of the documents it serves. A folder without one gets neutral words.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from knowledge.errors import KnowledgeError

FILE_NAME = "persona.toml"
_MENU_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")  # WeChat's limit for a CLICK EventKey

# WeChat's limit on a text reply (bot.wechat.limits holds it for the replies composed):
# a reply of the persona's own longer than this could only be sent cut
REPLY_BYTES = 2048


@dataclass(frozen=True)
class Menu:
    welcome: str
    questions: dict[str, str] = field(default_factory=dict)  # CLICK EventKey -> question


@dataclass(frozen=True)
class Replies:
    """The bot's fixed replies; ``{examples}`` in one is the persona's example questions,
    one per line, ``{who}`` the person asked about."""

    introduction: str = "你好！我是问答助手，回答都摘自资料原文，并注明来源。"
    not_found: str = "抱歉，资料里没有找到与这个问题相关的内容。"
    in_chinese_please: str = "Please ask in Chinese."
    not_mentioned: str = "资料里没有提到这一点。关于{who}，可以这样问：\n"
    # before the quote of where something was, when a claim names a place never mentioned
    not_said_where: str = "资料没有提到{place}，只说了："
    # offered when a question about someone cannot be answered: the first two it can answer
    about_someone: tuple[str, ...] = ("{who}是谁？", "{who}讲了什么？", "{who}主持了什么？")
    you_are_welcome: str = "不客气！还有什么想了解的，随时问我。"
    follow_up_hint: str = "回复数字（如 1）查看对应原文。"
    no_previous: str = "请先提一个问题，再回复出处编号（如 1）查看原文。"
    no_sources: str = "上一条回答没有引用出处。可以换个问法再问一次。"
    no_more: str = "关于这个问题，资料里没有更多内容了。可以换个角度再问。"
    menu_key_unknown: str = "这个菜单按钮还没有设置对应的问题。可以直接发文字提问。"
    can_only_read_text: str = "抱歉，我暂时看不懂这类消息。请用文字（或语音）提问。"
    voice_not_recognised: str = (
        "收到了语音，但没有拿到识别出的文字。请直接发文字提问；"
        "公众号管理员可以在后台「接口权限」中开启「接收语音识别结果」。"
    )
    sorry: str = "抱歉，系统暂时出了点问题，请稍后再试。"
    busy: str = "正在查找答案，请稍等片刻后再发一次问题。"
    too_fast: str = "您发消息太快了，请稍后再试。"
    console_banner: str = "forumbot console: ask about the documents. /help, /quit."
    console_help: str = "Ask anything about the documents."


@dataclass(frozen=True)
class Persona:
    subject: str = ""  # what a question that names no subject is about
    examples: tuple[str, ...] = ()
    replies: Replies = field(default_factory=Replies)
    menu: Menu = field(default_factory=lambda: Menu("你好！有什么想了解的，请直接提问。"))


def read_persona(folder: str | Path) -> tuple[str, str]:
    """The folder's persona file as text and its SHA-256 (both empty when there is none)."""
    path = Path(folder) / FILE_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "", ""
    except OSError as exc:
        raise KnowledgeError(f"cannot read ({exc.strerror})", FILE_NAME) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise KnowledgeError("not UTF-8; save it as UTF-8", FILE_NAME) from None
    return text, hashlib.sha256(data).hexdigest()


def parse_persona(text: str, name: str = FILE_NAME) -> Persona:
    """The persona ``text`` describes; KnowledgeError naming the file and the field when a
    field is missing or of the wrong kind. Empty text: the neutral persona."""
    if not text.strip():
        return Persona()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"not valid TOML ({exc})", name) from None
    examples = _strings(data.get("examples", []), "examples", name)
    given = data.get("replies", {})
    if not isinstance(given, dict):
        raise KnowledgeError("[replies] must be a table", name)
    known = {f.name for f in fields(Replies)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise KnowledgeError(f"[replies] has no reply {unknown[0]!r}", name)
    replies: dict[str, Any] = {}
    for key, value in given.items():
        if key == "about_someone":
            replies[key] = _strings(value, f"replies.{key}", name)
        elif isinstance(value, str) and value.strip():
            replies[key] = value.replace("{examples}", _bullets(examples))
            if len(replies[key].encode("utf-8")) > REPLY_BYTES:
                raise KnowledgeError(
                    f"replies.{key} is longer than a WeChat reply ({REPLY_BYTES} bytes of UTF-8)",
                    name,
                )
        else:
            raise KnowledgeError(f"replies.{key} must be a non-empty string", name)
    subject = data.get("subject", "")
    if not isinstance(subject, str):
        raise KnowledgeError("'subject' must be a string", name)
    return Persona(subject.strip(), examples, Replies(**replies), parse_menu(data, name))


def parse_menu(data: dict[str, Any], name: str) -> Menu:
    """The ``welcome`` and ``[questions]`` of a persona (or of a BOT_MENU_FILE)."""
    welcome = data.get("welcome")
    if not isinstance(welcome, str) or not welcome.strip():
        raise KnowledgeError("'welcome' must be a non-empty string", name)
    questions = data.get("questions", {})
    if not isinstance(questions, dict):
        raise KnowledgeError('[questions] must be a table of KEY = "question"', name)
    for key, question in questions.items():
        if not _MENU_KEY.match(key):
            raise KnowledgeError(f"menu key {key!r} is not a valid WeChat event key", name)
        if not isinstance(question, str) or not question.strip():
            raise KnowledgeError(f"menu key {key!r} needs a question", name)
    return Menu(welcome.strip(), {k: q.strip() for k, q in questions.items()})


def _strings(value: Any, what: str, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise KnowledgeError(f"'{what}' must be a list of non-empty strings", name)
    return tuple(v.strip() for v in value)


def _bullets(lines: tuple[str, ...]) -> str:
    return "\n".join(f"• {line}" for line in lines)
