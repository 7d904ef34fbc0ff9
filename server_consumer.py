"""The embedded consumer of `handoff serve` under gunicorn: one child process of the master.

The master forks it once it listens (`ConsumerProcess.ensure_running`, called each time
the arbiter manages its workers), re-forks it if it dies and stops it with the server; the
child runs `handover.worker.start_embedded` until SIGTERM, SIGINT or SIGQUIT.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

from handover.observability import get_logger
from handover.runtime import Runtime
from handover.settings import Settings
from handover.worker import SHUTDOWN_TIMEOUT, start_embedded

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
IGNORED_SIGNALS = (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH, signal.SIGTTIN)
RESPAWN_SECONDS = 5.0
"""A consumer process that died is forked again at most this often."""
log = get_logger("serve")


@dataclass
class ConsumerProcess:
    """The embedded consumer as one child process of the gunicorn master."""

    settings: Settings
    threads: int
    pid: int = 0
    started: float = field(default=-RESPAWN_SECONDS)

    def ensure_running(self, close_in_child: Callable[[], None]) -> None:
        """Fork the consumer unless it runs (not more often than every `RESPAWN_SECONDS`)."""
        if self.pid and not _alive(self.pid):
            log.error("serve.worker_died", pid=self.pid)
            self.pid = 0  # reaped: its pid may be reused by any new process
        if self.pid or time.monotonic() - self.started < RESPAWN_SECONDS:
            return
        self.started = time.monotonic()
        self.pid = os.fork()
        if self.pid == 0:
            _run_child(self.settings, self.threads, close_in_child)
        log.info("serve.worker_started", pid=self.pid, threads=self.threads)

    def terminate(self) -> None:
        """Ask the consumer to stop after its running tasks (SIGTERM)."""
        if self.pid and _alive(self.pid):
            os.kill(self.pid, signal.SIGTERM)

    def join(self) -> None:
        """Wait for the consumer to exit; kill it after the shutdown timeout."""
        deadline = time.monotonic() + SHUTDOWN_TIMEOUT + 2
        while self.pid and _alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.pid and _alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self.pid = 0


def _alive(pid: int) -> bool:
    """Tell whether a child still runs (reaping it if it ended; gunicorn may have reaped it)."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0


def _run_child(settings: Settings, threads: int, close_in_child: Callable[[], None]) -> None:
    """Body of the forked consumer process: never returns into gunicorn's arbiter."""
    code = 1
    try:
        close_in_child()
        stop = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for signum in STOP_SIGNALS:
            signal.signal(signum, _stop)
        for signum in IGNORED_SIGNALS:  # meant for gunicorn's master (reload, ...)
            signal.signal(signum, signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        runtime = Runtime.create(settings)
        worker = start_embedded(runtime, threads)
        while not stop.wait(1.0):
            pass
        worker.stop()
        runtime.close()
        code = 0
    except BaseException:
        log.exception("serve.worker_failed")
    finally:
        os._exit(code)
