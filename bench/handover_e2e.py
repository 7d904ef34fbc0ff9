"""End to end: signed webhook in -> decision -> every platform action finished, at fixed rates.

`handoff serve` (gunicorn gthread, 2 workers x 8 threads, the embedded worker) runs the
example workspace on a fresh SQLite store in dry run: the actions go through the real
SDK clients whose transports record instead of sending (the same code path as live,
minus the network). For each rate, SECONDS seconds of escalating Zendesk comments are
sent at that rate, each on a new ticket ("Can I talk to a person please?": one decision
and four actions: tag, note, assign, reply). Latency per ticket = the last action's
`done_at` minus the event's `received_at`, read from the store once all are finished.

    .venv/bin/python bench/handover_e2e.py [--rates 20,50,100,200] [--seconds 10]

Goal (architecture.md): p99 < 1 s at 200 events/s. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.webhook_ack import ROOT, SECRET, free_port, handoff_env, start, stop, wait_ready
from gateway import signature_headers

FINAL = ("done", "skipped", "dead", "cancelled")
DRAIN_SECONDS = 120


def body(ticket: int) -> bytes:
    """An escalating customer comment on a new ticket."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return json.dumps(
        {
            "account_id": 22129848,
            "detail": {"id": str(ticket), "status": "OPEN", "requester_id": "20918463205789"},
            "event": {
                "comment": {
                    "id": ticket * 10,
                    "body": "I cannot log in to my account. Can I please talk to a person?",
                    "is_public": True,
                    "author": {"id": 20918463205789, "is_staff": False, "name": "Jane"},
                }
            },
            "id": f"bench-{ticket}",
            "subject": f"zen:ticket:{ticket}",
            "time": stamp,
            "type": "zen:event-type:ticket.comment_added",
            "zendesk_event_version": "2022-11-06",
        }
    ).encode()


def post(url: str, ticket: int) -> int:
    raw = body(ticket)
    headers = {"Content-Type": "application/json"}
    headers.update(signature_headers("zendesk", SECRET, raw, time.time()))
    request = urllib.request.Request(url, raw, headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


def send_at_rate(url: str, rate: int, seconds: int, first_ticket: int) -> int:
    """Send `rate` events per second for `seconds`; return how many were answered 200."""
    total, ok = rate * seconds, 0
    lock = threading.Lock()
    start_at = time.monotonic()

    def one(index: int) -> None:
        nonlocal ok
        delay = start_at + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if post(url, first_ticket + index) == 200:
            with lock:
                ok += 1

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(one, range(total)))
    return ok


def latencies(database: Path, first: int, last: int) -> list[float] | None:
    """Per ticket: last action done - event received (None until every action finished)."""
    with sqlite3.connect(database) as db:
        rows = db.execute(
            """
            SELECT c.external_id, MIN(e.received_at), MAX(a.done_at), SUM(a.status NOT IN
                   ('done', 'skipped', 'dead', 'cancelled')), COUNT(a.id)
            FROM conversations c JOIN events e ON e.conversation_id = c.id
            LEFT JOIN actions a ON a.conversation_id = c.id
            WHERE CAST(c.external_id AS INTEGER) BETWEEN ? AND ?
            GROUP BY c.external_id
            """,
            (first, last),
        ).fetchall()
    if len(rows) < last - first + 1 or any(r[3] or r[4] < 4 for r in rows):
        return None
    return sorted(_seconds(r[2]) - _seconds(r[1]) for r in rows)


def _seconds(stored: str) -> float:
    """A stored UTC time (SQLite text) as seconds."""
    return datetime.fromisoformat(stored).timestamp()


def measure(url: str, database: Path, rate: int, seconds: int, first: int) -> dict[str, float]:
    sent_at = time.monotonic()
    answered = send_at_rate(url, rate, seconds, first)
    send_seconds = time.monotonic() - sent_at
    last = first + rate * seconds - 1
    deadline = time.monotonic() + DRAIN_SECONDS
    found = None
    while time.monotonic() < deadline and found is None:
        time.sleep(0.5)
        found = latencies(database, first, last)
    if found is None:
        return {"rate": rate, "answered": answered, "finished": 0}
    p = lambda q: found[min(len(found) - 1, int(q * len(found)))]  # noqa: E731
    return {
        "rate": rate,
        "answered": answered,
        "sent_per_s": answered / send_seconds,
        "p50_s": p(0.50),
        "p99_s": p(0.99),
        "max_s": found[-1],
        "mean_s": statistics.fmean(found),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="20,50,100,200")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=0,
        help="run `serve --no-worker` plus this many `handoff worker` processes "
        "(0: the embedded worker)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="handoff-e2e-") as tmp:
        store = Path(tmp)
        port = free_port()
        env = {**handoff_env(store), "HANDOFF_METRICS_DIR": str(store / "metrics")}
        handoff = str(ROOT / ".venv/bin/handoff")
        command = [handoff, "serve", "--port", str(port)]
        if args.worker_processes:
            command.append("--no-worker")
        server = start(command, env, store / "serve.log")
        workers = [
            start([handoff, "worker"], env, store / f"worker-{i}.log")
            for i in range(args.worker_processes)
        ]
        try:
            wait_ready(f"http://127.0.0.1:{port}/healthz", server)
            url = f"http://127.0.0.1:{port}/webhooks/zendesk/acme-shoes"
            first = 1_000_000
            for rate in (int(r) for r in args.rates.split(",")):
                result = measure(url, store / "handoff.db", rate, args.seconds, first)
                first += rate * args.seconds
                print(json.dumps(result), flush=True)
        finally:
            for process in [server, *workers]:
                stop(process)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
