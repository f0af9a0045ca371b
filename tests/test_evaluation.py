"""The dev QA set, through the same path users get, held to the product's targets."""

from __future__ import annotations

import pytest

from bot.config import Config
from bot.engine import Engine
from bot.evaluation import DEFAULT_SET, evaluate, load_cases


@pytest.fixture(scope="module")
def report():
    if not DEFAULT_SET.exists():
        pytest.fail(f"the dev QA set is missing: expected it at {DEFAULT_SET}")
    engine = Engine(Config())
    engine.load()
    return evaluate(engine, load_cases(DEFAULT_SET))


def failures(report):
    return "\n".join(
        f"{c.id} {c.question}: {c.reason}\n{c.reply}" for c in report.cases if not c.ok
    )


def test_every_in_scope_question_is_answered_with_the_expected_fact(report):
    assert report.answered == report.in_scope == 30, failures(report)


def test_every_expected_speaker_is_named(report):
    assert report.speakers_named == report.speakers_expected, failures(report)


def test_every_out_of_scope_question_is_declined(report):
    assert report.refused == report.out_of_scope == 8, failures(report)


def test_no_reply_exceeds_wechats_byte_limit(report):
    assert report.over_limit == 0


def test_answers_are_short(report):
    assert report.median_body_length <= 300
