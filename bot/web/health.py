"""Liveness and readiness for load balancers and monitors."""

from __future__ import annotations

import os
import time

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from bot.web.services import get_engine, get_store

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    engine = get_engine()
    kb = engine.knowledge
    if kb is None:
        return jsonify(status="unavailable", reason="no knowledge base loaded"), 503
    wanted = engine.wanted_version
    # "behind": this worker could not get the version the last reload stamped, and retries;
    # "updating": it is getting it; either way it answers from the version it serves
    status = "ok" if wanted in (None, kb.version) else ("behind" if engine.behind else "updating")
    # "unknown": Redis, the machines' record of the version, does not answer, so this worker
    # cannot tell whether it missed a reload; it checks again on each request once it is back
    unknown = engine.version_unknown
    if status == "ok" and unknown:
        status = "unknown"
    # the machine's state cannot be written: every message would be answered with an apology
    check = getattr(get_store(), "check", None)
    broken = check() if check is not None else None
    if broken:
        return jsonify(status="unavailable", reason=broken, knowledge_version=kb.version), 503
    return jsonify(
        status=status,
        knowledge_version=kb.version,
        wanted_version=wanted,
        building=engine.building,  # the version this worker's reload is building, if any
        behind=engine.behind,
        unknown=unknown,  # why it cannot tell whether it serves the current version
        updating=engine.updating,  # how it is getting the wanted version (shared store, folder)
        documents=len(kb.documents),
        passages=len(kb.passages),
        uptime_s=round(time.time() - engine.started_at, 1),
        pid=os.getpid(),  # which worker answered: reloads must reach every one
        store=get_store().backend,  # redis, redis-down(local) or embedded
    )
