"""The admin page through Flask's test client: logging in with the admin token, CSRF on every
form, and that what it shows is what the bot does (the exact reply, the refusal of a broken
file, the questions users asked through the webhook)."""

from __future__ import annotations

import html
import re
import subprocess
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from bot.config import Config, ConfigError
from bot.web import create_app
from bot.web.admin_page import PAGE_SIZE
from tests.conftest import REPORT
from tests.wechat_support import WeChat, webhook_config

TOKEN = "test-admin-token"
AGENDA = "---\ntitle: 会议议程\n---\n# 议程\n\n论坛茶歇安排在上午十点半，地点是二层咖啡厅。\n"
PAGES = ["/admin", "/admin/passages", "/admin/hit-test?q=论坛在哪里举行？", "/admin/unanswered"]
FORMS = ["/admin/reload-now", "/admin/logout", "/admin/synonyms"]


@pytest.fixture
def app(tmp_path: Path, folder: Path):
    return create_app(webhook_config(tmp_path / "data", knowledge_dir=folder))


@pytest.fixture
def admin(app) -> FlaskClient:
    client = app.test_client()
    response = login(client, TOKEN)
    assert response.status_code == 302 and response.headers["Location"] == "/admin"
    return client


def csrf_token(client: FlaskClient, path: str = "/admin/login") -> str:
    page = client.get(path).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(client: FlaskClient, token: str, **extra: str):
    return client.post(
        "/admin/login", data={"token": token, "csrf_token": csrf_token(client), **extra}
    )


def post_form(client: FlaskClient, path: str):
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin")})


def element(page: str, element_id: str) -> str:
    """The text inside the element with ``element_id``, unescaped as a browser shows it."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    assert found, f"no #{element_id} in the page"
    return html.unescape(found.group(1))


def version(app) -> str:
    return app.test_client().get("/healthz").get_json()["knowledge_version"]


def engine(app):
    return app.extensions["forumbot"].engine


# -- login -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_redirects_to_the_login(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/admin/login?next=")


@pytest.mark.parametrize("path", FORMS)
def test_forms_redirect_to_the_login_and_do_nothing(app, path):
    client = app.test_client()
    response = client.post(path, data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")
    assert engine(app).querylog.reloads() == []


@pytest.mark.parametrize("token", ["wrong-token", "", TOKEN + " ", TOKEN.upper()])
def test_a_wrong_token_is_refused(app, token):
    client = app.test_client()
    response = login(client, token)
    assert response.status_code == 401
    assert "令牌错误" in response.text
    assert client.get("/admin").status_code == 302


def test_login_returns_to_the_page_asked_for(app):
    client = app.test_client()
    target = client.get("/admin/unanswered?days=7").headers["Location"]
    assert client.get(target).status_code == 200
    response = login(client, TOKEN, next="/admin/unanswered?days=7")
    assert response.headers["Location"] == "/admin/unanswered?days=7"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/wechat"])
def test_login_never_redirects_outside_the_admin_pages(app, target):
    response = login(app.test_client(), TOKEN, next=target)
    assert response.headers["Location"] == "/admin"


def test_logout_ends_the_session(admin):
    response = post_form(admin, "/admin/logout")
    assert response.status_code == 302
    assert admin.get("/admin").status_code == 302


def test_the_page_is_off_without_a_configured_token(tmp_path):
    app = create_app(webhook_config(tmp_path / "data", admin_token=""))
    client = app.test_client()
    for path in ["/admin", "/admin/login"]:
        response = client.get(path)
        assert response.status_code == 403
        assert "BOT_ADMIN_TOKEN" in response.text
    assert client.post("/admin/login", data={"token": ""}).status_code == 403


def test_the_session_cookie_is_httponly_and_samesite_strict(app):
    cookie = app.test_client().get("/admin/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # development over plain HTTP


@pytest.mark.parametrize("settings", [{"env": "production"}, {"secure_cookies": True}])
def test_the_session_cookie_is_secure_in_production(tmp_path, folder, settings):
    app = create_app(webhook_config(tmp_path / "data", knowledge_dir=folder, **settings))
    cookie = app.test_client().get("/admin/login").headers["Set-Cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def status_with_the_admins_cookie(app, admin) -> int:
    """What /admin answers another app presenting the logged-in admin's session cookie."""
    client = app.test_client()
    client.set_cookie("forumbot_admin", admin.get_cookie("forumbot_admin").value)
    return client.get("/admin").status_code


def test_every_worker_accepts_a_session_made_by_another(tmp_path, folder, admin):
    """Two apps on one data folder stand for two gunicorn workers sharing the store."""
    other = create_app(webhook_config(tmp_path / "data", knowledge_dir=folder))
    assert status_with_the_admins_cookie(other, admin) == 200


def test_an_instance_with_another_secret_does_not(tmp_path, folder, admin):
    other = create_app(
        webhook_config(tmp_path / "other", knowledge_dir=folder, secret_key="set-by-env")
    )
    assert status_with_the_admins_cookie(other, admin) == 302


def test_changing_the_admin_token_logs_every_browser_out(tmp_path, folder, admin):
    rotated = create_app(
        webhook_config(tmp_path / "data", knowledge_dir=folder, admin_token="rotated-token")
    )
    assert status_with_the_admins_cookie(rotated, admin) == 302


# -- CSRF --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FORMS)
@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_a_valid_csrf_token_is_refused(app, admin, path, token):
    data = {} if token is None else {"csrf_token": token}
    response = admin.post(path, data=data)
    assert response.status_code == 400
    assert "CSRF" in response.text
    assert engine(app).querylog.reloads() == []
    assert admin.get("/admin").status_code == 200  # still logged in: logout was refused too


def test_login_needs_a_csrf_token_too(app):
    client = app.test_client()
    client.get("/admin/login")
    response = client.post("/admin/login", data={"token": TOKEN})
    assert response.status_code == 400
    assert client.get("/admin").status_code == 302


def test_a_csrf_token_from_another_session_is_refused(app, admin):
    stranger = app.test_client()
    response = admin.post("/admin/reload-now", data={"csrf_token": csrf_token(stranger)})
    assert response.status_code == 400


# -- the JSON API keeps its own rules ----------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("POST", "/admin/reload"), ("GET", "/admin/stats")])
def test_a_logged_in_browser_does_not_open_the_json_api(admin, method, path):
    response = admin.open(path, method=method)
    assert response.status_code == 401
    assert response.get_json()["error"] == "missing or wrong admin token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_json_api_still_takes_the_bearer_token_without_csrf(app):
    response = app.test_client().post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.get_json()["version"] == version(app)


# -- what the pages show -----------------------------------------------------------------


def test_the_status_page_shows_the_knowledge(app, admin):
    page = admin.get("/admin")
    assert page.status_code == 200
    kb = engine(app).knowledge
    assert element(page.text, "version") == kb.version
    document = kb.documents[0]
    for shown in [document.name, document.title, document.sha256, str(kb.passage_count(document))]:
        assert html.escape(shown) in page.text
    assert any(html.escape(w) in page.text for w in kb.warnings)
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_the_passage_browser_pages_through_a_document(app, admin):
    kb = engine(app).knowledge
    document = kb.documents[0]
    passages = [p for p in kb.passages if p.source == document.name]
    assert len(passages) > PAGE_SIZE
    first = admin.get("/admin/passages", query_string={"doc": document.name}).text
    second = admin.get("/admin/passages", query_string={"doc": document.name, "page": 2}).text
    assert passages[0].id in first and passages[PAGE_SIZE].id not in first
    assert passages[PAGE_SIZE].id in second and passages[0].id not in second
    assert html.escape(passages[PAGE_SIZE].citation()) in second
    speech = next(p for p in passages if p.speaker)
    page = (passages.index(speech) // PAGE_SIZE) + 1
    shown = admin.get("/admin/passages", query_string={"doc": document.name, "page": page}).text
    assert html.escape(speech.citation()) in shown and speech.talk_title in shown


@pytest.mark.parametrize("page", ["0", "-3", "abc", "99999"])
def test_an_out_of_range_page_shows_the_nearest(admin, page):
    assert admin.get("/admin/passages", query_string={"page": page}).status_code == 200


def test_an_unknown_document_is_a_404(admin):
    response = admin.get("/admin/passages", query_string={"doc": "../../etc/passwd"})
    assert response.status_code == 404
    assert "etc/passwd" in html.unescape(response.text)


@pytest.mark.parametrize("question", ["孟庆国提出了哪三种社会管理范式？", "火星上的天气怎么样？"])
def test_the_hit_test_shows_the_exact_reply_a_user_gets(app, admin, question):
    page = admin.get("/admin/hit-test", query_string={"q": question}).text
    user_reply = WeChat(app).text(question, openid="oHitTestUser000000000000001").text
    assert element(page, "reply") == user_reply
    shown = [float(s) for s in re.findall(r'class="num score">([\d.]+)<', page)]
    ranked = engine(app).knowledge.search(question, k=10)
    assert shown == [round(score, 3) for _, score in ranked]
    for passage, _ in ranked:
        assert passage.id in page


def test_the_hit_test_shows_how_the_question_was_read_and_why(admin):
    page = admin.get("/admin/hit-test", query_string={"q": "请问杨雪山在峰会上有讲话吗"}).text
    assert element(page, "corrections") == "杨雪山 → 杨学山"
    assert "峰会 → 论坛" in element(page, "synonyms")
    assert "请问" in element(page, "dropped")
    assert "是非问" in element(page, "read-as")
    assert element(page, "decision").startswith("answered: the best passage covers")
    refused = admin.get("/admin/hit-test", query_string={"q": "钱学森是哪年出生的"}).text
    assert element(refused, "decision").startswith("refused:")


def test_a_synonym_added_from_the_hit_test_is_in_force_after_the_reload_it_offers(
    app, admin, folder
):
    question = "老杨的演讲题目是什么"
    form = {"csrf_token": csrf_token(admin, "/admin"), "q": question}
    added = admin.post("/admin/synonyms", data={**form, "words": "老杨", "means": "杨学山"})
    assert added.status_code == 200
    assert element(added.text, "added-line") == "老杨 => 杨学山"
    assert (folder / "synonyms.txt").read_text("utf-8").endswith("老杨 => 杨学山\n")
    assert "创新驱动的新型智慧城市建设" not in element(added.text, "reply")  # not yet reloaded
    reloaded = admin.post("/admin/reload-now", data={**form})
    assert reloaded.status_code == 200 and "reloaded" in reloaded.text
    assert "创新驱动的新型智慧城市建设" in element(reloaded.text, "reply")
    assert WeChat(app).text(question, openid="oSynonymUser000000000000001").text == element(
        reloaded.text, "reply"
    )


@pytest.mark.parametrize(("words", "means"), [("老杨", "杨 => 学山"), ("只有一个词", "")])
def test_a_synonym_line_that_cannot_be_read_is_refused_and_the_file_untouched(
    admin, folder, words, means
):
    form = {"csrf_token": csrf_token(admin, "/admin"), "q": "论坛在哪里举行？"}
    response = admin.post("/admin/synonyms", data={**form, "words": words, "means": means})
    assert response.status_code == 422
    assert "synonyms.txt" in element(response.text, "synonym-error")
    assert not (folder / "synonyms.txt").exists()


def test_the_hit_test_is_not_written_to_the_query_log(app, admin):
    admin.get("/admin/hit-test", query_string={"q": "火星上的天气怎么样？"})
    engine(app).querylog.flush()
    assert engine(app).querylog.summary()["questions"] == 0


def test_a_too_long_hit_test_question_is_refused_clearly(admin):
    response = admin.get("/admin/hit-test", query_string={"q": "论坛" * 400})
    assert response.status_code == 400
    assert "太长" in response.text


def test_reload_shows_the_new_version_and_document(app, admin, folder):
    before = version(app)
    (folder / "agenda.md").write_text(AGENDA, "utf-8")
    page = post_form(admin, "/admin/reload-now")
    assert page.status_code == 200
    after = version(app)
    assert after != before
    assert "reload-result" in page.text and element(page.text, "version") == after
    assert "agenda.md" in page.text and "会议议程" in page.text
    assert [d.name for d in engine(app).knowledge.documents] == ["agenda.md", REPORT.name]
    reply = admin.get("/admin/hit-test", query_string={"q": "茶歇安排在几点？"}).text
    assert "十点半" in element(reply, "reply")


def test_reload_with_a_broken_file_shows_the_refusal_and_keeps_serving(app, admin, folder):
    before = version(app)
    (folder / "latin1.txt").write_bytes("Café Zürich".encode("cp1252") + b"\xff\xfe\xfd")
    page = post_form(admin, "/admin/reload-now")
    assert page.status_code == 422
    assert "latin1.txt" in element(page.text, "refused-file")
    assert "UTF-8" in element(page.text, "refused-reason")
    assert element(page.text, "version") == before == version(app)
    assert "出处" in WeChat(app).text("论坛在哪里举行？").text
    history = engine(app).querylog.reloads()
    assert len(history) == 1 and not history[0]["ok"] and history[0]["origin"] == "admin-page"


def test_unanswered_shows_a_question_asked_through_the_webhook(app, admin):
    question = "火星上的天气怎么样？"
    assert "出处" not in WeChat(app).text(question).text
    engine(app).querylog.flush()
    page = admin.get("/admin/unanswered").text
    assert question in re.findall(r'class="question">(.*?)</td>', page)
    assert question in admin.get("/admin").text  # the most asked, on the status page too


def test_questions_are_shown_as_text_never_as_markup(app, admin):
    question = '<script>alert("x")</script>是谁？'
    WeChat(app).text(question)
    engine(app).querylog.flush()
    page = admin.get("/admin/unanswered").text
    assert "<script>" not in page
    assert question in [html.unescape(q) for q in re.findall(r'class="question">(.*?)</td>', page)]


def test_the_cookie_settings_come_from_the_environment():
    config = Config.from_env({"BOT_SECRET_KEY": "from-env", "BOT_SECURE_COOKIES": "1"})
    assert config.secret_key == "from-env" and config.secure_cookies
    default = Config.from_env({})
    assert default.secret_key == "" and not default.secure_cookies


def test_repeated_wrong_tokens_are_throttled_per_address(app):
    client = app.test_client()
    statuses = [login(client, f"guess-{n}").status_code for n in range(10)]
    assert statuses == [401] * 10
    throttled = login(client, TOKEN)  # even the right token waits now
    assert throttled.status_code == 429 and "Too many failed logins" in throttled.text
    other = app.test_client()
    response = other.post(
        "/admin/login",
        data={"token": TOKEN, "csrf_token": csrf_token(other)},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 302  # another address is not held up


def guess_through_a_proxy(app, forwarded_for: str, token: str) -> int:
    """A login sent by a browser through nginx on this machine: every request comes from
    127.0.0.1, with the client's address and scheme (HTTPS) in X-Forwarded-* headers."""
    client = app.test_client()
    client.environ_base.update(
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=forwarded_for,
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_REFERER="https://localhost/admin/login",  # CSRF's HTTPS check wants it
    )
    return login(client, token).status_code


def test_behind_a_trusted_proxy_failed_logins_count_per_client(tmp_path, folder):
    app = create_app(webhook_config(tmp_path / "data", knowledge_dir=folder, trusted_proxies=1))
    assert [guess_through_a_proxy(app, "203.0.113.9", "guess") for _ in range(11)][-1] == 429
    assert guess_through_a_proxy(app, "198.51.100.4", TOKEN) == 302  # another admin gets in


def test_without_a_trusted_proxy_a_forged_forwarded_for_changes_nothing(tmp_path, folder):
    app = create_app(webhook_config(tmp_path / "data", knowledge_dir=folder))
    for n in range(10):  # an attacker sending a new X-Forwarded-For with every guess
        assert guess_through_a_proxy(app, f"203.0.113.{n}", "guess") == 401
    assert guess_through_a_proxy(app, "203.0.113.99", TOKEN) == 429  # still one address


def test_the_number_of_trusted_proxies_is_read_from_the_environment():
    assert Config.from_env({}).trusted_proxies == 0
    assert Config.from_env({"BOT_TRUSTED_PROXIES": "1"}).trusted_proxies == 1
    with pytest.raises(ConfigError, match="BOT_TRUSTED_PROXIES must be a whole number"):
        Config.from_env({"BOT_TRUSTED_PROXIES": "yes"})


def test_wrong_bearer_tokens_and_wrong_logins_share_one_throttle(app, caplog):
    client = app.test_client()
    for _ in range(5):
        login(client, "guess")
    for _ in range(5):
        wrong = client.get("/admin/stats", headers={"Authorization": "Bearer guess-123"})
        assert wrong.status_code == 401
    throttled = client.get("/admin/stats", headers={"Authorization": f"Bearer {TOKEN}"})
    assert throttled.status_code == 429  # even the right token, from this address, for now
    assert int(throttled.headers["Retry-After"]) > 0
    assert login(client, TOKEN).status_code == 429
    failures = [r for r in caplog.records if r.getMessage() == "admin authentication failed"]
    assert len(failures) == 10  # each failure logged once …
    assert not any("guess" in str(r.__dict__) for r in caplog.records)  # … without the token


def test_logging_out_revokes_a_copied_session_cookie(app, admin):
    copy = app.test_client()
    cookie = admin.get_cookie("forumbot_admin")
    assert cookie is not None
    copy.set_cookie("forumbot_admin", cookie.value)
    assert copy.get("/admin").status_code == 200
    assert post_form(admin, "/admin/logout").status_code == 302
    assert copy.get("/admin").status_code == 302  # the copy is logged out too


def test_a_copied_cookie_is_not_renewed_by_being_refused(app, admin):
    copy = app.test_client()
    copy.set_cookie("forumbot_admin", admin.get_cookie("forumbot_admin").value)
    post_form(admin, "/admin/logout")
    refused = copy.get("/admin")
    assert refused.status_code == 302
    cookie = copy.get_cookie("forumbot_admin")
    if cookie is not None and cookie.value:  # what the server sent back holds no login
        serializer = app.session_interface.get_signing_serializer(app)
        assert "admin" not in serializer.loads(cookie.value)


def test_a_login_ends_after_its_hours_however_often_it_is_used(app, admin, monkeypatch):
    import bot.web.admin_page as page

    assert admin.get("/admin").status_code == 200
    later = time.time() + page.SESSION_HOURS * 3600 + 1
    monkeypatch.setattr(page.time, "time", lambda: later)
    assert admin.get("/admin").status_code == 302


def test_a_reload_whose_build_was_killed_shows_as_interrupted(app, admin):
    gone = subprocess.Popen(["true"])
    gone.wait()
    engine(app).querylog.record_reload(
        origin="api", ok=False, state="building", version="abc123", documents=2, pid=gone.pid
    )
    page = admin.get("/admin").text
    assert re.search(r'class="reload-interrupted">中断 interrupted: the build did not finish', page)
