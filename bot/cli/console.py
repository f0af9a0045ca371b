"""The interactive console: the exact reply WeChat would show, for trying the bot locally.

One prompt loop serves both the local console (answers in this process, follow-ups kept
in memory exactly as the webhook keeps them in its store) and ``chat --url``, which plays
WeChat against a running server.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.chat.conversation import Conversation
from bot.chat.engine import Engine
from bot.state.memory import MemoryStore
from bot.wechat.client import WeChatClient, render_message

# after the persona's console_help line
COMMANDS = """  1, 2, …   show the passage an answer cited
  /help     this help
  /quit     leave (Ctrl-D works too)"""


def _read_lines(history_file: Path | None) -> Callable[[], str]:
    """Line editing and history on a terminal; plain reads when input is piped."""
    if not sys.stdin.isatty():
        return lambda: input("> ")
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, History, InMemoryHistory

    history: History = InMemoryHistory()
    if history_file is not None:
        try:
            history_file.parent.mkdir(parents=True, exist_ok=True)
            history = FileHistory(str(history_file))
        except OSError:
            pass
    session: PromptSession[str] = PromptSession(history=history)
    return lambda: session.prompt("> ")


def prompt_loop(
    respond: Callable[[str], str | None],
    banner: str,
    help_text: str,
    history_file: Path | None = None,
) -> int:
    read = _read_lines(history_file)
    print(banner)
    while True:
        try:
            line = read().strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line in {"/quit", "/exit"}:
            return 0
        if line in {"/help", "/?"}:
            print(help_text, end="\n\n")
            continue
        if line:
            reply = respond(line)
            print(reply if reply is not None else "(no reply)", end="\n\n")


def run_console(engine: Engine) -> int:
    conversation = Conversation(MemoryStore(), "console", channel="console")
    kb = engine.knowledge or engine.load()
    replies = kb.persona.replies
    return prompt_loop(
        lambda line: conversation.respond(engine, line).text,
        replies.console_banner,
        f"{replies.console_help}\n{COMMANDS}",
        history_file=engine.config.data_dir / "console_history",
    )


REMOTE_HELP = """Type a question as a WeChat user would; a number shows that citation in full.
  /subscribe       follow the account (welcome message)
  /click KEY       press a custom-menu button
  /voice TEXT      a voice message WeChat transcribed as TEXT
  /image           send a picture
  /quit            leave"""


def _console_message(client: WeChatClient, openid: str, line: str) -> str:
    command, _, rest = line.partition(" ")
    common: dict[str, Any] = {"source": openid, "target": client.account}
    if command == "/subscribe":
        return render_message("event", event="subscribe", **common)
    if command == "/click":
        return render_message("event", event="click", key=rest.strip(), **common)
    if command == "/voice":
        return render_message(
            "voice",
            msg_id=client.next_msg_id(),
            media_id="console",
            format="amr",
            recognition=rest,
            **common,
        )
    if command == "/image":
        return render_message(
            "image", msg_id=client.next_msg_id(), media_id="console", image="", **common
        )
    return render_message("text", msg_id=client.next_msg_id(), content=line, **common)


def run_remote_console(client: WeChatClient, openid: str | None = None) -> int:
    """A prompt that sends each line to the server as a WeChat message and prints the reply."""
    openid = openid or "console-" + secrets.token_hex(10)

    def respond(line: str) -> str | None:
        try:
            exchange = client.post(_console_message(client, openid, line), openid=openid)
        except (OSError, ValueError) as exc:
            return f"error: {exc}"
        if exchange.status != 200:
            return f"HTTP {exchange.status}: {exchange.body.decode('utf-8', 'replace').strip()}"
        return exchange.text

    return prompt_loop(
        respond,
        f"forumbot console → {client.url} ({client.mode} mode). /help for commands.",
        REMOTE_HELP,
    )
