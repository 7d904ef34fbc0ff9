"""Detection cost per message, start-up excluded, as issue 3 defines it.

    cost = (time of `handoff detect` on all star-handoff cases - time on one case) / messages

Each command runs as a fresh process, as users run it; the median of several runs is
used. Also prints the start-up time (the one-case run). Usage:

    .venv/bin/python bench/detect_per_message.py [--runs 5] [--cases PATH] [--config PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAR = ROOT.parent / "shared" / "data" / "star-handoff"
HANDOFF = ROOT / ".venv" / "bin" / "handoff"


def timed(config: Path, cases: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(HANDOFF), "detect", "--config", str(config), "--input", str(cases)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"handoff detect failed: {done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", type=Path, default=STAR / "cases.jsonl")
    parser.add_argument("--config", type=Path, default=STAR / "workspace.yaml")
    args = parser.parse_args()
    if not args.cases.exists():
        sys.exit(f"no cases at {args.cases}: pass --cases and --config")
    lines = [line for line in args.cases.read_text().splitlines() if line.strip()]
    messages = sum(len(json.loads(line)["messages"]) for line in lines)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as one:
        one.write(lines[0] + "\n")
    one_case = Path(one.name)
    full, single = [], []
    for run in range(args.runs):
        single.append(timed(args.config, one_case))
        full.append(timed(args.config, args.cases))
        print(f"run {run + 1}/{args.runs}: all {full[-1]:.3f} s, one case {single[-1]:.3f} s")
    one_case.unlink()
    per_message_ms = (statistics.median(full) - statistics.median(single)) / messages * 1000
    print(f"\n{len(lines)} cases, {messages} messages")
    print(f"start-up (one case, median): {statistics.median(single):.3f} s   goal < 1 s")
    print(f"detection per message:       {per_message_ms:.4f} ms   goal <= 1 ms")


if __name__ == "__main__":
    main()
