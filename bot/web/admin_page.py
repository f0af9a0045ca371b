"""The admin page: the knowledge, its passages, a hit test, reloads and the questions the bot
could not answer, in a browser, behind the same admin token as the JSON API.

The token is typed once into a login form and kept as a signed session cookie (HttpOnly,
SameSite=Strict, Secure in production), so it never sits in the browser's history or in a
bookmark. Every POST carries a CSRF token. The JSON API (bot.web.admin) keeps its own Bearer check:
its ``before_request`` runs for its blueprint only, so these routes avoid its paths
(``/admin/reload``, ``/admin/stats``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect

from bot.chat.engine import ReloadBusy, SharedStoreDown
from bot.state.base import shared_secret
from bot.web import throttle
from bot.web.admin import knowledge_stats
from bot.web.services import get_engine, get_store
from knowledge.errors import KnowledgeError
from knowledge.synonyms import append_rule

bp = Blueprint("admin_page", __name__)
csrf = CSRFProtect()
log = logging.getLogger(__name__)

SECRET_KEY = "forumbot:flask-secret-key"
SESSION_HOURS = 12
PAGE_SIZE = 20  # passages per page
HITS = 10  # passages shown by the hit test
MAX_QUESTION = 500  # characters; longer is not a question a WeChat user types
HEADERS = {
    # Inline CSS only, no scripts, no frames: the page shows text from the knowledge folder
    # and from users' questions, so nothing it shows may ever run.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # CSRF's HTTPS check needs a same-origin Referer
    "Cache-Control": "no-store",
}


class AdminSessionInterface(SecureCookieSessionInterface):
    """Sessions for the admin page only. Flask opens one for every request, which costs a
    signing serializer each time: the webhook, POSTed to by WeChat at full rate and never
    carrying the cookie, gets Flask's null session instead."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if not request.path.startswith("/admin"):
            return None  # Flask substitutes its null session, which is never saved
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    config = app.extensions["forumbot"].config
    app.session_interface = AdminSessionInterface()
    # Without BOT_SECRET_KEY, one key kept in the shared store: a session signed by one
    # worker is accepted by every other.
    app.secret_key = config.secret_key or shared_secret(
        app.extensions["forumbot"].store, SECRET_KEY
    )
    app.config.update(
        SESSION_COOKIE_NAME="forumbot_admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.env == "production" or config.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        # The webhook and the JSON API are POSTed to by machines without a session: only
        # this blueprint asks for the CSRF token (see _guard).
        WTF_CSRF_CHECK_DEFAULT=False,
    )
    csrf.init_app(app)
    app.register_blueprint(bp)


# -- login -------------------------------------------------------------------------------


def _login_tag() -> str:
    """What a logged-in session holds: bound to the current admin token, so changing
    BOT_ADMIN_TOKEN logs every browser out."""
    token = get_engine().config.admin_token
    key = str(current_app.secret_key).encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def logged_in() -> bool:
    """A session made by a login with the current token, not since logged out: the cookie
    alone is not enough, as a copy of it outlives a logout otherwise."""
    tag, sid, at = session.get("admin"), session.get("sid"), session.get("at")
    if not (isinstance(tag, str) and isinstance(sid, str) and isinstance(at, (int, float))):
        return False
    fresh = 0 <= time.time() - at < SESSION_HOURS * 3600  # from the login, not the last use
    if fresh and hmac.compare_digest(tag, _login_tag()) and get_store().get(_revoked(sid)) is None:
        return True
    session.clear()  # Flask re-signs the cookie it was sent: it must not carry this one on
    return False


def _revoked(sid: str) -> str:
    return f"admin:revoked:{hashlib.sha256(sid.encode()).hexdigest()[:32]}"


def _safe_next(target: str | None) -> str:
    """Only a page of this admin area: a login link must not send the admin elsewhere."""
    if target and target.startswith("/admin") and "\\" not in target:
        return target
    return url_for(".status")


@bp.before_request
def _guard() -> Any:
    if not get_engine().config.admin_token:
        return _page("admin/error.html", 403, message="管理页未启用：请设置 BOT_ADMIN_TOKEN。")
    if request.endpoint != "admin_page.login" and not logged_in():
        wanted = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for(".login", next=wanted))
    if request.method == "POST":
        csrf.protect()  # raises CSRFError (400) without a valid token
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> ResponseReturnValue:
    log.warning("admin form refused", extra={"fields": {"reason": exc.description}})
    message = f"表单已过期或无效，请返回刷新后重试。 ({exc.description})"
    return _page("admin/error.html", 400, message=message)


@bp.route("/admin/login", methods=["GET", "POST"])
def login() -> Any:
    target = request.values.get("next")
    if request.method == "POST":
        verdict = throttle.check(request.form.get("token", ""), "login")
        if verdict.status == 429:
            message = "登录失败次数过多，请 15 分钟后再试。 Too many failed logins."
            page, status = _page("admin/login.html", 429, error=message, next=target)
            return Response(page, status, headers={"Retry-After": str(verdict.retry_after)})
        if verdict.ok:
            session.clear()  # a fresh session: nothing from before the login survives it
            session.permanent = True
            session["admin"] = _login_tag()
            session["sid"] = secrets.token_urlsafe(16)  # what logging out revokes
            session["at"] = time.time()  # a login lasts SESSION_HOURS from here
            log.info("admin logged in", extra={"fields": {"remote": request.remote_addr}})
            return redirect(_safe_next(target))
        return _page("admin/login.html", 401, error="令牌错误 Wrong token", next=target)
    if logged_in():
        return redirect(_safe_next(target))
    return _page("admin/login.html", next=target)


@bp.post("/admin/logout")
def logout() -> ResponseReturnValue:
    sid = session.get("sid")
    if isinstance(sid, str):  # kept for as long as the cookie could be valid
        get_store().set(_revoked(sid), 1, ttl=SESSION_HOURS * 3600)
    session.clear()
    return redirect(url_for(".login"))


# -- pages -------------------------------------------------------------------------------


@bp.get("/admin")
def status() -> Any:
    return _status_page()


@bp.post("/admin/reload-now")
def reload_now() -> Any:
    """Reload; with ``q`` (sent from the hit test), back to the hit test of that question,
    now answered from the reloaded knowledge."""
    question = request.form.get("q", "").strip()[:MAX_QUESTION]
    try:
        result = get_engine().reload(origin="admin-page")
    except (KnowledgeError, ReloadBusy, SharedStoreDown) as exc:
        path, reason = getattr(exc, "path", None), getattr(exc, "reason", str(exc))
        refusal = {"file": path, "reason": reason, "message": str(exc)}
        if question:
            return _hit_test_page(question, 422, refusal=refusal)
        return _status_page(422, refusal=refusal)
    if question:
        return _hit_test_page(question, reloaded=result.to_json())
    return _status_page(reloaded=result.to_json())


@bp.post("/admin/synonyms")
def add_synonym() -> Any:
    """Add a line to the knowledge folder's synonym file (from the hit test, usually after
    the Unanswered page): 用户的说法 => 报道的说法, or words that mean the same. It is in
    force on every worker after the next reload, which the page offers right away."""
    question = request.form.get("q", "").strip()[:MAX_QUESTION]
    words = request.form.get("words", "").strip()
    means = request.form.get("means", "").strip()
    line = f"{words} => {means}" if means else words
    try:
        number = append_rule(get_engine().config.knowledge_dir, line)
    except KnowledgeError as exc:
        message = str(exc)
        return _hit_test_page(question, 422, synonym_error=message, words=words, means=means)
    except OSError as exc:  # named without the folder's path
        message = f"synonyms.txt: cannot be written ({exc.strerror or 'error'})"
        return _hit_test_page(question, 422, synonym_error=message, words=words, means=means)
    return _hit_test_page(question, added={"line": line, "number": number})


def _status_page(status: int = 200, **extra: Any) -> Any:
    engine = get_engine()
    stats = knowledge_stats()
    return _page(
        "admin/status.html",
        status,
        kb=stats["knowledge"],
        reloads=stats.get("reloads", [])[:5],
        questions=stats.get("questions"),
        unanswered=engine.querylog.unanswered(limit=5) if engine.querylog else None,
        **extra,
    )


@bp.get("/admin/passages")
def passages() -> Any:
    kb = get_engine().knowledge
    if kb is None:
        return _page("admin/error.html", 503, message="知识库未加载 No knowledge loaded.")
    names = [d.name for d in kb.documents]
    name = request.args.get("doc") or names[0]
    if name not in names:
        return _page("admin/error.html", 404, message=f"没有这个文档 No document named {name!r}.")
    document = kb.documents[names.index(name)]
    chosen = [p for p in kb.passages if p.source == name]
    pages = max(1, math.ceil(len(chosen) / PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    start = (page - 1) * PAGE_SIZE
    return _page(
        "admin/passages.html",
        documents=kb.documents,
        document=document,
        passages=chosen[start : start + PAGE_SIZE],
        first=start + 1,
        total=len(chosen),
        page=page,
        pages=pages,
    )


@bp.route("/admin/hit-test", methods=["GET", "POST"])
def hit_test() -> Any:
    """What a user asking ``q`` gets, and the passages behind it; asked on the admin
    channel, which the query log leaves out. The form POSTs (with its CSRF token, as every
    form here): in a URL, a question of 500 Chinese characters is 4,500 bytes, past what
    proxies and gunicorn take in a request line by default. GET stays, for the Unanswered
    page's links."""
    question = request.values.get("q", "").strip()
    if not question:
        return _page("admin/hit_test.html", question="")
    if len(question) > MAX_QUESTION:
        return _page(
            "admin/hit_test.html",
            400,
            question=question[:MAX_QUESTION],
            error=f"问题太长：最多 {MAX_QUESTION} 个字符 (got {len(question)}).",
        )
    return _hit_test_page(question)


def _hit_test_page(question: str, status: int = 200, **extra: Any) -> Any:
    """The reply a user asking ``question`` gets, how it was read, and the passages behind."""
    if not question:
        return _page("admin/hit_test.html", status, question="", **extra)
    engine = get_engine()
    answer = engine.ask(question, channel="admin")
    kb = engine.knowledge
    hits = kb.search(question, k=HITS) if kb is not None else []
    return _page(
        "admin/hit_test.html", status, question=question, answer=answer, hits=hits, **extra
    )


@bp.get("/admin/unanswered")
def unanswered() -> Any:
    engine = get_engine()
    days = min(max(request.args.get("days", 30, type=int) or 30, 1), 3650)
    if engine.querylog is None:
        return _page("admin/unanswered.html", rows=None, days=days, summary=None)
    return _page(
        "admin/unanswered.html",
        rows=engine.querylog.unanswered(limit=200, days=days),
        days=days,
        summary=engine.querylog.summary(days=days),
    )


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(
        template, logged_in=logged_in(), max_question=MAX_QUESTION, **context
    ), status


@bp.app_template_filter("admin_time")
def admin_time(timestamp: float | None) -> str:
    if not timestamp:
        return "–"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
