"""The admin API: reload the knowledge and read its statistics, behind the admin token.

Every route here needs ``Authorization: Bearer $BOT_ADMIN_TOKEN``. Without a configured
token the API is off (403), so a forgotten setting never leaves it open. Errors are JSON
with ``error`` and, for a knowledge file at fault, ``file`` and ``reason``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from bot.chat.engine import ReloadBusy, SharedStoreDown
from bot.web import throttle
from bot.web.services import get_engine
from knowledge.errors import KnowledgeError

bp = Blueprint("admin_api", __name__, url_prefix="/admin")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.before_request
def _require_token() -> Response | None:
    if not get_engine().config.admin_token:
        return _error(403, "the admin API is off: set BOT_ADMIN_TOKEN to use it")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    verdict = throttle.check(given.strip() if scheme.lower() == "bearer" else None, "bearer")
    if verdict.status == 429:
        response = _error(429, "too many wrong admin tokens from this address; try later")
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    if not verdict.ok:
        response = _error(401, "missing or wrong admin token")
        response.headers["WWW-Authenticate"] = 'Bearer realm="forumbot admin"'
        return response
    return None


def _error(status: int, message: str, **fields: Any) -> Response:
    response = jsonify(error=message, **fields)
    response.status_code = status
    return response


@bp.post("/reload")
def reload() -> Response:
    """200 with the new version serving; 202 when the build outlasts BOT_RELOAD_WAIT (it
    serves when done: watch /healthz); 422 naming a file the build cannot use; 409 while
    another reload is building; 503 while Redis, shared by the machines, does not answer."""
    try:
        result = get_engine().reload(origin="api")
    except KnowledgeError as exc:
        return _error(422, f"reload refused: {exc}", file=exc.path, reason=exc.reason)
    except ReloadBusy as exc:
        return _error(409, str(exc))
    except SharedStoreDown as exc:
        return _error(503, str(exc))
    response = jsonify(result.to_json())
    response.status_code = 200 if result.serving else 202
    return response


@bp.get("/stats")
def stats() -> Response:
    return jsonify(knowledge_stats())


def knowledge_stats() -> dict[str, Any]:
    engine = get_engine()
    kb = engine.knowledge
    out: dict[str, Any] = {"knowledge": None}
    if kb is not None:
        out["knowledge"] = {
            "version": kb.version,
            "built_at": kb.built_at,
            "passages": len(kb.passages),
            "documents": [
                {
                    "name": d.name,
                    "title": d.title,
                    "passages": kb.passage_count(d),
                    "sha256": d.sha256,
                }
                for d in kb.documents
            ],
            "warnings": kb.warnings,
        }
    if engine.querylog is not None:
        out["reloads"] = engine.querylog.reloads()
        out["questions"] = engine.querylog.summary()
    return out
