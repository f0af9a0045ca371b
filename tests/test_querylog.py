"""The query log: what users ask, written off the reply's path, read back for admins."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time

from bot.chat.engine import Engine
from bot.state.querylog import QueryLog, QueryRecord, topic


def record(log: QueryLog, question: str, answered: bool, **fields) -> None:
    log.record(QueryRecord(question, "wechat", answered, latency_ms=2.0, **fields))


def test_questions_are_written_in_the_background_and_read_back(tmp_path):
    log = QueryLog(tmp_path / "q.sqlite3")
    record(log, "论坛在哪里举行？", True, user="u1", top_score=3.2, coverage=1.0, cited=["d:1"])
    record(log, "明天天气怎么样？", False, user="u2")
    assert log.flush()
    summary = log.summary()
    assert (summary["questions"], summary["answered"], summary["unanswered"]) == (2, 1, 1)
    assert summary["latency_ms"] == {"p50": 2.0, "p90": 2.0, "p99": 2.0}
    with sqlite3.connect(log.path) as db:
        row = db.execute("SELECT user, channel, cited, top_score FROM questions WHERE answered")
        assert row.fetchone() == ("u1", "wechat", '["d:1"]', 3.2)


def test_unanswered_questions_are_grouped_by_wording_and_counted(tmp_path):
    log = QueryLog(tmp_path / "q.sqlite3")
    for question in ("会议门票多少钱？", "会议门票多少钱", "会议 门票多少钱?", "午饭吃什么"):
        record(log, question, False)
    record(log, "杨学山讲了什么", True, coverage=0.55)  # answered, but barely
    record(log, "论坛在哪里举行", True, coverage=1.0)
    assert log.flush()
    rows = log.unanswered()
    assert [(r["count"], r["unanswered"], r["low_confidence"]) for r in rows] == [
        (3, 3, 0),
        (1, 0, 1),
        (1, 1, 0),
    ]
    assert topic(rows[0]["question"]) == topic("会议门票多少钱")
    assert {r["question"] for r in rows[1:]} == {"杨学山讲了什么", "午饭吃什么"}


def test_old_questions_are_deleted_after_the_retention_period(tmp_path):
    log = QueryLog(tmp_path / "q.sqlite3", retention_days=30)
    record(log, "很久以前的问题", False, at=time.time() - 31 * 86400)
    record(log, "昨天的问题", False, at=time.time() - 86400)
    assert log.flush()
    with sqlite3.connect(log.path) as db:
        assert [r[0] for r in db.execute("SELECT question FROM questions")] == ["昨天的问题"]


def test_retention_zero_keeps_no_questions(tmp_path):
    log = QueryLog(tmp_path / "q.sqlite3", retention_days=0)
    record(log, "一个问题", False)
    assert log.flush()
    assert log.summary()["questions"] == 0


def test_close_writes_everything_queued(tmp_path):
    log = QueryLog(tmp_path / "q.sqlite3")
    for n in range(1200):  # more than one batch
        record(log, f"问题{n}", n % 2 == 0)
    log.close()
    assert QueryLog(log.path).summary()["questions"] == 1200


def test_a_log_that_cannot_be_written_does_not_fail_the_question(tmp_path, caplog, config):
    log = QueryLog(tmp_path / "q.sqlite3")
    engine = Engine(config, querylog=log)
    log.path.unlink()
    log.path.mkdir()  # the database is now a folder: every write fails
    answer = engine.ask("论坛在哪里举行？")
    assert answer.answered
    assert log.flush()
    assert "entries could not be written" in caplog.text


def test_the_engine_logs_every_question_but_the_admins(tmp_path, config):
    log = QueryLog(tmp_path / "q.sqlite3")
    engine = Engine(config, querylog=log)
    engine.ask("论坛在哪里举行？", user="u", channel="wechat")
    engine.ask("论坛在哪里举行？", channel="console")
    engine.ask("论坛在哪里举行？", channel="admin")  # a hit-test is not a user's question
    assert log.flush()
    with sqlite3.connect(log.path) as db:
        rows = db.execute("SELECT channel, answered, version FROM questions ORDER BY id")
        assert [r[:2] for r in rows] == [("wechat", 1), ("console", 1)]


def test_a_log_written_before_the_summaries_gets_them_from_its_questions(tmp_path):
    log = QueryLog(tmp_path / "q.sqlite3")
    for question, answered in (("门票多少钱", False), ("门票多少钱？", False), ("在哪", True)):
        record(log, question, answered)
    assert log.flush()
    expected = (log.unanswered(), log.summary()["questions"])
    with sqlite3.connect(log.path) as db:  # as an older version left it
        db.execute("DELETE FROM question_days")
        db.execute("DELETE FROM unsure_topics")
    reopened = QueryLog(tmp_path / "q.sqlite3")
    rows = reopened.unanswered()
    assert [(r["count"], r["unanswered"]) for r in rows] == [
        (r["count"], r["unanswered"]) for r in expected[0]
    ]
    assert reopened.summary()["questions"] == expected[1] == 3


def test_a_reload_recorded_as_building_reads_as_interrupted_once_its_process_is_gone(tmp_path):
    log = QueryLog(tmp_path / "q.sqlite3")
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = log.record_reload(origin="api", ok=False, state="building", version="v1", pid=gone.pid)
    log.record_reload(origin="api", ok=False, state="building", version="v2", pid=os.getpid())
    states = {r["version"]: (r["state"], r["error"]) for r in log.reloads()}
    assert states["v2"] == ("building", None)
    assert states["v1"][0] == "interrupted" and "did not finish" in states["v1"][1]
    log.finish_reload(dead, ok=True, state="ok", version="v1", passages=3)
    assert [r["state"] for r in log.reloads()] == ["building", "ok"]


def test_a_reload_history_written_before_states_existed_is_read_and_extended(tmp_path):
    path = tmp_path / "q.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE reloads (id INTEGER PRIMARY KEY, at REAL NOT NULL, ok INTEGER NOT NULL,"
            " version TEXT, previous TEXT, documents INTEGER, passages INTEGER, took_ms REAL,"
            " error TEXT, origin TEXT)"
        )
        db.execute("INSERT INTO reloads (at, ok, version) VALUES (1, 1, 'old')")
        db.execute("INSERT INTO reloads (at, ok, error) VALUES (2, 0, 'bad.txt: no')")
    log = QueryLog(path)
    assert [r["state"] for r in log.reloads()] == ["refused", "ok"]
    log.record_reload(origin="api", ok=False, state="building", pid=os.getpid())
    assert log.reloads()[0]["state"] == "building"
