"""What each resource of question reading adds: the QA sets with one resource off at a time.

``python -m bench ablation [--sets blind]`` runs every set of ``make eval`` (or those whose
name starts with ``--sets``) once with everything on, then once per resource switched off
(``bot.qa.understanding.Resources``), and prints one row per run: answered with the expected
fact, out-of-scope refused, conversation turns right, each summed over the sets chosen.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from bot.chat.engine import Engine
from bot.cli.evaluation import DEV_SET, SETS, evaluate, load_cases
from bot.config import Config
from bot.qa.understanding import EVERYTHING, Resources


def _figures(engine: Engine, files: list) -> tuple[str, str, str]:
    answered = in_scope = refused = out = turns_ok = turns = 0
    for file in files:
        report = evaluate(engine, load_cases(file))
        answered += report.answered
        in_scope += report.in_scope
        refused += report.refused
        out += report.out_of_scope
        turns_ok += report.turns_ok
        turns += report.turns
    return f"{answered}/{in_scope}", f"{refused}/{out}", f"{turns_ok}/{turns}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ablation", description=__doc__)
    parser.add_argument("--sets", default="", help="only the sets whose name starts with this")
    args = parser.parse_args(argv)
    files = [
        DEV_SET.parent / file
        for name, file in SETS
        if name.startswith(args.sets) and (DEV_SET.parent / file).exists()
    ]
    engine = Engine(Config.from_env())
    engine.load()
    runs: list[tuple[str, Resources]] = [("everything", EVERYTHING)]
    runs += [
        (f"without {f.name}", dataclasses.replace(EVERYTHING, **{f.name: False}))
        for f in dataclasses.fields(Resources)
    ]
    print(f"sets: {', '.join(str(f.relative_to(DEV_SET.parent)) for f in files)}")
    print("| run | answered (questions and turns) | out of scope refused | turns right | s |")
    print("|---|---|---|---|---|")
    for label, resources in runs:
        engine.resources = resources
        started = time.perf_counter()
        answered, refused, turns = _figures(engine, files)
        took = time.perf_counter() - started
        print(f"| {label} | {answered} | {refused} | {turns} | {took:.1f} |", flush=True)
    return 0
