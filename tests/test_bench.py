"""The benchmark tooling: the floor app must refuse what the real app refuses and echo what
it is sent, the wrk script must sign as WeChat does, and wrk's output must parse exactly,
so a bench can neither measure error pages nor misread its figures."""

from __future__ import annotations

import time

import pytest
from wechatpy.replies import TextReply

from bench import __main__ as bench_main
from bench import _serve, _wrk
from bench.floor import DEV_TOKEN, create_app
from bot.config import DEV_TOKEN as BOT_DEV_TOKEN
from bot.wechat.client import render_message
from tests.wechat_support import OPENID, TOKEN, WeChat

# wrk 4.1's output for a run of bench/wechat.lua, as printed (figures from a real run)
WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:41000/wechat
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    17.60ms    8.08ms 103.32ms   78.65%
    Req/Sec   252.69     45.67   343.00     68.00%
  Latency Distribution
     50%   17.10ms
     75%   21.56ms
     90%   27.04ms
     99%   39.71ms
  2523 requests in 5.01s, 3.99MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:    503.11
Transfer/sec:    814.98KB
WRK_JSON {"duration_us":5014788,"requests":2523,"bytes":4183465,\
"errors":{"connect":0,"read":1,"write":0,"status":3,"timeout":2},\
"latency_us":{"p50":17100.0,"p90":27040.0,"p99":39710.0,"max":103320.0,"mean":17600.2},\
"ok":2520,"answered":2518,"sorry":1,"bad":3,"timeline":[[0,500,499,1,0],[1,505,505,0,3]]}
"""


@pytest.fixture
def floor():
    return WeChat(create_app(token=TOKEN, replay_window=300))


def test_floor_echoes_a_wechat_text_message_in_a_text_reply(floor):
    sent = floor.text("论坛在哪里举行？")
    assert sent.response.status_code == 200
    assert isinstance(sent.reply, TextReply)
    assert sent.text == "论坛在哪里举行？"
    assert sent.reply.target == OPENID  # addressed back to the sender


def test_floor_refuses_a_bad_signature_and_a_stale_timestamp(floor):
    xml = render_message("text", source=OPENID, msg_id=1, content="hi")
    assert floor.post(xml, signature="0" * 40).response.status_code == 403
    stale = str(int(time.time()) - 3600)
    assert floor.post(xml, timestamp=stale).response.status_code == 403
    assert floor.post(xml, nonce="").response.status_code == 403  # nonce is signed too


def test_floor_refuses_a_body_wechatpy_cannot_parse(floor):
    assert floor.post("<xml><MsgType>text").response.status_code == 400


def test_floor_accepts_the_real_apps_development_token():
    assert DEV_TOKEN == BOT_DEV_TOKEN


def test_wrk_output_parses_to_the_scripts_figures():
    result = _wrk.parse(WRK_OUTPUT)
    assert result.requests == 2523
    assert result.seconds == pytest.approx(5.014788)
    assert result.rps == pytest.approx(2523 / 5.014788)
    assert (result.p50_ms, result.p90_ms, result.p99_ms) == (17.1, 27.04, 39.71)
    assert result.non_2xx == 3
    assert result.socket_errors == {"connect": 0, "read": 1, "write": 0, "timeout": 2}
    assert result.errors == 6
    assert (result.ok, result.answered, result.sorry) == (2520, 2518, 1)
    assert result.timeline == [(0, 500, 499, 1, 0), (1, 505, 505, 0, 3)]


def test_wrk_text_summary_parses_with_units():
    text = _wrk.parse_text(WRK_OUTPUT)
    assert text["requests"] == 2523
    assert text["rps"] == 503.11
    assert text["latency_ms"] == {50: 17.1, 75: 21.56, 90: 27.04, 99: 39.71}
    assert text["non_2xx"] == 3
    assert text["socket_errors"] == {"connect": 0, "read": 1, "write": 0, "timeout": 2}
    quiet = _wrk.parse_text("  1 requests in 1.00s, 1KB read\n     99%  850.00us\n")
    assert quiet["latency_ms"] == {99: 0.85}
    assert (quiet["non_2xx"], quiet["socket_errors"]) == (0, {})


def test_wrk_output_without_the_scripts_line_or_with_a_mismatch_is_an_error():
    without = "\n".join(x for x in WRK_OUTPUT.splitlines() if not x.startswith("WRK_JSON"))
    with pytest.raises(_wrk.WrkError, match="WRK_JSON"):
        _wrk.parse(without)
    with pytest.raises(_wrk.WrkError, match="disagree"):
        _wrk.parse(WRK_OUTPUT.replace("2523 requests in", "2524 requests in"))


def test_the_lua_settings_file_refuses_text_it_cannot_quote(tmp_path):
    config = _wrk.write_config(tmp_path / "c.lua", "tok", ["论坛在哪里举行？"])
    assert "[==[论坛在哪里举行？]==]" in config.read_text(encoding="utf-8")
    with pytest.raises(ValueError):
        _wrk.write_config(tmp_path / "d.lua", "tok", ["a]==]b"])


def test_every_wrk_run_gets_fresh_msgids(tmp_path):
    """wrk's counters restart at 0 each run: without a new prefix the second run's messages
    would be retries of the first's, answered from the store without work."""
    load = _wrk.Load(tmp_path, "tok", ["q"])
    first, second = load.config().read_text(), load.config().read_text()
    assert first != second
    assert first.replace(_prefix(first), "") == second.replace(_prefix(second), "")


def _prefix(config: str) -> str:
    return next(line for line in config.splitlines() if "prefix" in line)


def test_questions_are_the_dev_sets_answerable_ones(tmp_path):
    dev = tmp_path / "dev.jsonl"
    dev.write_text(
        '{"q": "a", "expect_any": ["x"]}\n{"q": "b", "ood": true}\n{"q": "c", "expect_any": []}\n',
        encoding="utf-8",
    )
    assert _wrk.questions(dev) == ["a"]


def test_make_bench_runs_benchmarks_only():
    names = bench_main.available()
    assert {"retrieval", "webhook", "loadtest"} <= set(names)
    assert "floor" not in names and not any(n.startswith("_") for n in names)


@pytest.mark.e2e  # gunicorn and wrk, each in a process of its own
@pytest.mark.skipif(_wrk.wrk_path() is None, reason="wrk is not installed")
def test_the_wrk_script_signs_as_wechat_does(tmp_path):
    """Against the floor app under gunicorn: every request the Lua script signs (its own
    SHA-1) is accepted, and every reply echoes one of the questions."""
    server = _serve.start(
        "bench.floor:app", tmp_path / "data", tmp_path / "floor.log", 1, **_serve.BENCH_SETTINGS
    )
    try:
        _serve.wait_ready(server)
        load = _wrk.Load(tmp_path, _serve.TOKEN, ["论坛在哪里举行？"])
        result = _wrk.run(server.webhook, load, 1, 2, 1)
    finally:
        server.stop()
    assert result.requests > 0
    assert result.non_2xx == 0 and result.ok == result.requests
    assert result.answered == 0  # the floor app echoes: no sources


def test_the_ablation_bench_switches_each_resource_off(capsys):
    from bench import ablation

    assert ablation.main(["--sets", "dev"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    runs = [row.split("|")[1].strip() for row in rows[1:]]
    assert runs[0] == "everything" and "without typos" in runs and "without evidence" in runs
    assert rows[1].split("|")[2].strip() == "30/30"  # the dev set, everything on


def test_the_admin_pages_bench_reads_what_the_pages_read(capsys):
    from bench import adminpages

    assert adminpages.main(["--rows", "3000"]) == 0
    out = capsys.readouterr().out
    assert "filled 3,000 questions" in out and "| GET /admin/unanswered |" in out


def test_the_questions_bench_times_every_question_uncached(capsys, monkeypatch, tmp_path):
    from bench import questions

    # the bench points the process at its own folders: put them back afterwards
    monkeypatch.setenv("BOT_KNOWLEDGE_DIR", "")
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    assert questions.main(["--scale", "200", "--data", str(tmp_path / "data")]) == 0
    row = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")][-1]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "234" and int(cells[1]) > 250  # the report's 34 passages and 200 more
