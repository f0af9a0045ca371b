"""The same question gets the same answer in every process: gunicorn workers and machines
each start with their own hash seed, and a reply that depended on a set's order would differ
from one worker to the next (overlapping filler words were once removed in set order)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "tests" / "data" / "blind"


def _questions() -> list[str]:
    questions = ["我想问问杨学山那个演讲到底讲了啥重点哈"]  # filler words overlap in it
    for name in ("fifth-held-questions.jsonl", "sixth-tune-questions.jsonl"):
        for line in (SETS / name).read_text("utf-8").splitlines():
            questions.append(json.loads(line)["q"])
    return questions


def _answers(seed: str, questions: list[str], data_dir: Path) -> list[dict]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "BOT_DATA_DIR": str(data_dir)}
    run = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json"],
        input="\n".join(questions),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    return [json.loads(line) for line in run.stdout.splitlines()]


@pytest.mark.e2e
def test_every_process_gives_the_same_answers_whatever_its_hash_seed(tmp_path):
    questions = _questions()
    first = _answers("1", questions, tmp_path / "a")
    second = _answers("2", questions, tmp_path / "b")
    assert len(first) == len(questions)
    differing = [
        a["question"] for a, b in zip(first, second, strict=True) if a["text"] != b["text"]
    ]
    assert not differing, differing
