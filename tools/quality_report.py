"""Regenerate docs/quality.md: run `handoff eval` on each labelled set and record the output.

    .venv/bin/python tools/quality_report.py      (or: make quality)

Each section says what the set measures, the exact command, and what it printed.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path("../shared/data")
HANDOFF = ".venv/bin/handoff"


@dataclass(frozen=True)
class LabelledSet:
    title: str
    measures: str
    config: str
    cases: str
    group_by: str | None = None
    misses: int = 15


SETS = [
    LabelledSet(
        "Contract examples (Acme Shoes)",
        "All four signals, sub agents, required details, pending vs escalate, negations, "
        "vague statements and targets, on the 83 hand-written cases of the contract. "
        "Compared fields: status, signal, sub_agent (unless none), missing, target.",
        "examples/workspace.yaml",
        "examples/cases.jsonl",
    ),
    LabelledSet(
        "bitext-customer-support — explicit requests for a human (signal 1)",
        "Single user messages: 241 ways of asking for a human (typos, slang, insults, "
        "'how do I speak to an agent?') against 300 ordinary requests of 25 other intents. "
        "Measures user_request recall and false escalations on in-scope requests "
        "(including the scope check, which must not fire on them).",
        str(DATA / "bitext-customer-support/workspace.yaml"),
        str(DATA / "bitext-customer-support/cases.jsonl"),
        "label.intent",
    ),
    LabelledSet(
        "clinc150-banking-scope — out of scope (signal 4)",
        "Single queries to a retail-bank assistant: 893 in-scope banking and credit-card "
        "queries against 1,250 queries from other domains and CLINC's own out-of-scope set. "
        "Measures the offline scope check. Per-group rows are CLINC domains (none = CLINC oos).",
        str(DATA / "clinc150-banking-scope/workspace.yaml"),
        str(DATA / "clinc150-banking-scope/cases.jsonl"),
        "label.domain",
        misses=10,
    ),
    LabelledSet(
        "star-handoff — task dialogues with handoffs (signals 2 and 3)",
        "Multi-turn STAR dialogues (mean 9.8 messages): the bank's fraud report submitted "
        "(bot handoff), the bot saying it does not understand (bot handoff or out of scope), "
        "a fraud-report workflow still collecting identity details (pending), the same "
        "questions in a balance workflow that never hands over, and apologetic answers that "
        "are not handoffs ('no room available', 'please contact your doctor').",
        str(DATA / "star-handoff/workspace.yaml"),
        str(DATA / "star-handoff/cases.jsonl"),
        "label.subset",
    ),
]


def command(labelled: LabelledSet) -> list[str]:
    args = [HANDOFF, "eval", "--config", labelled.config, "--input", labelled.cases]
    if labelled.group_by:
        args += ["--group-by", labelled.group_by]
    return [*args, "--max-misses", str(labelled.misses)]


def section(labelled: LabelledSet) -> str:
    args = command(labelled)
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr}")
    return (
        f"## {labelled.title}\n\n{labelled.measures}\n\n"
        f"    {' '.join(args)}\n\n```\n{done.stdout.rstrip()}\n```\n"
    )


def main() -> None:
    header = (
        "# Detection quality\n\n"
        "Written by `tools/quality_report.py` (`make quality`), which runs `handoff eval` with "
        "the offline `rules` detector on each labelled set and records the command and its "
        "output. The data sets live in `../shared/data` (their licences are beside them); "
        "none of their cases is used by the detector, whose phrase tables and lexicons are "
        "general. Misses are listed up to a limit per set.\n\n"
    )
    body = "\n".join(section(labelled) for labelled in SETS)
    (ROOT / "docs" / "quality.md").write_text(header + body, encoding="utf-8")
    print(f"wrote docs/quality.md ({len(SETS)} sets)")


if __name__ == "__main__":
    main()
