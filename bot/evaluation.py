"""Runs a QA set through the same answer path users get and reports how it did.

A line of the set is ``{"id", "q", "expect_any": [...], "speaker"?}`` for a question the
report answers, or ``{"id", "q", "ood": true}`` for one it must honestly decline.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.answer import CITATION_MARKER, MAX_REPLY_BYTES, Answer
from bot.config import DEV_SET
from bot.engine import Engine

DEFAULT_SET = DEV_SET
_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    """Facts are compared without white space: PDF text has '2017 年' where a set says '2017年'."""
    return _SPACE.sub("", text)


def body_of(reply: str) -> str:
    return reply.split(CITATION_MARKER, 1)[0]


@dataclass
class CaseResult:
    id: str
    question: str
    ok: bool
    reason: str
    reply: str


@dataclass
class Report:
    answered: int = 0
    in_scope: int = 0
    speakers_named: int = 0
    speakers_expected: int = 0
    refused: int = 0
    out_of_scope: int = 0
    over_limit: int = 0
    body_lengths: list[int] = field(default_factory=list)
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def median_body_length(self) -> float:
        return statistics.median(self.body_lengths) if self.body_lengths else 0.0

    def summary(self) -> str:
        return "\n".join(
            [
                f"answered:            {self.answered}/{self.in_scope}",
                f"speaker named:       {self.speakers_named}/{self.speakers_expected}",
                f"out-of-scope refused: {self.refused}/{self.out_of_scope}",
                f"replies over {MAX_REPLY_BYTES} bytes: {self.over_limit}",
                f"median body length:  {self.median_body_length:.0f} characters",
            ]
        )


def load_cases(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def judge(case: dict, answer: Answer, report: Report) -> CaseResult:
    reply = answer.text
    body = body_of(reply)
    if len(reply.encode("utf-8")) > MAX_REPLY_BYTES:
        report.over_limit += 1
    if case.get("ood"):
        report.out_of_scope += 1
        ok = not answer.answered and CITATION_MARKER not in reply
        report.refused += ok
        return CaseResult(case["id"], case["q"], ok, "" if ok else "answered", reply)
    report.in_scope += 1
    report.body_lengths.append(len(body.strip()))
    found = answer.answered and any(_squash(f) in _squash(body) for f in case["expect_any"])
    report.answered += found
    reasons = [] if found else ["expected fact missing"]
    if speaker := case.get("speaker"):
        report.speakers_expected += 1
        named = speaker in reply
        report.speakers_named += named
        if not named:
            reasons.append(f"speaker {speaker} not named")
    return CaseResult(case["id"], case["q"], not reasons, "; ".join(reasons), reply)


def evaluate(engine: Engine, cases: Iterable[dict]) -> Report:
    report = Report()
    for case in cases:
        answer = engine.ask(case["q"], channel="eval")
        report.cases.append(judge(case, answer, report))
    return report


def run_evaluation(path: str | None = None, verbose: bool = False) -> int:
    from bot.config import Config

    engine = Engine(Config.from_env())
    engine.load()
    report = evaluate(engine, load_cases(Path(path) if path else DEFAULT_SET))
    for case in report.cases:
        if verbose or not case.ok:
            mark = "ok  " if case.ok else "FAIL"
            print(f"{mark} {case.id} {case.question} {case.reason}")
            if not case.ok or verbose:
                print("     " + case.reply.replace("\n", "\n     "))
    print(report.summary())
    return 0
