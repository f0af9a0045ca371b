"""``python -m bot``: the commands an admin runs, read as they would be run."""

from __future__ import annotations

import json

import pytest

from bot.cli.commands import main
from bot.state.querylog import QueryLog, QueryRecord
from tests.conftest import REPORT


@pytest.fixture
def folder(folder, tmp_path, monkeypatch):
    """conftest's knowledge folder, as the command line's settings."""
    monkeypatch.setenv("BOT_KNOWLEDGE_DIR", str(folder))
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BOT_ADMIN_TOKEN", raising=False)
    return folder


def test_ask_answers_with_citations(folder, capsys):
    assert main(["ask", "杨学山的演讲题目是什么？"]) == 0
    out = capsys.readouterr().out
    assert "创新驱动的新型智慧城市建设" in out and "出处" in out


def test_ask_json_reads_questions_from_stdin(folder, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("论坛在哪里举行？\n\n明天天气如何？\n"))
    assert main(["ask", "--json"]) == 0
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [a["answered"] for a in answers] == [True, False]


def test_reload_without_url_checks_the_folder(folder, capsys):
    assert main(["reload"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: version ") and f"{REPORT.name}: 34 passages" in out
    assert "pass --url" in out


def test_reload_without_url_fails_on_a_broken_file(folder, capsys):
    (folder / "bad.txt").write_bytes(b"\xff\xfe\x00b\x00a\x00d")
    assert main(["reload"]) == 1
    assert "bad.txt: saved as UTF-16" in capsys.readouterr().err


def test_reload_with_url_needs_the_admin_token(folder, capsys):
    assert main(["reload", "--url", "http://127.0.0.1:9"]) == 2
    assert "BOT_ADMIN_TOKEN" in capsys.readouterr().err


def test_reload_with_url_reports_an_unreachable_server(folder, capsys, monkeypatch):
    monkeypatch.setenv("BOT_ADMIN_TOKEN", "t")
    assert main(["reload", "--url", "http://127.0.0.1:9"]) == 1
    assert "cannot reach http://127.0.0.1:9/admin/reload" in capsys.readouterr().err


def test_kb_show_prints_passages_with_attribution(folder, capsys):
    assert main(["kb", "show", "--document", REPORT.name, "--json"]) == 0
    passages = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(passages) == 34
    speeches = {p["speaker"]: p["talk_title"] for p in passages if p["speaker"]}
    assert speeches["杨学山"] == "创新驱动的新型智慧城市建设"
    assert set(speeches) == {"杨学山", "孟庆国", "宋刚"}


def test_kb_show_names_the_documents_when_one_is_unknown(folder, capsys):
    assert main(["kb", "show", "--document", "nope.txt"]) == 1
    assert REPORT.name in capsys.readouterr().err


def test_kb_check_reports_repairs_and_every_problem(folder, capsys):
    (folder / "scan.txt").write_bytes(b"\x00PNG")
    (folder / "empty.md").write_text("---\ntitle: 空\n---\n", "utf-8")
    assert main(["kb", "check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "ERROR  scan.txt: not a text file" in out
    assert f"ok     {REPORT.name}: 34 passages" in out
    assert "GB2312 row shift" in out and "speakers: 杨学山、孟庆国、宋刚" in out
    assert "empty.md: 0 passages" in out and "no passages" in out
    assert out.rstrip().endswith("would be refused")


def test_kb_check_passes_a_good_folder(folder, capsys):
    assert main(["kb", "check", str(folder)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("34 passages: would load")


def test_kb_check_of_a_missing_folder(tmp_path, capsys):
    assert main(["kb", "check", str(tmp_path / "nowhere")]) == 1
    assert "knowledge folder does not exist" in capsys.readouterr().out


def test_log_unanswered_lists_what_users_could_not_get(folder, tmp_path, capsys):
    log = QueryLog(tmp_path / "data" / "queries.sqlite3")
    for question in ("门票多少钱？", "门票多少钱", "论坛在哪里举行？"):
        log.record(QueryRecord(question, "wechat", question.startswith("论坛"), 1.0))
    log.close()
    assert main(["log", "unanswered"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    count, question, kind = lines[0].split()
    assert (count, question.rstrip("？"), kind) == ("2", "门票多少钱", "(unanswered)")


@pytest.mark.e2e  # python -m bot in a process of its own
def test_ask_piped_into_a_reader_that_stops_ends_without_a_traceback(folder):
    """python -m bot ask < questions.txt | head -1: the reader closes the pipe early."""
    import subprocess
    import sys

    from bot.config import PROJECT_ROOT

    questions = "论坛在哪里举行？\n" * 200
    command = f"{sys.executable} -m bot ask | head -1"
    done = subprocess.run(
        command, shell=True, input=questions, capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    assert "中关新园" in done.stdout
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
