"""`handoff serve` and `handoff webhook-example`: the banner, the example, a real server.

The last test starts `handoff serve` under gunicorn on a free loopback port (SQLite in a
temporary folder), sends a signed example event with the printed curl command's content,
waits for the embedded worker's decision, and checks that the master runs exactly one
consumer process besides its HTTP workers and that SIGTERM stops them all.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from unittest.mock import patch

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

import cli_ops
import demo
import server
from cli import main
from handover.runtime import Runtime
from handover.settings import Settings
from handover.workspaces import Workspaces
from tests.conftest import EXAMPLE_WORKSPACE, ROOT
from tests.web.conftest import WORKSPACE, event_rows
from tests.web.signing import SECRET_NAMES, SECRETS

PLATFORMS = ("zendesk", "intercom", "slack")
needs_gunicorn = pytest.mark.skipif(
    find_spec("gunicorn") is None or not Path("/proc/self").exists(),
    reason="serving tests need gunicorn (the dev extra) and Linux /proc",
)


def curl_parts(command: str) -> tuple[str, dict[str, str], bytes]:
    """The URL, headers and body of a printed `curl ...` command."""
    words = shlex.split(command)
    assert words[-3:] == ["--fail-with-body", "-w", "\\n"]  # fails on errors, ends the line
    url = words[4]
    headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
    body = words[words.index("--data-binary") + 1].encode()
    return url, headers, body


def test_banner_lists_every_webhook_url_and_the_probes(workspaces_dir: Path) -> None:
    settings = Settings(host="127.0.0.1", port=8123)
    workspaces = Workspaces.load(workspaces_dir)
    text_ = server.banner(settings, workspaces, server.ServeOptions(2, 8, True))
    for platform in PLATFORMS:
        assert f"http://127.0.0.1:8123/webhooks/{platform}/acme-shoes" in text_
    assert "http://127.0.0.1:8123/webhooks/zendesk/beta-shop" in text_
    assert "/webhooks/slack/beta-shop" not in text_
    assert "http://127.0.0.1:8123/healthz" in text_ and "http://127.0.0.1:8123/readyz" in text_
    assert "http://127.0.0.1:8123/metrics" in text_
    assert "2 workers × 8 threads" in text_ and "job worker embedded" in text_


def test_banner_lists_each_workspaces_slack_buttons_and_state_api_urls(
    workspaces_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_HANDOFF_API_TOKEN", "api-token-value")
    settings = Settings(host="127.0.0.1", port=8123)
    lines = server.banner(settings, Workspaces.load(workspaces_dir), server.ServeOptions())
    base = "http://127.0.0.1:8123"
    slack_urls = [line.split()[-1] for line in lines.splitlines() if "/interactivity" in line]
    assert slack_urls == [f"{base}/webhooks/slack/acme-shoes/interactivity"]  # beta: no Slack
    for workspace in ("acme-shoes", "beta-shop"):
        state = f"{base}/api/v1/workspaces/{workspace}/conversations/<platform>/<id>"
        assert f"  {workspace}" in lines and state in lines
    assert "api-token-value" not in lines
    assert "Handoff on http://127.0.0.1:8123" in lines.splitlines()[0]  # human-readable


def test_banner_says_which_state_api_answers_401(
    workspaces_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACME_HANDOFF_API_TOKEN", raising=False)
    text_ = server.banner(Settings(), Workspaces.load(workspaces_dir), server.ServeOptions())
    state_lines = [line for line in text_.splitlines() if "/api/v1/workspaces/" in line]
    assert len(state_lines) == 2
    assert all("secret ACME_HANDOFF_API_TOKEN is not set: answers 401" in s for s in state_lines)


def test_banner_warns_about_unset_secrets_by_name(
    workspaces_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_NAMES["slack"])
    text_ = server.banner(Settings(), Workspaces.load(workspaces_dir), server.ServeOptions())
    assert f"secret {SECRET_NAMES['slack']} is not set" in text_
    assert not any(value in text_ for value in SECRETS.values())


@pytest.mark.parametrize("platform", PLATFORMS)
def test_webhook_example_prints_a_curl_command_the_server_accepts(
    client: FlaskClient, runtime: Runtime, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_WORKSPACES", str(EXAMPLE_WORKSPACE))
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["webhook-example", "--platform", platform])
    assert result.exit_code == 0, result.output
    url, headers, body = curl_parts(result.output.strip())
    assert url == f"http://127.0.0.1:8000/webhooks/{platform}/{WORKSPACE}"
    response = client.post(url.removeprefix("http://127.0.0.1:8000"), data=body, headers=headers)
    assert (response.status_code, response.json) == (200, {"status": "accepted"})
    delivery = json.loads(body)["event_id" if platform == "slack" else "id"]
    assert len(event_rows(runtime, delivery)) == 1


def test_webhook_example_runs_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_WORKSPACES", str(EXAMPLE_WORKSPACE))
    monkeypatch.chdir(tmp_path)  # no examples/webhooks here
    result = CliRunner().invoke(main, ["webhook-example", "--platform", "slack"])
    assert result.exit_code == 0, result.output
    _, _, body = curl_parts(result.output.strip())
    assert json.loads(body)["type"] == "event_callback"


def test_webhook_example_names_a_missing_example_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_WORKSPACES", str(EXAMPLE_WORKSPACE))
    monkeypatch.setattr(cli_ops, "EXAMPLE_WEBHOOKS", tmp_path / "gone")
    result = CliRunner().invoke(main, ["webhook-example", "--platform", "intercom"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"the example webhook body {tmp_path / 'gone' / 'intercom.json'} is missing: "
        "give one with --body FILE"
    )
    assert result.stdout == ""


def test_demo_reads_the_examples_from_the_project_and_names_a_missing_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert json.loads(demo.example_text("zendesk"))["detail"]  # found from another directory
    monkeypatch.setenv("HANDOFF_WORKSPACES", str(EXAMPLE_WORKSPACE))
    monkeypatch.setenv("ACME_HANDOFF_API_TOKEN", "demo-token")
    monkeypatch.setattr(demo, "EXAMPLES", tmp_path / "gone")
    result = CliRunner().invoke(main, ["demo", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    missing = tmp_path / "gone" / "zendesk.json"
    assert result.stderr.strip() == f"the example webhook body {missing} is missing"


def test_webhook_example_without_the_secret_fails_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HANDOFF_WORKSPACES", str(EXAMPLE_WORKSPACE))
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv(SECRET_NAMES["intercom"])
    result = CliRunner().invoke(main, ["webhook-example", "--platform", "intercom"])
    assert result.exit_code == 2
    assert SECRET_NAMES["intercom"] in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(check: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def decision_statuses(engine: Engine) -> list[str]:
    query = text("SELECT decisions.status FROM decisions")
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


@pytest.fixture()
def served(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """`handoff serve` (1 HTTP worker × 2 threads + the embedded worker) on a free port."""
    port = free_port()
    env = {
        **os.environ,
        "HANDOFF_DATABASE_URL": f"sqlite:///{tmp_path / 'handoff.db'}",
        "HANDOFF_QUEUE_PATH": str(tmp_path / "queue.db"),
        "HANDOFF_WORKSPACES": str(EXAMPLE_WORKSPACE),
        "HANDOFF_METRICS_DIR": str(tmp_path / "metrics"),
    }
    env.pop("HANDOFF_REDIS_URL", None)
    command = [sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        [*command, "--threads", "2", *getattr(request, "param", [])],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        ready = wait_for(
            lambda: urllib.request.urlopen(f"{base}/readyz", timeout=1).status == 200, 20
        )
        assert ready, "handoff serve did not become ready"
        yield base, process, tmp_path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def metrics_text(base: str) -> str:
    """The server's `/metrics` exposition."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as answer:
        text: str = answer.read().decode()
        return text


def send_example(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run `handoff webhook-example` for the server at `base` and POST what it prints."""
    monkeypatch.setenv("HANDOFF_PORT", base.rsplit(":", 1)[1])
    monkeypatch.setenv("HANDOFF_WORKSPACES", str(EXAMPLE_WORKSPACE))
    monkeypatch.chdir(ROOT)
    printed = CliRunner().invoke(main, ["webhook-example", "--platform", "zendesk"]).output
    url, headers, body = curl_parts(printed.strip())
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read()) == {"status": "accepted"}


@needs_gunicorn
def test_serve_refuses_a_port_something_already_listens_on(tmp_path: Path) -> None:
    """Workers listen with SO_REUSEPORT: without the check a second server would share it."""
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as a running serve does
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "HANDOFF_DATABASE_URL": f"sqlite:///{tmp_path / 'handoff.db'}",
            "HANDOFF_QUEUE_PATH": str(tmp_path / "queue.db"),
            "HANDOFF_WORKSPACES": str(EXAMPLE_WORKSPACE),
        }
        command = [sys.executable, "-m", "cli", "serve", "--port", str(port), "--no-worker"]
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    assert done.returncode != 0
    assert f"cannot listen on http://127.0.0.1:{port}: Address already in use" in done.stderr


def test_each_gunicorn_worker_listens_on_its_own_reuse_port_socket() -> None:
    options = server.gunicorn_options(Settings(), server.ServeOptions())
    assert options["reuse_port"] is True and options["worker_class"] == "gthread"


@needs_gunicorn
def test_gunicorn_logs_through_the_root_logger_with_its_address_and_no_access_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gunicorn.config import Config  # type: ignore[import-untyped]

    from handover import observability

    monkeypatch.setattr(observability, "_configured", True)  # keep the suite's logging as is
    config = Config()
    for key, value in server.gunicorn_options(Settings(port=8123), server.ServeOptions()).items():
        if key in config.settings:
            config.set(key, value)
    error_log = logging.getLogger("gunicorn.error")
    saved = (list(error_log.handlers), error_log.propagate)
    try:
        logger = config.logger_class(config)
        assert (logger.error_log.handlers, logger.error_log.propagate) == ([], True)
        assert logger.access_log_enabled is False
        with patch.object(logging.Logger, "info") as info:
            logger.info(server.LISTENING, "", 99)
        info.assert_called_once_with(server.LISTENING, "http://127.0.0.1:8123", 99)
    finally:
        error_log.handlers[:], error_log.propagate = saved


@needs_gunicorn
def test_serve_runs_one_embedded_consumer_that_decides_events(
    served: tuple[str, subprocess.Popen[bytes], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, process, folder = served
    assert wait_for(lambda: len(children(process.pid)) == 2, 10)  # 1 HTTP worker + 1 consumer
    processes = children(process.pid)
    send_example(base, monkeypatch)

    engine = create_engine(f"sqlite:///{folder / 'handoff.db'}")
    try:
        assert wait_for(lambda: decision_statuses(engine), 15), "no decision was stored"
        assert decision_statuses(engine) == ["escalate"]
    finally:
        engine.dispose()
    # the decision and the (dry-run) actions were counted in the consumer process, the
    # webhook in the HTTP worker: /metrics adds both up
    assert wait_for(lambda: "handoff_actions_total{" in metrics_text(base), 10)
    exposition = metrics_text(base)
    assert 'handoff_events_received_total{outcome="stored",platform="zendesk"} 1.0' in exposition
    assert 'handoff_decisions_total{platform="zendesk",status="escalate"} 1.0' in exposition

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in processes), 5)


@needs_gunicorn
def test_serve_logs_only_json_lines_after_its_banner(
    served: tuple[str, subprocess.Popen[bytes], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, process, _ = served
    send_example(base, monkeypatch)  # the worker runs jobs and (dry-run) platform actions
    assert wait_for(lambda: "handoff_actions_total{" in metrics_text(base), 15)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert process.stdout is not None
    output = process.stdout.read().decode().splitlines()

    port = int(base.rsplit(":", 1)[1])
    settings = Settings(host="127.0.0.1", port=port)
    banner = server.banner(settings, Workspaces.load(EXAMPLE_WORKSPACE), server.ServeOptions(1, 2))
    assert output[: len(banner.splitlines())] == banner.splitlines()
    logged = output[len(banner.splitlines()) :]
    lines = [json.loads(line) for line in logged]  # every line after the banner is JSON
    assert all({"event", "level", "timestamp"} <= set(line) for line in lines)
    events = [str(line["event"]) for line in lines]
    assert f"Listening at: {base} ({process.pid})" in events
    assert any(line.get("logger") == "alembic.runtime.migration" for line in lines)
    assert "webhook.received" in events
    noisy = ("Executing ", " executed in ", "HTTP Request:", "Enqueueing periodic task")
    assert not [event for event in events if any(word in event for word in noisy)]


@needs_gunicorn
@pytest.mark.parametrize("served", [["--no-worker"]], indirect=True)
def test_serve_without_the_worker_only_stores(
    served: tuple[str, subprocess.Popen[bytes], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, process, folder = served
    assert children(process.pid) and len(children(process.pid)) == 1  # the HTTP worker only
    send_example(base, monkeypatch)
    time.sleep(1.0)  # the embedded worker would have decided by now
    engine = create_engine(f"sqlite:///{folder / 'handoff.db'}")
    try:
        assert decision_statuses(engine) == []
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT status FROM events")).scalars().all()
        assert stored == ["stored"]
    finally:
        engine.dispose()


@pytest.fixture
def api_token(monkeypatch: pytest.MonkeyPatch) -> str:
    """The state API token, in the environment before the server starts."""
    monkeypatch.setenv("ACME_HANDOFF_API_TOKEN", "demo-test-token")
    return "demo-test-token"


@needs_gunicorn
def test_demo_shows_each_platforms_decision_and_recorded_actions(
    api_token: str,
    served: tuple[str, subprocess.Popen[bytes], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, _, _ = served
    monkeypatch.setenv("HANDOFF_WORKSPACES", str(EXAMPLE_WORKSPACE))
    result = CliRunner().invoke(main, ["demo", "--url", base, "--timeout", "20"])
    assert result.exit_code == 0, result.output
    out = result.output
    for platform in ("zendesk", "intercom", "slack"):
        assert f"== {platform}: conversation " in out
    assert out.count("decision: escalate (user_request) -> target support") == 3
    assert out.count("state: escalated, should_reply: false") == 3
    assert "- tag: recorded (dry run: not sent)" in out
    assert "PUT https://acme-shoes.zendesk.com/api/v2/tickets/" in out
    assert "POST https://api.intercom.io/conversations/" in out
    assert "POST https://slack.com/api/chat.postMessage" in out
    assert "- assign: skipped: on Slack the note in the target channel is the assignment" in out
    assert "| Escalated to a human" in out
    assert api_token not in out and "local-demo" not in out


def test_demo_without_a_server_says_how_to_start_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_WORKSPACES", str(EXAMPLE_WORKSPACE))
    monkeypatch.setenv("ACME_HANDOFF_API_TOKEN", "t")
    port = free_port()
    result = CliRunner().invoke(main, ["demo", "--url", f"http://127.0.0.1:{port}"])
    assert result.exit_code == 2
    assert "no Handoff server answers" in result.output and "make run" in result.output
