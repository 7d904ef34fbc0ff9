"""A real `handoff worker` whose detector never returns: it writes `marker` and hangs.

`test_worker_process` starts it, waits for the marker (the worker is then inside the
write transaction of `process_event`) and kills it with SIGKILL.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from escalation.case import Case
from escalation.decision import Decision
from escalation.rules import RulesDetector
from handover import worker
from handover.runtime import Runtime
from handover.settings import Settings


def main(marker: Path) -> None:
    def stall(self: RulesDetector, case: Case) -> Decision:
        marker.write_text("inside process_event", encoding="utf-8")
        time.sleep(3600)
        raise AssertionError("unreachable")

    RulesDetector.decide = stall  # type: ignore[method-assign]
    worker.run(Runtime.create(Settings()), workers=1)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
