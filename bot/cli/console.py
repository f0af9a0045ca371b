"""The interactive console: the exact reply WeChat would show, for trying the bot locally.

One prompt loop serves both the local console (answers in this process, follow-ups kept
in memory exactly as the webhook keeps them in its store) and ``chat --url``, which plays
WeChat against a running server.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from bot.conversation import Conversation
from bot.engine import Engine
from bot.store.memory import MemoryStore

HELP = """Ask anything about the forum, e.g. 论坛在哪里举行？ or 杨学山讲了什么？
  1, 2, …   show the passage an answer cited
  /help     this help
  /quit     leave (Ctrl-D works too)"""


def _read_lines(history_file: Path | None) -> Callable[[], str]:
    """Line editing and history on a terminal; plain reads when input is piped."""
    if not sys.stdin.isatty():
        return lambda: input("> ")
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    history = InMemoryHistory()
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
    help_text: str = HELP,
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
    return prompt_loop(
        lambda line: conversation.respond(engine, line).text,
        "forumbot console: ask about the 11th China E-Government Summit Forum. /help, /quit.",
        history_file=engine.config.data_dir / "console_history",
    )
