"""`handoff demo`: signed sample events of each platform through a running server, end to end.

For each platform the workspace receives, a fresh conversation (new ids, current times)
is built from `examples/webhooks/<platform>.json`, signed with the workspace's secret and
POSTed to the server (`make run`'s, by default). The demo then reads the state API until
the escalation's actions have run, and prints the decision and each action: what was
sent, or, in dry run, the exact requests that would have been sent.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gateway
from handover.workspaces import Workspaces

FINAL = frozenset({"done", "skipped", "cancelled", "dead"})
EXAMPLES = Path(__file__).resolve().parent / "examples" / "webhooks"
"""The example bodies, wherever `handoff demo` runs from (an editable install)."""


def example_text(platform: str) -> str:
    """The example body of a platform; `LookupError` naming the file when it is missing."""
    path = EXAMPLES / f"{platform}.json"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LookupError(f"the example webhook body {path} is missing") from None


def fresh_conversation(platform: str, body: dict[str, Any], now: float) -> tuple[str, bytes]:
    """Give an example body new conversation / message / delivery ids and the time `now`.

    Return the platform conversation id and the body's bytes.
    """
    number = random.randint(100_000, 999_999)
    if platform == "zendesk":
        body["detail"].update(id=str(number), updated_at=_iso(now))
        body.update(subject=f"zen:ticket:{number}", id=f"demo-{number}", time=_iso(now))
        body["event"]["comment"]["id"] = number * 10
        conversation = str(number)
    elif platform == "intercom":
        item = body["data"]["item"]
        item.update(id=f"9{number}", created_at=int(now), updated_at=int(now))
        item["source"]["id"] = f"8{number}"
        body.update(id=f"notif_demo_{number}", created_at=int(now))
        conversation = item["id"]
    else:
        stamp = f"{now:.6f}"
        body["event"].update(ts=stamp, event_ts=stamp)
        body.update(event_id=f"EvDemo{number}", event_time=int(now))
        conversation = f"{body['event']['channel']}:{stamp}"
    return conversation, json.dumps(body, ensure_ascii=False).encode()


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST `body`; return the status and the answer's text (errors included)."""
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def get_json(url: str, token: str) -> dict[str, Any] | None:
    """GET a state API URL with the bearer token; None on 404."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            data: dict[str, Any] = json.loads(answer.read())
            return data
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def wait_for_actions(
    read: Callable[[], dict[str, Any] | None], timeout: float
) -> dict[str, Any] | None:
    """Poll the state until a decision exists and every action has finished."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = read()
        if state is not None and _settled(state):
            return state
        time.sleep(0.2)
    return state


def _settled(state: dict[str, Any]) -> bool:
    """A decision is stored, and an escalation's actions all finished."""
    decision = state["decision"]
    if decision is None or not all(a["status"] in FINAL for a in state["actions"]):
        return False
    return bool(state["actions"]) or decision["status"] != "escalate"


def describe(platform: str, conversation: str, state: dict[str, Any] | None) -> Iterator[str]:
    """The lines that show one platform's outcome."""
    yield f"\n== {platform}: conversation {conversation}"
    if state is None or state["decision"] is None:
        yield "   no decision yet (is the worker running? see `handoff events`)"
        return
    decision = state["decision"]
    yield (
        f"   decision: {decision['status']} ({decision['signal']}) -> target "
        f"{decision['target']}: {decision['reason']}"
    )
    yield f"   state: {state['state']}, should_reply: {str(state['should_reply']).lower()}"
    for action in state["actions"]:
        yield from _action_lines(action)


def _action_lines(action: dict[str, Any]) -> Iterator[str]:
    """One action: its status (and why it was skipped), the note, the requests, any error."""
    status = action["status"]
    if status == "done" and action["dry_run"]:
        status = "recorded (dry run: not sent)"
    elif status == "skipped":
        status = f"skipped: {action['skipped_because']}"
    yield f"   - {action['kind']}: {status}"
    if action["kind"] == "note" and action["text"]:
        yield from (f"       | {line}" for line in action["text"].splitlines())
    for request in action["requests"]:
        yield f"       {request['method']} {request['url']} {_short(request['body'])}".rstrip()
    if action["last_error"]:
        yield f"       error: {action['last_error']}"


def _short(body: Any, limit: int = 160) -> str:
    """A request body as one line of JSON, cut with an ellipsis past `limit` characters."""
    text = json.dumps(body, ensure_ascii=False) if body else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run(
    base_url: str, workspaces: Workspaces, workspace: str | None, timeout: float
) -> Iterator[str]:
    """Post one escalating conversation per platform and describe what Handoff did."""
    endpoints = [
        e for e in gateway.endpoints(workspaces, base_url) if workspace in (None, e.workspace)
    ]
    if not endpoints:
        raise LookupError("no served workspace receives webhooks")
    name = endpoints[0].workspace
    token_name = workspaces.policy(name).model.handover.api_token
    if token_name is None:
        raise LookupError(f"{name}: set handover.api_token to read the state API")
    token = workspaces.secret(token_name).value
    for endpoint in (e for e in endpoints if e.workspace == name):
        template = json.loads(example_text(endpoint.platform))
        conversation, raw = fresh_conversation(endpoint.platform, template, time.time())
        secret = workspaces.secret(endpoint.secret_name).value
        headers = gateway.signature_headers(endpoint.platform, secret, raw, time.time())
        status, answer = post(endpoint.url, raw, headers)
        yield f"\nPOST {endpoint.url} -> {status} {answer.strip()}"
        state_url = (
            f"{base_url.rstrip('/')}/api/v1/workspaces/{name}/conversations/"
            f"{endpoint.platform}/{conversation}"
        )
        yield f"   waiting for the decision and the actions (up to {timeout:.0f} s)..."
        state = wait_for_actions(lambda url=state_url: get_json(url, token), timeout)  # type: ignore[misc]
        yield from describe(endpoint.platform, conversation, state)
