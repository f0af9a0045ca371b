"""``python -m bot``: the command line mirrors the web app (chat, ask, reload, eval)."""

from __future__ import annotations

import argparse
import json
import sys

from bot.config import Config
from bot.engine import Engine
from knowledge.errors import KnowledgeError


def _engine() -> Engine:
    engine = Engine(Config.from_env())
    engine.load()
    return engine


def cmd_ask(args: argparse.Namespace) -> int:
    engine = _engine()
    questions = [args.question] if args.question else (line.strip() for line in sys.stdin)
    for question in questions:
        if not question:
            continue
        answer = engine.ask(question)
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False))
        else:
            print(answer.text, end="\n\n")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    if args.url:
        from bot.wechat_client import WeChatClient, run_remote_console

        config = Config.from_env()
        try:
            client = WeChatClient(
                args.url,
                config.wechat_token,
                aes_key=config.wechat_aes_key,
                appid=config.wechat_appid,
                mode=args.mode,
            )
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return run_remote_console(client)

    from bot.console import run_console

    return run_console(_engine())


def cmd_reload(args: argparse.Namespace) -> int:
    try:
        kb = _engine().knowledge
    except KnowledgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    assert kb is not None
    print(f"ok: version {kb.version}, {len(kb.documents)} documents, {len(kb.passages)} passages")
    for warning in kb.warnings:
        print(f"warning: {warning}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.evaluation import run_evaluation

    return run_evaluation(args.file, verbose=args.verbose)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("chat", help="interactive console")
    p.add_argument(
        "--url",
        help="play WeChat against a running server (e.g. http://HOST:PORT/wechat): sign with "
        "WECHAT_TOKEN, encrypt when WECHAT_AES_KEY is set",
    )
    p.add_argument(
        "--mode",
        choices=["plain", "compatible", "safe"],
        help="with --url: message mode (default: safe when WECHAT_AES_KEY is set, else plain)",
    )
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("ask", help="answer one question, or one per stdin line")
    p.add_argument("question", nargs="?")
    p.add_argument("--json", action="store_true", help="print one JSON object per answer")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("reload", help="validate the knowledge folder (or reload a running server)")
    p.set_defaults(func=cmd_reload)

    p = sub.add_parser("eval", help="run the QA evaluation set")
    p.add_argument("--file", default=None, help="a JSONL QA set (default: the dev set)")
    p.add_argument("-v", "--verbose", action="store_true", help="print every reply")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KnowledgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
