"""`/metrics`: Prometheus counters, added up over every process of `handoff serve`."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from flask.testing import FlaskClient

from tests.web.signing import signed
from tests.web.test_webhooks import fresh, post


def counter(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and line.split("}")[0].endswith(wanted):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_received_webhooks(client: FlaskClient) -> None:
    before = client.get("/metrics").get_data(as_text=True)
    body, _ = fresh("zendesk")
    assert post(client, "zendesk", body, signed("zendesk", body)).status_code == 200
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain")
    after = answer.get_data(as_text=True)
    name, labels = "handoff_events_received_total", {"platform": "zendesk", "outcome": "stored"}
    assert counter(after, name, **labels) == counter(before, name, **labels) + 1


SHARED = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from handover.metrics_dir import share_metrics
    share_metrics(Path(sys.argv[1]))
    from handover.observability import ACTIONS_DEAD, exposition
    pid = os.fork()
    if pid == 0:  # a forked worker process counts a dead letter, then exits
        ACTIONS_DEAD.labels("slack").inc(3)
        os._exit(0)
    os.waitpid(pid, 0)
    print(exposition()[0].decode())
    """
)


def test_counters_of_forked_processes_are_added_up(tmp_path: Path) -> None:
    (tmp_path / "stale.db").write_bytes(b"from an earlier run")
    done = subprocess.run(
        [sys.executable, "-c", SHARED, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert counter(done.stdout, "handoff_actions_dead_total", platform="slack") == 3.0
    assert not (tmp_path / "stale.db").exists()
