"""Webhook ack path: Handoff's Zendesk endpoint vs a bare Flask POST endpoint.

Both run under gunicorn gthread with the same options (2 workers x 8 threads by default)
on loopback, one after the other in the same run; wrk drives each with `-t1 -c32` for
RUNS runs of SECONDS seconds (after a short warm-up) and the medians are compared.
Every request is a new ~2 KB Zendesk `ticket.comment_added` delivery, signed when sent
(bench/zendesk_signed.lua), so nothing is deduplicated away and every signature is fresh.

Handoff is measured twice on a fresh SQLite store each time (WAL, synchronous=NORMAL;
huey's SQLite queue): with the worker stopped (`--no-worker`: pure intake) and with the
embedded worker running. Goals (architecture.md): pure intake >= 0.45 x the bare
throughput, p99 < 25 ms.

    .venv/bin/python bench/webhook_ack.py [--runs 3] [--seconds 10]

Needs Debian's `wrk` (`apt-get install -y wrk`). Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "zendesk_signed.lua"
SECRET_NAME = "ACME_ZENDESK_WEBHOOK_SECRET"
SECRET = "bench-only-zendesk-secret"
WORKSPACE = "acme-shoes"
WARMUP_SECONDS = 3
GOAL_RATIO, GOAL_P99_MS = 0.45, 25.0


def template(folder: Path) -> Path:
    """Write the ~2 KB body template (placeholders: __ID__, __TICKET__, __COMMENT__)."""
    words = "My order arrived with the wrong size and the box was damaged. " * 21
    body = {
        "account_id": 22129848,
        "detail": {
            "actor_id": "20918463205789",
            "created_at": "2025-03-11T08:02:17Z",
            "id": "__TICKET__",
            "is_public": True,
            "requester_id": "20918463205789",
            "status": "OPEN",
            "subject": "Wrong size delivered",
            "tags": ["web"],
            "updated_at": "2025-03-11T09:14:52Z",
            "via": {"channel": "web"},
        },
        "event": {
            "comment": {
                "id": "__COMMENT__",
                "body": words + "Can I exchange them?",
                "is_public": True,
                "author": {"id": 20918463205789, "is_staff": False, "name": "Jane Customer"},
            }
        },
        "id": "__ID__",
        "subject": "zen:ticket:__TICKET__",
        "time": "2025-03-11T09:14:52.418093212Z",
        "type": "zen:event-type:ticket.comment_added",
        "zendesk_event_version": "2022-11-06",
    }
    path = folder / "zendesk_body.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a server in its own session, its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Wait until `url` answers 200 (the server is up), or fail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}; see its log")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server (gunicorn stops its workers), SIGKILL its group if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=45)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wrk(url: str, seconds: int, body: Path, connections: int) -> dict[str, Any]:
    """One wrk run; the Lua script's `done()` prints the summary as JSON."""
    env = {**os.environ, "BENCH_TEMPLATE": str(body), "BENCH_SECRET": SECRET}
    env["BENCH_RUN"] = f"bench-{uuid.uuid4().hex[:12]}"
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    output = subprocess.run(
        [*command, "-s", str(LUA), url], env=env, capture_output=True, text=True, check=True
    ).stdout
    summary: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    summary["rps"] = summary["requests"] / (summary["duration_us"] / 1e6)
    if any(summary["errors"].values()):
        print(f"    errors: {summary['errors']}", file=sys.stderr)
    return summary


def summarize(runs: list[dict[str, Any]], warm: dict[str, Any]) -> dict[str, Any]:
    """Medians of the timed runs; everything sent (warm-up included) and every error."""
    return {
        "runs": runs,
        "sent": warm["requests"] + sum(r["requests"] for r in runs),
        "rps": statistics.median(r["rps"] for r in runs),
        "p99_ms": statistics.median(r["p99_us"] for r in runs) / 1e3,
        "errors": sum(sum(r["errors"].values()) for r in [warm, *runs]),
    }


def show(label: str, i: int, run: dict[str, Any]) -> None:
    """Print one run."""
    print(
        f"  {label:<22} run {i}: {run['rps']:8.0f} req/s  p50 {run['p50_us'] / 1e3:6.2f} ms"
        f"  p99 {run['p99_us'] / 1e3:6.2f} ms  non-2xx/errors {sum(run['errors'].values())}"
    )


def handoff_env(store: Path) -> dict[str, str]:
    """`handoff serve`'s environment: a fresh SQLite store and queue, the example workspace."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")},
        "HANDOFF_DATABASE_URL": f"sqlite:///{store / 'handoff.db'}",
        "HANDOFF_QUEUE_PATH": str(store / "queue.db"),
        "HANDOFF_WORKSPACES": str(ROOT / "examples" / "workspace.yaml"),
        SECRET_NAME: SECRET,
        # the example's other secrets, so that /readyz (which checks them) answers 200
        "ACME_INTERCOM_CLIENT_SECRET": "bench-only-intercom-secret",
        "ACME_SLACK_SIGNING_SECRET": "bench-only-slack-secret",
    }


def phase(
    args: argparse.Namespace, body: Path, folder: Path, *, worker: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Serve bare Flask and Handoff side by side; alternate their runs (bare first)."""
    label = "Handoff + worker" if worker else "Handoff intake only"
    store = folder / ("with-worker" if worker else "intake")
    store.mkdir()
    bare_port, handoff_port = free_port(), free_port()
    sizes = [str(args.workers), str(args.threads)]
    bare_command = [sys.executable, "bench/bare_app.py", str(bare_port), *sizes]
    serve = [sys.executable, "-m", "cli", "serve", "--port", str(handoff_port)]
    serve += ["--workers", sizes[0], "--threads", sizes[1], "--worker" if worker else "--no-worker"]
    servers = [
        start(bare_command, dict(os.environ), store / "bare.log"),
        start(serve, handoff_env(store), store / "serve.log"),
    ]
    try:
        wait_ready(f"http://127.0.0.1:{bare_port}/healthz", servers[0])
        wait_ready(f"http://127.0.0.1:{handoff_port}/readyz", servers[1])
        urls = [
            f"http://127.0.0.1:{bare_port}/webhook",
            f"http://127.0.0.1:{handoff_port}/webhooks/zendesk/{WORKSPACE}",
        ]
        warm = [wrk(url, WARMUP_SECONDS, body, args.connections) for url in urls]
        runs: list[list[dict[str, Any]]] = [[], []]
        for i in range(1, args.runs + 1):
            for which, url in enumerate(urls):
                runs[which].append(wrk(url, args.seconds, body, args.connections))
                show(("bare Flask", label)[which], i, runs[which][-1])
    finally:
        for server in servers:
            stop(server)
    result = summarize(runs[1], warm[1])
    result.update(counts(store / "handoff.db"))
    return summarize(runs[0], warm[0]), result


def counts(database: Path) -> dict[str, int]:
    """Stored events by status, after the server stopped."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT status, count(*) FROM events GROUP BY status").fetchall()
    by_status = {str(status): int(n) for status, n in rows}
    return {"stored_total": sum(by_status.values()), "processed": by_status.get("processed", 0)}


def environment() -> str:
    """The software and machine the figures come from."""
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
    import gunicorn

    return (
        f"{platform.python_implementation()} {platform.python_version()}, gunicorn "
        f"{gunicorn.__version__}, SQLite {sqlite3.sqlite_version}, "
        f"{' '.join(wrk_version[:2])}, {os.cpu_count()} CPUs, {platform.machine()}"
    )


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> bool:
    """Print medians, ratios and the goals; return whether pure intake met them."""
    print(
        f"\nmedians of {args.runs} x {args.seconds} s, wrk -t1 -c{args.connections}, "
        f"gunicorn gthread {args.workers} workers x {args.threads} threads"
    )
    print(f"{'server':<22} {'req/s':>8} {'p99 ms':>8} {'vs bare':>8} {'stored':>8} {'sent':>8}")
    for (bare_label, bare), (label, row) in zip(*[iter(results.items())] * 2, strict=True):
        for name, line in ((bare_label, bare), (label, row)):
            stored = line.get("stored_total", "-")
            print(
                f"{name:<22} {line['rps']:8.0f} {line['p99_ms']:8.2f} "
                f"{line['rps'] / bare['rps']:8.2f} {stored!s:>8} {line['sent']:>8}"
            )
    intake, bare = results["Handoff intake only"], results["bare (with intake)"]
    ratio = intake["rps"] / bare["rps"]
    met = ratio >= GOAL_RATIO and intake["p99_ms"] < GOAL_P99_MS and intake["errors"] == 0
    verdict = "MET" if met else "NOT MET"
    print(
        f"\npure intake: {ratio:.2f} x bare throughput (goal >= {GOAL_RATIO}), "
        f"p99 {intake['p99_ms']:.2f} ms (goal < {GOAL_P99_MS:.0f} ms): {verdict}"
    )
    for label in ("Handoff intake only", "Handoff + worker"):
        row = results[label]
        in_flight = args.connections * (args.runs + 1)  # sent, not counted when a run ends
        if not row["sent"] <= row["stored_total"] <= row["sent"] + in_flight or row["errors"]:
            print(f"WARNING {label}: {row['sent']} answered, {row['stored_total']} stored")
    worker = results["Handoff + worker"]
    print(f"worker: {worker['processed']} of {worker['stored_total']} events processed by shutdown")
    return met


def main() -> int:
    """Run the benchmark; exit 1 when pure intake misses a goal, 2 without wrk."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk (Debian/Ubuntu)", file=sys.stderr)
        return 2
    print(environment())
    with tempfile.TemporaryDirectory(prefix="handoff-bench-") as tmp:
        folder = Path(tmp)
        body = template(folder)
        print(f"body: {len(body.read_bytes())} bytes before ids are filled in")
        bare_a, intake = phase(args, body, folder, worker=False)
        bare_b, with_worker = phase(args, body, folder, worker=True)
        results = {
            "bare (with intake)": bare_a,
            "Handoff intake only": intake,
            "bare (with worker)": bare_b,
            "Handoff + worker": with_worker,
        }
        return 0 if report(results, args) else 1


if __name__ == "__main__":
    sys.exit(main())
