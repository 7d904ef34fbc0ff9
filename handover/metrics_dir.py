"""Counters shared by every process of `handoff serve` (prometheus-client multiprocess mode).

`handoff serve` forks web workers and the embedded worker from one master, and each
counts in its own memory: `/metrics`, answered by whichever web worker takes the request,
would show a fraction of the truth and never the worker's action counters. In
multiprocess mode each process writes its counters to files in one directory and
`/metrics` adds them up. The mode is chosen when prometheus-client is first imported, so
`share_metrics` must run before that (the CLI calls it first thing in `serve`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def share_metrics(directory: Path) -> Path:
    """Empty `directory` of earlier runs' files and count there from now on; return it."""
    if "prometheus_client" in sys.modules and os.environ.get(ENV) != str(directory):
        raise RuntimeError("share_metrics must run before prometheus_client is imported")
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[ENV] = str(directory)
    return directory
