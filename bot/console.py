"""The interactive console: the exact reply WeChat would show, for trying the bot locally."""

from __future__ import annotations

from bot.engine import Engine


def run_console(engine: Engine) -> int:
    print("forumbot console — ask about the forum; /quit to leave.")
    while True:
        try:
            line = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line in {"/quit", "/exit"}:
            return 0
        if line:
            print(engine.ask(line).text, end="\n\n")
