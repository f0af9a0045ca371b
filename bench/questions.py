"""The answer path's own cost per question, uncached, at scale: CPU time in one process.

``python -m bench questions [--scale N] [--data DIR] SET...`` builds (or opens from DIR's
build cache) the report plus N synthetic passages, then answers every question of the QA
sets given (default: the dev set and the fourth blind set, its out-of-scope questions
included) with a new composer each, so no answer is cached, and prints the percentiles of
the CPU time each took. CPU time, not wall time: the figure does not move with whatever
else the machine runs, so two checkouts measured one after the other compare. The webhook
bench measures the same questions end to end, through gunicorn.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

DEFAULT_SETS = ("dev.jsonl", "blind/fourth-questions.jsonl", "blind/fourth-ood.jsonl")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench questions")
    parser.add_argument("sets", nargs="*", help="QA sets (JSONL); default: dev and fourth")
    parser.add_argument("--scale", type=int, default=100_000, help="synthetic passages")
    parser.add_argument("--data", help="data folder whose build cache to reuse")
    args = parser.parse_args(argv)

    from bench.webhook import scaled_knowledge
    from bot.cli.evaluation import DEV_SET

    root = Path(tempfile.mkdtemp(prefix="forumbot-questions-"))
    folder = scaled_knowledge(root / "knowledge", args.scale)
    os.environ["BOT_KNOWLEDGE_DIR"] = str(folder)
    os.environ["BOT_DATA_DIR"] = args.data or str(root / "data")

    from bot.chat.engine import Engine
    from bot.config import Config
    from bot.qa.answer import Composer

    started = time.perf_counter()
    kb = Engine(Config.from_env()).load()
    built = time.perf_counter() - started
    sets = args.sets or [str(DEV_SET.parent / name) for name in DEFAULT_SETS]
    questions = [
        case["q"]
        for path in sets
        for case in map(json.loads, Path(path).read_text("utf-8").splitlines())
        if "q" in case
    ]
    Composer(kb).answer(questions[0])  # loads what a first answer loads (词林, pypinyin)
    times = []
    for question in questions:
        cpu = time.process_time()
        Composer(kb).answer(question)
        times.append((time.process_time() - cpu) * 1000)
    times.sort()

    def at(share: float) -> float:
        return round(times[min(len(times) - 1, int(len(times) * share))], 1)

    print(
        f"| passages | questions | build or open s | p50 ms | p90 ms | p99 ms | max ms | mean ms |\n"
        f"|---|---|---|---|---|---|---|---|\n"
        f"| {len(kb.passages):,} | {len(times)} | {built:.1f} | {at(0.5)} | {at(0.9)} | "
        f"{at(0.99)} | {round(times[-1], 1)} | {statistics.mean(times):.1f} |"
    )
    return 0
