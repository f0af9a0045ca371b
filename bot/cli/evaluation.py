"""Runs QA sets through the same answer path users get and reports how they did.

A line of a question set is ``{"id", "q", "expect_any": [...], "speaker"?, "yes"?,
"expect_all"?, "answer_number"?}`` for a question the report answers (``yes``: a yes/no
question, and whether the answer is yes; ``expect_all``: facts that must all be given, for a
question asking two; ``answer_number``: the count a reply must state, in digits or words), or
``{"id", "q", "ood": true}`` for one it must honestly decline (in a conversation,
``{"q", "social": true}`` for thanks or a greeting: right when it cites nothing). A line of
a conversation set is ``{"id", "turns": [<question line without id>, ...]}``: the turns are
sent in order by one user, through the same Conversation the webhook uses, so follow-ups
are judged in context.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.chat.conversation import Conversation
from bot.chat.engine import Engine
from bot.config import PROJECT_ROOT, Config
from bot.qa.answer import CITATION_MARKER, body_of
from bot.state.memory import MemoryStore
from bot.wechat.limits import MAX_REPLY_BYTES
from knowledge.text import chinese_numeral
from knowledge.text import squash as _squash

# The QA sets live with the tests, shipped so that a fresh clone can evaluate; only this
# evaluation (make eval, the benches) reads them, never the serving code.
DEV_SET = PROJECT_ROOT / "tests" / "data" / "dev.jsonl"
DEFAULT_SET = DEV_SET
# What ``make eval`` prints, set by set: the dev set, the regression set, and the blind
# sets, each written from the report alone by a helper who saw neither the code nor any set,
# and frozen before its first run:
# - the first, split in halves: tuned on "tune"; "held" was run in the middle of that work
#   and at its end;
# - "final", written by a second helper, run once at the end of the same work;
# - "third", written by a third helper, split in halves: tuned on "third tune", "third
#   held" run once, then tuned on too;
# - "fourth", written by a fourth helper after all of that, run once, then tuned on in the
#   next round (six of its failures had been seen by accident);
# - "fifth", written by a fifth helper, split in halves: tuned on "fifth tune", "fifth held"
#   run once, then tuned on too;
# - "sixth", written by a sixth helper after that, split in halves: tuned on "sixth tune",
#   "sixth held" run once, then tuned on too;
# - "seventh", written by a seventh helper after that, run once, whole, at the end;
# - "eighth", written by an eighth helper after that, split in halves: tuned on "eighth
#   tune", "eighth held" run once at the end, then tuned on too;
# - "ninth", written by a ninth helper after that (five kinds of user, sequence and
#   definition questions too), split in halves: tuned on "ninth tune", "ninth held" run
#   once at the end, then tuned on too;
# - "tenth", written by a tenth helper after that, split in halves: tuned on "tenth tune",
#   "tenth held" run once, then tuned on too;
# - "eleventh", written by an eleventh helper after that (comparison questions too), split
#   in halves: tuned on "eleventh tune", "eleventh held" run once at the end, then tuned
#   on too;
# - "twelfth", written by a twelfth helper after that (15 styles), split in halves: tuned
#   on "twelfth tune", "twelfth held" run once at the end, then tuned on too;
# - "thirteenth", written by a thirteenth helper after that (13 styles), split in halves:
#   tuned on "thirteenth tune", "thirteenth held" run once at the end, then tuned on too;
# - "fourteenth", written by a fourteenth helper after that (12 styles, order questions
#   too), split in halves: tuned on "fourteenth tune", "fourteenth held" run once at the end,
#   then tuned on too;
# - "fifteenth", written by a fifteenth helper after that (12 styles), split in halves:
#   tuned on "fifteenth tune", "fifteenth held" run once at the end, then tuned on too;
# - "sixteenth", written by a sixteenth helper after that (12 styles), split in halves:
#   tuned on "sixteenth tune", "sixteenth held" run once at the end.
# The figures of each first run are in BENCHMARKS.md.
SETS: tuple[tuple[str, str], ...] = (
    ("dev", "dev.jsonl"),
    ("regression", "regression.jsonl"),
    *(
        (f"blind {half}: {kind}", f"blind/{half.replace(' ', '-')}-{file}.jsonl")
        for half in (
            "tune",
            "held",
            "final",
            "third tune",
            "third held",
            "fourth",
            "fifth tune",
            "fifth held",
            "sixth tune",
            "sixth held",
            "seventh",
            "eighth tune",
            "eighth held",
            "ninth tune",
            "ninth held",
            "tenth tune",
            "tenth held",
            "eleventh tune",
            "eleventh held",
            "twelfth tune",
            "twelfth held",
            "thirteenth tune",
            "thirteenth held",
            "fourteenth tune",
            "fourteenth held",
            "fifteenth tune",
            "fifteenth held",
            "sixteenth tune",
            "sixteenth held",
        )
        for kind, file in (
            ("questions", "questions"),
            ("out of scope", "ood"),
            ("conversations", "conversations"),
        )
    ),
)


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
    conversations: int = 0
    conversations_ok: int = 0
    turns: int = 0
    turns_ok: int = 0

    @property
    def median_body_length(self) -> float:
        return statistics.median(self.body_lengths) if self.body_lengths else 0.0

    def summary(self) -> str:
        lines = (
            [
                f"conversation turns:  {self.turns_ok}/{self.turns}",
                f"conversations:       {self.conversations_ok}/{self.conversations}",
            ]
            if self.conversations
            else []
        )
        return "\n".join(
            [
                *lines,
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


def _verdict(body: str) -> bool | None:
    """What a yes/no answer's body says first: yes, no, or neither."""
    body = body.strip()
    if body.startswith(("不是", "没有", "否", "不")):
        return False
    return True if body.startswith(("是", "对", "有")) else None


def _says_number(body: str, number: str) -> bool:
    """Whether ``body`` gives ``number`` as a count of its own: 5 is not in 50 强 or 2020."""
    if number.isdigit():
        return bool(re.search(rf"(?<!\d){number}(?!\d)", body))
    # 三 is not in 第三场 or 十三五; 一 and 二 are in too many words (一起, 第二) to count
    # without a measure after them (一位, 两家)
    after = f"[{_MEASURES}]" if number in "一二两" else f"(?![{_HANZI_DIGITS}])"
    return bool(re.search(rf"(?<![第{_HANZI_DIGITS}]){number}(?![{_HANZI_DIGITS}]){after}", body))


_HANZI_DIGITS = "零〇一二两三四五六七八九十百千万"
_MEASURES = "个位名家种类项场届次条人"


def judge(case: dict, answered: bool, reply: str, report: Report) -> CaseResult:
    body = body_of(reply)
    if len(reply.encode("utf-8")) > MAX_REPLY_BYTES:
        report.over_limit += 1
    if case.get("ood"):
        report.out_of_scope += 1
        ok = not answered and CITATION_MARKER not in reply
        report.refused += ok
        return CaseResult(case.get("id", ""), case["q"], ok, "" if ok else "answered", reply)
    if case.get("social"):
        ok = CITATION_MARKER not in reply
        return CaseResult(case.get("id", ""), case["q"], ok, "" if ok else "cited", reply)
    report.in_scope += 1
    report.body_lengths.append(len(body.strip()))
    # a case may give only the facts it needs all of
    any_of = case.get("expect_any") or case.get("expect_all") or []
    found = answered and any(_squash(f) in _squash(body) for f in any_of)
    reasons = [] if found else ["expected fact missing"]
    missing = [f for f in case.get("expect_all", ()) if _squash(f) not in _squash(body)]
    if found and missing:  # a question asking two facts wants both
        found = False
        reasons.append(f"missing {'、'.join(missing)}")
    numbers = [  # a count given as a number stands for its digits and its Hanzi
        form
        for n in case.get("answer_number") or []
        for form in (
            (n,)
            if not isinstance(n, int)
            else (str(n), chinese_numeral(n))
            if n < 100
            else (str(n),)
        )
    ]
    if found and numbers and not any(_says_number(body, n) for n in numbers):
        found = False  # a count the report gives only as a list: the reply must say the number
        reasons.append(f"does not say the number {numbers[0]}")
    if "yes" in case and found and _verdict(body) is not case["yes"]:
        found = False
        reasons.append(f"does not start by saying {'是' if case['yes'] else '不是'}")
    report.answered += found
    if speaker := case.get("speaker"):
        report.speakers_expected += 1
        named = speaker in reply
        report.speakers_named += named
        if not named:
            reasons.append(f"speaker {speaker} not named")
    return CaseResult(case.get("id", ""), case["q"], not reasons, "; ".join(reasons), reply)


def evaluate(engine: Engine, cases: Iterable[dict]) -> Report:
    """Questions one by one; conversations (lines with ``turns``) turn by turn, one user each."""
    report = Report()
    for case in cases:
        if "turns" in case:
            _converse(engine, case, report)
            continue
        answer = engine.ask(case["q"], channel="eval")
        report.cases.append(judge(case, answer.answered, answer.text, report))
    return report


def _converse(engine: Engine, case: dict, report: Report) -> None:
    conversation = Conversation(MemoryStore(), f"eval:{case['id']}", channel="eval")
    results = []
    for n, turn in enumerate(case["turns"], 1):
        reply = conversation.respond(engine, turn["q"])
        result = judge(
            {**turn, "id": f"{case['id']}.{n}"}, bool(reply.answered), reply.text or "", report
        )
        results.append(result)
    report.cases.extend(results)
    report.conversations += 1
    report.conversations_ok += all(r.ok for r in results)
    report.turns += len(results)
    report.turns_ok += sum(r.ok for r in results)


def run_evaluation(path: str | None = None, verbose: bool = False) -> int:
    """One set (``path``), or every set in ``SETS`` that is there, one summary each."""
    engine = Engine(Config.from_env())
    engine.load()
    if path:
        chosen = [(path, Path(path))]
    else:
        chosen = [(name, DEV_SET.parent / file) for name, file in SETS]
        chosen = [(name, file) for name, file in chosen if file.exists()]
    for name, file in chosen:
        report = evaluate(engine, load_cases(file))
        for case in report.cases:
            if verbose or (path and not case.ok):  # a whole run lists only its figures
                mark = "ok  " if case.ok else "FAIL"
                print(f"{mark} {case.id} {case.question} {case.reason}")
                print("     " + case.reply.replace("\n", "\n     "))
        print(f"== {name} ({file.name})")
        print(report.summary())
    return 0
