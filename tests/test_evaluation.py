"""QA sets, through the same path users get, held to the product's targets: the dev set, and
the project's own regression set (tests/data/regression.jsonl: questions written outside the
dev set, each checked by hand once, kept so that tuning for one set cannot quietly break the
other)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config
from bot.engine import Engine
from bot.evaluation import DEFAULT_SET, evaluate, load_cases

REGRESSION_SET = Path(__file__).parent / "data" / "regression.jsonl"
# (in scope, out of scope) questions in each set: a set that loads short fails here
SIZES = {DEFAULT_SET: (30, 8), REGRESSION_SET: (43, 7)}


@pytest.fixture(scope="module")
def engine():
    engine = Engine(Config())
    engine.load()
    return engine


@pytest.fixture(scope="module", params=list(SIZES), ids=["dev", "regression"])
def qa(request, engine):
    if not request.param.exists():
        pytest.fail(f"a QA set is missing: expected it at {request.param}")
    return SIZES[request.param], evaluate(engine, load_cases(request.param))


@pytest.fixture
def report(qa):
    return qa[1]


def failures(report):
    return "\n".join(
        f"{c.id} {c.question}: {c.reason}\n{c.reply}" for c in report.cases if not c.ok
    )


def test_every_in_scope_question_is_answered_with_the_expected_fact(qa):
    (in_scope, _), report = qa
    assert report.answered == report.in_scope == in_scope, failures(report)


def test_every_expected_speaker_is_named(report):
    assert report.speakers_named == report.speakers_expected, failures(report)


def test_every_out_of_scope_question_is_declined(qa):
    (_, out_of_scope), report = qa
    assert report.refused == report.out_of_scope == out_of_scope, failures(report)


def test_no_reply_exceeds_wechats_byte_limit(report):
    assert report.over_limit == 0


def test_answers_are_short(report):
    assert report.median_body_length <= 300
