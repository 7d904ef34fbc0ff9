"""`handoff serve` and `handoff webhook-example`: the banner, the example, a real server.

The last test starts `handoff serve` under gunicorn on a free loopback port (SQLite in a
temporary folder), sends a signed example event with the printed curl command's content,
waits for the embedded worker's decision, and checks that the master runs exactly one
consumer process besides its HTTP workers and that SIGTERM stops them all.
"""

from __future__ import annotations

import json
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

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

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
    """The URL, headers and body of a printed `curl ... ; echo` command."""
    words = shlex.split(command.removesuffix("; echo"))
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
    assert "2 workers × 8 threads" in text_ and "job worker embedded" in text_


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
