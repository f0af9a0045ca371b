"""The admin API: an admin edits the knowledge folder and reloads; every worker follows, a
broken document is refused by name and the old knowledge keeps serving."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from bot.web import create_app
from tests.conftest import REPORT
from tests.wechat_support import WeChat, webhook_config

ADMIN = {"Authorization": "Bearer test-admin-token"}
AGENDA = "---\ntitle: 会议议程\n---\n# 议程\n\n论坛茶歇安排在上午十点半，地点是二层咖啡厅。\n"
AGENDA_QUESTION = "茶歇安排在几点？"


@pytest.fixture
def app(tmp_path: Path, folder: Path):
    return create_app(webhook_config(tmp_path / "data", knowledge_dir=folder))


def reload(app, headers=ADMIN):
    return app.test_client().post("/admin/reload", headers=headers)


def version(app) -> str:
    return app.test_client().get("/healthz").get_json()["knowledge_version"]


# -- authentication ---------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("POST", "/admin/reload"), ("GET", "/admin/stats")])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "test-admin-token"},
        {"Authorization": "Basic dGVzdC1hZG1pbi10b2tlbg=="},
    ],
)
def test_admin_routes_need_the_token(app, method, path, headers):
    response = app.test_client().open(path, method=method, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "missing or wrong admin token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), [("POST", "/admin/reload"), ("GET", "/admin/stats")])
def test_admin_routes_are_off_without_a_configured_token(tmp_path, method, path):
    app = create_app(webhook_config(tmp_path / "data", admin_token=""))
    response = app.test_client().open(path, method=method, headers=ADMIN)
    assert response.status_code == 403
    assert "BOT_ADMIN_TOKEN" in response.get_json()["error"]


# -- reload -------------------------------------------------------------------------------


def test_a_new_document_is_answered_after_a_reload(app, folder):
    chat = WeChat(app)
    assert "出处" not in chat.text(AGENDA_QUESTION).text
    before = version(app)
    (folder / "agenda.md").write_text(AGENDA, "utf-8")
    response = reload(app)
    assert response.status_code == 200
    body = response.get_json()
    assert body["documents"] == 2 and body["passages"] > 30
    assert body["previous"] == before and body["version"] != before and body["changed"]
    assert body["took_ms"] > 0
    assert any("GB2312 row shift" in w for w in body["warnings"])  # the report's repairs
    assert version(app) == body["version"]
    reply = chat.text(AGENDA_QUESTION).text
    assert "十点半" in reply and "出处" in reply and "会议议程" in reply


def test_reloading_unchanged_files_reports_no_change(app):
    body = reload(app).get_json()
    assert body["version"] == body["previous"] and not body["changed"]


def _not_text(folder: Path) -> str:
    (folder / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return "scan.txt"


def _not_utf8(folder: Path) -> str:
    (folder / "latin1.txt").write_bytes("Café Zürich ÿ€".encode("cp1252") + b"\xff\xfe\xfd")
    return "latin1.txt"


def _unreadable(folder: Path) -> str:
    (folder / "moved.md").symlink_to(folder / "no-longer-here.md")
    return "moved.md"


def _empty(folder: Path) -> str:
    for path in folder.iterdir():
        path.unlink()
    (folder / "blank.txt").write_text("\n\n   \n", "utf-8")
    return str(folder)


def _link_to_etc(folder: Path) -> str:
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    return "passwd.txt"


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe.txt")
    return "pipe.txt"


def _directory(folder: Path) -> str:
    (folder / "notes.md").mkdir()
    return "notes.md"


def _bad_synonym_line(folder: Path) -> str:
    (folder / "synonyms.txt").write_text("工信部, 工业和信息化部\n只有一个词\n", "utf-8")
    return "synonyms.txt"


@pytest.mark.parametrize(
    ("breaks", "reason"),
    [
        (_not_text, "NUL bytes"),
        (_not_utf8, "neither UTF-8"),
        (_unreadable, "leads nowhere"),
        (_empty, "yields no passages"),
        (_link_to_etc, "outside the knowledge folder"),
        (_fifo, "FIFO"),
        (_directory, "directory"),
        (_bad_synonym_line, "line 2"),
    ],
)
def test_a_broken_folder_is_refused_by_name_and_the_old_knowledge_keeps_serving(
    app, folder, breaks, reason
):
    chat = WeChat(app)
    before = version(app)
    culprit = breaks(folder)
    response = reload(app)
    assert response.status_code == 422
    body = response.get_json()
    assert body["file"] == culprit and reason in body["reason"]
    assert culprit in body["error"]
    assert version(app) == before
    assert "出处" in chat.text("杨学山的演讲题目是什么？").text
    history = app.test_client().get("/admin/stats", headers=ADMIN).get_json()["reloads"]
    assert history[0]["ok"] is False and culprit in history[0]["error"]


def test_a_document_over_bot_max_document_mb_is_refused_at_once(tmp_path, folder):
    app = create_app(webhook_config(tmp_path / "data", knowledge_dir=folder, max_document_mb=0.05))
    before = version(app)
    (folder / "huge.txt").write_text("论坛。" * 20000, "utf-8")
    response = reload(app)
    assert response.status_code == 422
    body = response.get_json()
    assert body["file"] == "huge.txt" and "BOT_MAX_DOCUMENT_MB" in body["reason"]
    assert version(app) == before


def test_a_gb18030_document_is_accepted_with_a_warning_naming_it(app, folder):
    (folder / "旧稿.txt").write_bytes("论坛的茶歇安排在上午十点半。\n".encode("gb18030"))
    body = reload(app).get_json()
    assert any(w.startswith("旧稿.txt: decoded as GB18030") for w in body["warnings"])


def test_concurrent_reloads_are_serialised(app, folder):
    (folder / "agenda.md").write_text(AGENDA, "utf-8")
    results: list = []

    def run():
        results.append(reload(app).get_json())

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all("version" in r for r in results), results
    # One after the other: the first changes the version, the others find it current.
    assert sorted(r["changed"] for r in results) == [False, False, False, True]


def test_questions_asked_while_reloading_all_get_right_answers(app, folder):
    (folder / "agenda.md").write_text(AGENDA, "utf-8")
    stop = threading.Event()
    failures: list[str] = []
    asked = [0]

    def ask(n: int):
        chat = WeChat(app)
        while not stop.is_set():
            asked[0] += 1  # a new user each time: this is not about the rate limit
            openid = f"oLoadUser{n:02d}{asked[0]:018d}"
            sent = chat.text("杨学山的演讲题目是什么？", openid=openid)
            if sent.response.status_code != 200 or "创新驱动的新型智慧城市建设" not in sent.text:
                failures.append(f"{sent.response.status_code} {sent.text!r}")

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        for n in range(6):
            if n % 2:
                (folder / "agenda.md").unlink()
            else:
                (folder / "agenda.md").write_text(AGENDA, "utf-8")
            assert reload(app).status_code == 200
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert asked[0] > 0 and failures == []


def test_every_worker_switches_to_the_reloaded_knowledge(tmp_path, folder):
    """Two apps sharing BOT_DATA_DIR stand for two gunicorn workers: the reload reaches
    one; the other notices the new version stamp on its next request."""
    config = webhook_config(tmp_path / "data", knowledge_dir=folder)
    first, second = create_app(config), create_app(config)
    assert version(first) == version(second)
    (folder / "agenda.md").write_text(AGENDA, "utf-8")
    new = reload(first).get_json()["version"]
    assert version(second) == new
    assert "十点半" in WeChat(second).text(AGENDA_QUESTION).text


def test_a_reload_reaches_another_machine_through_redis(tmp_path, folder, redis_server):
    """Two machines: their own data folders, one Redis, the same knowledge folder."""
    first, second = (
        create_app(
            webhook_config(tmp_path / name, knowledge_dir=folder, redis_url=redis_server.url)
        )
        for name in ("machine-a", "machine-b")
    )
    (folder / "agenda.md").write_text(AGENDA, "utf-8")
    new = reload(first).get_json()["version"]
    assert version(second) == new
    assert "十点半" in WeChat(second).text(AGENDA_QUESTION).text


def test_a_worker_follows_a_reload_from_the_build_not_from_the_folder(tmp_path, folder):
    """The other worker opens the stamped build: the folder may be gone or changed since."""
    config = webhook_config(tmp_path / "data", knowledge_dir=folder)
    first, second = create_app(config), create_app(config)
    (folder / "agenda.md").write_text(AGENDA, "utf-8")
    new = reload(first).get_json()["version"]
    shutil.rmtree(folder)  # the folder vanishes before the second worker catches up
    assert version(second) == new
    assert "十点半" in WeChat(second).text(AGENDA_QUESTION).text


def test_a_worker_that_starts_serves_the_stamped_build_not_the_folder(tmp_path, folder):
    config = webhook_config(tmp_path / "data", knowledge_dir=folder)
    first = create_app(config)
    (folder / "agenda.md").write_text(AGENDA, "utf-8")
    new = reload(first).get_json()["version"]
    (folder / "late.md").write_text("# 迟到\n\n这份文件没有重新加载过。\n", "utf-8")
    restarted = create_app(config)  # a replacement worker, after the folder changed
    assert version(restarted) == new


def test_a_worker_that_cannot_follow_keeps_serving_and_says_so(tmp_path, folder, caplog):
    config = webhook_config(tmp_path / "data", knowledge_dir=folder)
    first, second = create_app(config), create_app(config)
    before = version(second)
    (folder / "agenda.md").write_text(AGENDA, "utf-8")
    reload(first)
    shutil.rmtree(tmp_path / "data" / "knowledge-cache")  # the build is not to be had …
    shutil.rmtree(folder)  # … nor the folder
    health = second.test_client().get("/healthz").get_json()
    assert health["knowledge_version"] == before and health["status"] == "behind"
    assert health["wanted_version"] == version(first) and health["behind"]
    assert "出处" in WeChat(second).text("杨学山的演讲题目是什么？").text
    assert "cannot load the knowledge another process reloaded" in caplog.text


def test_a_build_that_outlasts_the_reload_wait_answers_202_and_serves_when_done(tmp_path, folder):
    app = create_app(webhook_config(tmp_path / "data", knowledge_dir=folder, reload_wait=0.001))
    before = version(app)
    (folder / "agenda.md").write_text(AGENDA, "utf-8")
    response = reload(app)
    assert response.status_code == 202
    body = response.get_json()
    assert body["serving"] is False and body["version"] != before
    health = app.test_client().get("/healthz").get_json()
    assert health["building"] in (body["version"], None)  # None once the build is done
    deadline = time.monotonic() + 60
    while version(app) != body["version"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert version(app) == body["version"]
    assert "十点半" in WeChat(app).text(AGENDA_QUESTION).text


# -- stats ------------------------------------------------------------------------------


def test_stats_describe_the_knowledge_reloads_and_questions(app, folder):
    chat = WeChat(app)
    chat.text("论坛在哪里举行？")
    chat.text("明天北京天气怎么样？")
    (folder / "agenda.md").write_text(AGENDA, "utf-8")
    reload(app)
    engine = app.extensions["forumbot"].engine
    assert engine.querylog.flush()
    stats = app.test_client().get("/admin/stats", headers=ADMIN).get_json()
    knowledge = stats["knowledge"]
    assert knowledge["version"] == version(app)
    documents = {d["name"]: d for d in knowledge["documents"]}
    assert set(documents) == {REPORT.name, "agenda.md"}
    assert documents["agenda.md"]["passages"] >= 1
    assert sum(d["passages"] for d in documents.values()) == knowledge["passages"]
    assert len(documents[REPORT.name]["sha256"]) == 64
    assert stats["reloads"][0]["ok"] is True and stats["reloads"][0]["documents"] == 2
    questions = stats["questions"]
    assert questions["questions"] == 2
    assert questions["answered"] == 1 and questions["unanswered"] == 1
    assert set(questions["latency_ms"]) == {"p50", "p90", "p99"}


def test_a_hidden_file_is_not_loaded_and_the_reload_says_so(app, folder):
    (folder / ".agenda.md").write_text(AGENDA, "utf-8")  # a copy tool's temporary, say
    response = reload(app)
    assert response.status_code == 200
    assert ".agenda.md: skipped, a hidden file" in response.get_json()["warnings"]
    assert "十点半" not in WeChat(app).text(AGENDA_QUESTION).text
