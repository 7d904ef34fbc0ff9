"""The Flask app: `create_app(config=None)` — webhook intake, health probes, error pages.

HTTP plumbing only. Which check answers what is decided in `gateway.py` (pure); storing
is `handover.intake.receive`. The request path verifies the signature over the raw bytes,
stores the event once and answers; it never touches the job queue or calls a platform
(the worker finds stored events itself: `handover.maintenance.feed`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy import text
from werkzeug.exceptions import HTTPException, InternalServerError

import api
import gateway
from escalation.policy_platforms import PlatformSettings
from handover.intake import Delivery, Received, receive
from handover.observability import exposition, get_logger
from handover.runtime import RUNTIME_KEY, Runtime
from handover.settings import Settings
from handover.workspaces import SecretMissing, UnknownWorkspace

RUNTIME = RUNTIME_KEY
"""Config key of the `Runtime` the app serves (tests pass their own)."""
SETTINGS = "HANDOFF_SETTINGS"
"""Config key of `Settings` to build the runtime from (default: the environment)."""
WEBHOOK = "/webhooks/<platform>/<workspace>"

log = get_logger("web")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the web app around a `Runtime` (given, or created from settings / environment)."""
    app = Flask("handoff")
    app.config.update(config or {})
    runtime = app.config.get(RUNTIME) or Runtime.create(app.config.get(SETTINGS) or Settings())
    app.config[RUNTIME] = runtime
    # One byte of slack: `gateway.read_body` reads a body of unknown length one byte past
    # the limit to tell "exactly the limit" (accepted) from "over it" (413).
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_body_bytes + 1
    app.add_url_rule(WEBHOOK, "webhook", webhook, methods=["POST"])
    app.add_url_rule(WEBHOOK, "probe", probe, methods=["GET"])  # HEAD is answered too
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/readyz", "readyz", readyz)
    app.add_url_rule("/metrics", "metrics", metrics)
    app.register_blueprint(api.blueprint)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(InternalServerError, internal_error)
    return app


def webhook(platform: str, workspace: str) -> Response:
    """Verify, store once and acknowledge one platform delivery."""
    runtime = _runtime()
    served = _served(runtime, platform, workspace)
    if isinstance(served, gateway.Answer):
        return _answer(served, platform, workspace)
    inbound, platform_settings = served
    limit = runtime.settings.max_body_bytes
    declared = gateway.too_large(request.content_length, limit)
    if declared is not None:
        return _answer(declared, platform, workspace)
    try:
        secret = runtime.workspaces.secret(platform_settings.webhook_secret).value
    except SecretMissing:
        unset = gateway.secret_unset(platform_settings.webhook_secret)
        return _answer(unset, platform, workspace, level="error")
    raw = gateway.read_body(request.stream, request.content_length, limit)  # before parsing
    if isinstance(raw, gateway.Answer):  # over the limit, also when chunked (no length)
        return _answer(raw, platform, workspace)
    headers = dict(request.headers.items())
    outcome = gateway.screen(inbound, secret, headers, raw)
    if isinstance(outcome, gateway.Answer):
        return _answer(outcome, platform, workspace)
    delivery = Delivery(
        workspace=workspace,
        platform=inbound.platform,
        delivery_id=outcome.delivery_id,
        event_type=outcome.event_type,
        headers=headers,  # intake keeps ids and retry hints only
        body=raw,
        received_at=datetime.now(UTC),
    )
    return _acknowledge(delivery, receive(runtime, delivery))


def probe(platform: str, workspace: str) -> Response:
    """Answer the GET / HEAD a platform sends to check a webhook URL; nothing is stored."""
    served = _served(_runtime(), platform, workspace)
    if isinstance(served, gateway.Answer):
        return _answer(served, platform, workspace)
    return jsonify(status="ok")


def healthz() -> Response:
    """Liveness: the process answers."""
    return jsonify(status="ok")


def metrics() -> Response:
    """Prometheus counters: events, duplicates, decisions, transitions, actions, dead letters."""
    body, content_type = exposition()
    return Response(body, content_type=content_type)


def readyz() -> tuple[Response, int]:
    """Readiness: database and queue answer, every needed secret is set; 503 naming what not."""
    checks = {
        "database": _check(_ping_database),
        "queue": _check(_ping_queue),
        "secrets": _secrets_check(_runtime()),
    }
    ready = all(result == "ok" for result in checks.values())
    if not ready:
        log.warning("web.not_ready", **checks)
    return jsonify(status="ready" if ready else "unavailable", **checks), 200 if ready else 503


def http_error(error: HTTPException) -> tuple[Response, int]:
    """JSON bodies for HTTP errors; every 404 has the same body."""
    status = error.code or 500
    if status == 404:
        return jsonify(gateway.NOT_FOUND), 404
    if status == 413:
        limit = _runtime().settings.max_body_bytes
        return _answer(gateway.body_too_large(limit), *_route_args()), 413
    return jsonify(error=(error.name or "error").lower()), status


def internal_error(error: InternalServerError) -> tuple[Response, int]:
    """Log an unexpected failure (the platform retries a 500) and answer JSON."""
    cause = error.original_exception or error
    log.error("web.internal_error", path=request.path, error=type(cause).__name__, exc_info=cause)
    return jsonify(error="internal error"), 500


def _runtime() -> Runtime:
    """The runtime of the app serving this request."""
    runtime: Runtime = current_app.config[RUNTIME]
    return runtime


def _served(
    runtime: Runtime, platform: str, workspace: str
) -> tuple[gateway.Inbound, PlatformSettings] | gateway.Answer:
    """The platform's intake rules and the workspace's settings; 404 when not served."""
    inbound = gateway.inbound_for(platform)
    if inbound is None:
        return gateway.not_found()
    try:
        return inbound, runtime.workspaces.platform(workspace, platform)
    except UnknownWorkspace:
        return gateway.not_found()


def _answer(answer: gateway.Answer, platform: str, workspace: str, level: str = "info") -> Response:
    """Log an answer given without storing and turn it into a response."""
    fields = {"platform": platform[:32], "workspace": workspace[:100], **answer.fields}
    getattr(log, level)(answer.log, status=answer.status, **fields)
    response = jsonify(answer.body)
    response.status_code = answer.status
    response.headers.update(gateway.extra_headers(platform, answer.status))
    return response


_ACKNOWLEDGED = {False: b'{"status":"accepted"}\n', True: b'{"status":"duplicate"}\n'}
"""The 200 bodies (what `jsonify` makes of them), built once: the ack path is hot."""


def _acknowledge(delivery: Delivery, received: Received) -> Response:
    """Log a stored (or duplicate) delivery and answer 200."""
    log.info(
        "webhook.received",
        platform=delivery.platform.value,
        workspace=delivery.workspace,
        event_type=delivery.event_type,
        delivery_id=delivery.delivery_id,
        event_id=received.event_id,
        duplicate=received.duplicate,
        retry=request.headers.get("X-Slack-Retry-Num"),
    )
    body = _ACKNOWLEDGED[received.duplicate]
    return current_app.response_class(body, mimetype="application/json")


def _check(ping: Callable[[Runtime], None]) -> str:
    """Run one readiness ping: "ok", or what failed (the exception's class, no details)."""
    try:
        ping(_runtime())
    except Exception as exc:  # any failure means "not ready"; the log has the message
        log.warning("web.ping_failed", check=ping.__name__, error=str(exc)[:300])
        return f"unreachable ({type(exc).__name__})"
    return "ok"


def _secrets_check(runtime: Runtime) -> str:
    """Say `ok`, or list the NAMES (never values) of needed secrets that are not set."""
    missing = runtime.workspaces.missing_secrets()
    return "ok" if not missing else "missing: " + ", ".join(missing)


def _ping_database(runtime: Runtime) -> None:
    """Run `SELECT 1` on a fresh connection from the pool."""
    with runtime.db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _ping_queue(runtime: Runtime) -> None:
    """Ask the job queue for its length (SQLite file or Redis)."""
    runtime.huey.pending_count()


def _route_args() -> tuple[str, str]:
    """The platform and workspace of the matched webhook route ("" outside one)."""
    args = request.view_args or {}
    return str(args.get("platform", "")), str(args.get("workspace", ""))
