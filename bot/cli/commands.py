"""``python -m bot``: the command line mirrors the web app (chat, ask, reload, eval)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict
from pathlib import Path

from bot.chat.engine import Engine
from bot.config import Config
from knowledge.errors import KnowledgeError


def _engine(log_questions: bool = False) -> Engine:
    """An engine on the configured folder; ``log_questions`` for people chatting, not for
    scripts and evaluations, whose questions would hide what real users ask."""
    config = Config.from_env()
    querylog = None
    if log_questions:
        from bot.state.querylog import QueryLog

        querylog = QueryLog.in_data_dir(config.data_dir, config.query_log_days)
    engine = Engine(config, querylog=querylog)
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
        from bot.cli.console import run_remote_console
        from bot.wechat.client import WeChatClient

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

    from bot.cli.console import run_console

    return run_console(_engine(log_questions=True))


def cmd_reload(args: argparse.Namespace) -> int:
    if args.url:
        return _remote_reload(args.url, Config.from_env().admin_token)
    kb = _engine().knowledge
    assert kb is not None
    print(f"ok: version {kb.version}, {len(kb.documents)} documents, {len(kb.passages)} passages")
    for document in kb.documents:
        print(f"  {document.name}: {kb.passage_count(document)} passages")
    for warning in kb.warnings:
        print(f"warning: {warning}")
    print("(checked only: pass --url to reload a running server)")
    return 0


def _remote_reload(url: str, token: str) -> int:
    """POST /admin/reload on a running server; the token comes from BOT_ADMIN_TOKEN."""
    if not token:
        print("error: set BOT_ADMIN_TOKEN to the server's admin token", file=sys.stderr)
        return 2
    if urllib.parse.urlsplit(url).path in ("", "/"):
        url = url.rstrip("/") + "/admin/reload"
    request = urllib.request.Request(
        url, method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            body = json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            reason = json.load(exc).get("error", exc.reason)
        except ValueError:
            reason = exc.reason
        print(f"error: {exc.code} {reason}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"error: cannot reach {url}: {exc}", file=sys.stderr)
        return 1
    if not body.get("serving", True):
        print(
            f"building: version {body['version']}, {body['documents']} documents; the current "
            "version serves until the build is done (watch /healthz)"
        )
        return 0
    change = "reloaded" if body["changed"] else "unchanged"
    print(
        f"ok: {change}, version {body['version']}, {body['documents']} documents, "
        f"{body['passages']} passages, {body['took_ms']} ms"
    )
    for warning in body.get("warnings", []):
        print(f"warning: {warning}")
    return 0


def cmd_kb_show(args: argparse.Namespace) -> int:
    kb = _engine().knowledge
    assert kb is not None
    names = {d.name for d in kb.documents} | {d.title for d in kb.documents}
    if args.document and args.document not in names:
        print(
            f"error: no document {args.document!r}; have: {', '.join(sorted(names))}",
            file=sys.stderr,
        )
        return 1
    for passage in kb.passages:
        if args.document and args.document not in (passage.source, passage.document):
            continue
        if args.json:
            print(json.dumps(asdict(passage), ensure_ascii=False))
        else:
            print(f"{passage.id}  [{passage.kind}] {passage.citation()}\n{passage.text}\n")
    return 0


def cmd_kb_check(args: argparse.Namespace) -> int:
    from knowledge.check import check_folder

    report = check_folder(Path(args.dir))
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


def cmd_log_unanswered(args: argparse.Namespace) -> int:
    from bot.state.querylog import QueryLog

    config = Config.from_env()
    rows = QueryLog.in_data_dir(config.data_dir).unanswered(args.limit, args.days)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not rows:
        print(f"no unanswered or low-confidence questions in the last {args.days:g} days")
    for row in rows:
        kind = "unanswered" if row["unanswered"] else "low confidence"
        print(f"{row['count']:>5}  {row['question']}  ({kind})")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.cli.evaluation import run_evaluation

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

    p = sub.add_parser("reload", help="reload a running server, or check the knowledge folder")
    p.add_argument(
        "--url",
        help="the server (e.g. http://127.0.0.1:8000): POST /admin/reload with BOT_ADMIN_TOKEN",
    )
    p.set_defaults(func=cmd_reload)

    kb = sub.add_parser("kb", help="look into the knowledge").add_subparsers(
        dest="kb_command", required=True
    )
    p = kb.add_parser("show", help="print the passages with their attribution")
    p.add_argument("--document", help="only this document (file name or title)")
    p.add_argument("--json", action="store_true", help="one JSON object per passage")
    p.set_defaults(func=cmd_kb_show)
    p = kb.add_parser("check", help="report repairs and problems of a folder's documents")
    p.add_argument("dir", help="a knowledge folder")
    p.set_defaults(func=cmd_kb_check)

    log = sub.add_parser("log", help="read the query log").add_subparsers(
        dest="log_command", required=True
    )
    p = log.add_parser("unanswered", help="questions not or poorly answered, most asked first")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--days", type=float, default=30, help="look back this many days")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.set_defaults(func=cmd_log_unanswered)

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
    except BrokenPipeError:
        # The reader stopped reading (python -m bot ask < questions.txt | head): stop
        # quietly, as other command-line tools do, instead of a traceback at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
