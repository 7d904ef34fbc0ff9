"""What `handoff serve` prints and `handoff webhook-example` builds: URLs, banner, curl.

Plain text only: nothing here starts a server, a worker or a database connection.
"""

from __future__ import annotations

import json
import shlex
import time
import uuid
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gateway
from handover.settings import Settings
from handover.workspaces import SecretMissing, UnknownWorkspace, Workspaces

if TYPE_CHECKING:
    from server import ServeOptions


def url_host(host: str) -> str:
    """A host as it appears in a URL or a bind address (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def base_url(settings: Settings) -> str:
    """The server's own URL."""
    return f"http://{url_host(settings.host)}:{settings.port}"


def banner(settings: Settings, workspaces: Workspaces, options: ServeOptions) -> str:
    """What `handoff serve` prints on start: how it runs, its URLs, how to try it."""
    base = base_url(settings)
    engine = f"gunicorn gthread, {options.workers} workers × {options.threads} threads"
    if find_spec("gunicorn") is None:
        engine = "Flask's threaded server (gunicorn is not installed)"
    worker = "embedded" if options.embedded_worker else "off (run `handoff worker`)"
    lines = [
        f"Handoff on {base} — {engine}; job worker {worker}",
        "Webhook URLs:",
    ]
    for endpoint in gateway.endpoints(workspaces, base):
        try:
            workspaces.secret(endpoint.secret_name)
            note = ""
        except SecretMissing:
            note = f"  (secret {endpoint.secret_name} is not set: answers 503)"
        lines.append(f"  {endpoint.platform:<9}{endpoint.url}{note}")
    lines += _per_workspace_urls(workspaces, base)
    lines += [
        f"Metrics:   {base}/metrics",
        f"Liveness:  {base}/healthz",
        f"Readiness: {base}/readyz",
        "Try it:    handoff webhook-example --platform zendesk | sh   (same environment)",
    ]
    return "\n".join(lines)


def _per_workspace_urls(workspaces: Workspaces, base: str) -> list[str]:
    """The banner's Slack button and state API URLs of each served workspace."""
    names = workspaces.names()
    width = max((len(name) for name in names), default=0) + 2
    slack = []
    for name in names:
        try:
            workspaces.platform(name, "slack")
        except UnknownWorkspace:
            continue
        slack.append(f"  {name:<{width}}{base}/webhooks/slack/{name}/interactivity")
    lines = ["Slack interactivity URLs (the Take it / Hand back buttons):", *slack] if slack else []
    lines.append("State API (Authorization: Bearer <the secret handover.api_token names>):")
    for name in names:
        url = f"{base}/api/v1/workspaces/{name}/conversations/<platform>/<id>"
        token = workspaces.policy(name).model.handover.api_token
        note = ""
        if token is None:
            note = "  (no handover.api_token: answers 401)"
        else:
            try:
                workspaces.secret(token)
            except SecretMissing:
                note = f"  (secret {token} is not set: answers 401)"
        lines.append(f"  {name:<{width}}{url}{note}")
    return lines


def example_body(path: Path, platform: str, delivery_id: str) -> bytes:
    """An example webhook body with a fresh dedupe id, so each try is a new delivery."""
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    body["event_id" if platform == "slack" else "id"] = delivery_id
    return json.dumps(body, ensure_ascii=False).encode()


def curl_command(url: str, headers: dict[str, str], body: bytes) -> str:
    """A shell command POSTing `body` with `headers` (quoted for POSIX shells).

    It fails (non-zero exit) when the server does not answer or answers an error, and
    prints the answer's body followed by a newline either way.
    """
    parts = ["curl", "-sS", "-X", "POST", url, "-H", "Content-Type: application/json"]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    parts += ["--data-binary", body.decode(), "--fail-with-body", "-w", "\\n"]
    return " ".join(shlex.quote(part) for part in parts)


def webhook_example(
    settings: Settings, workspaces: Workspaces, platform: str, workspace: str | None, body: Path
) -> str:
    """A curl command POSTing a signed example event to this server (valid for 5 minutes).

    Raises `LookupError` (`SecretMissing` included) when no served workspace can sign it.
    """
    found = [
        endpoint
        for endpoint in gateway.endpoints(workspaces, base_url(settings))
        if endpoint.platform == platform and workspace in (None, endpoint.workspace)
    ]
    if not found:
        raise LookupError(f"no served workspace receives {platform} webhooks")
    secret = workspaces.secret(found[0].secret_name).value
    raw = example_body(body, platform, f"example-{uuid.uuid4()}")
    headers = gateway.signature_headers(platform, secret, raw, time.time())
    return curl_command(found[0].url, headers, raw)
