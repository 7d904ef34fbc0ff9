"""`handoff serve`: the web app under gunicorn (gthread) or Flask's server, plus the worker.

The embedded worker is one huey consumer (thread workers) per `handoff serve`:

* under gunicorn, the master forks ONE consumer process once it listens, before any HTTP
  worker, and re-forks it if it dies (checked each time the arbiter manages its workers).
  The master itself never runs threads of ours, so forking HTTP workers stays safe (a
  fork while another thread holds a SQLite or logging lock can deadlock the child), and
  HTTP workers never consume: two of them never run two consumers by accident;
* under Flask's server (no gunicorn installed), consumer threads in the serving process.

Both use `handover.worker.start_embedded`, which leaves signal handling to the host: huey's
own SIGHUP handler would re-exec the whole command.
"""

from __future__ import annotations

import gc
import json
import os
import shlex
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from types import FrameType
from typing import Any

import gateway
from handover.observability import configure_logging, get_logger
from handover.runtime import Runtime
from handover.settings import Settings
from handover.worker import SHUTDOWN_TIMEOUT, start_embedded
from handover.workspaces import SecretMissing, UnknownWorkspace, Workspaces

CONSUMER_THREADS = 2
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
IGNORED_SIGNALS = (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH, signal.SIGTTIN)
RESPAWN_SECONDS = 5.0
"""A consumer process that died is forked again at most this often."""
log = get_logger("serve")


@dataclass(frozen=True)
class ServeOptions:
    """How `handoff serve` runs: server threads, and whether the worker is embedded."""

    workers: int = 2
    threads: int = 8
    embedded_worker: bool = True
    consumer_threads: int = CONSUMER_THREADS


def serve(settings: Settings, options: ServeOptions) -> None:
    """Apply migrations (once, here), then serve until interrupted."""
    configure_logging()
    if settings.migrate_on_start:
        from handover import migrate

        migrate.upgrade(settings.database_url)
    child_settings = settings.model_copy(update={"migrate_on_start": False})
    if find_spec("gunicorn") is not None:
        _serve_gunicorn(child_settings, options)
    else:
        _serve_flask(child_settings, options)


def _serve_flask(settings: Settings, options: ServeOptions) -> None:
    """Flask's threaded server, with the consumer in threads of the same process."""
    from app import RUNTIME, SETTINGS, create_app

    app = create_app({SETTINGS: settings})
    worker = None
    if options.embedded_worker:
        worker = start_embedded(app.config[RUNTIME], options.consumer_threads)
    try:
        app.run(settings.host, settings.port, threaded=True, use_reloader=False)
    finally:
        if worker is not None:
            worker.stop()


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


def _serve_gunicorn(settings: Settings, options: ServeOptions) -> None:
    """gunicorn, gthread workers; the master keeps the consumer process alive."""
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]
    from gunicorn.arbiter import Arbiter  # type: ignore[import-untyped]
    from gunicorn.sock import close_sockets  # type: ignore[import-untyped]

    check_port_free(settings)
    consumer = ConsumerProcess(settings, options.consumer_threads)

    class _Arbiter(Arbiter):  # type: ignore[misc]
        def manage_workers(self) -> None:
            started = self.LISTENERS or self.cfg.reuse_port  # reuse_port: workers listen
            if options.embedded_worker and started:
                consumer.ensure_running(lambda: close_sockets(self.LISTENERS, False))
            super().manage_workers()

        def stop(self, graceful: bool = True) -> None:
            consumer.terminate()
            super().stop(graceful)
            consumer.join()

    class _Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in gunicorn_options(settings, options).items():
                if key in self.cfg.settings:  # `control_socket_disable` came in gunicorn 25.1
                    self.cfg.set(key, value)

        def load(self) -> Any:
            from app import SETTINGS, create_app

            app = create_app({SETTINGS: settings})
            freeze_heap()
            return app

        def run(self) -> None:
            _Arbiter(self).run()

    _Application().run()


def check_port_free(settings: Settings) -> None:
    """Exit with a clear message when something already listens on the host and port.

    The workers listen with SO_REUSEPORT (`gunicorn_options`), which would let a second
    server of the same user share the port without a word; a plain bind refuses instead.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        settings.host.strip("[]"), settings.port, type=socket.SOCK_STREAM
    )[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise SystemExit(f"cannot listen on {base_url(settings)}: {exc.strerror}") from None


def freeze_heap() -> None:
    """Put everything a web worker loaded at start-up out of the garbage collector's reach.

    That heap (Flask, SQLAlchemy, huey, the workspaces' phrase tables, ...) is ~150,000
    objects that live as long as the process; every full collection walked all of them,
    holding the GIL for ~0.1 s. Frozen (`gc.freeze`), they are never walked again.
    """
    gc.collect()
    gc.freeze()


def gunicorn_options(settings: Settings, options: ServeOptions) -> dict[str, Any]:
    """The gunicorn settings of `handoff serve` (also used by the benchmark's bare app)."""
    return {
        "bind": f"{_host(settings.host)}:{settings.port}",
        "workers": options.workers,
        "threads": options.threads,
        "worker_class": "gthread",
        "errorlog": "-",
        "loglevel": "info",
        "logger_class": json_logger_class,  # gunicorn calls it for the class
        "accesslog": None,  # one line per request is the webhooks' own `webhook.*` log
        "control_socket_disable": True,  # unused; its default path is shared per user
        # Each worker listens on its own SO_REUSEPORT socket, so the kernel spreads new
        # connections over the workers; on one shared socket the first worker to wake often
        # accepts every connection of a burst, and keep-alive clients then stay on it.
        "reuse_port": True,
    }


LISTENING = "Listening at: %s (%s)"
"""gunicorn's start-up line naming its sockets (none in the master: workers bind their own)."""


def json_logger_class() -> type:
    """The gunicorn logger of `handoff serve`: its lines as JSON on stderr, no access log.

    `gunicorn.error` keeps gunicorn's level but none of its handlers and propagates to the
    root logger, whose handler (`observability.configure_logging`) writes JSON lines, the
    same as every other log line; a configuration reload runs `setup` again. gunicorn says
    "Listening at:  (pid)" when the workers bind their own SO_REUSEPORT sockets: the line
    names the bound addresses instead.
    """
    from gunicorn.glogging import Logger  # type: ignore[import-untyped]

    class JsonLogger(Logger):  # type: ignore[misc]
        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            configure_logging()
            for log in (self.error_log, self.access_log):
                for handler in list(log.handlers):
                    log.removeHandler(handler)
                log.propagate = True

        def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
            if msg == LISTENING and args and not args[0]:
                bound = ",".join(f"http://{address}" for address in self.cfg.bind)
                args = (bound, *args[1:])
            super().info(msg, *args, **kwargs)

    return JsonLogger


def _host(host: str) -> str:
    """A host as it appears in a URL or a bind address (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def base_url(settings: Settings) -> str:
    """The server's own URL."""
    return f"http://{_host(settings.host)}:{settings.port}"


def banner(settings: Settings, workspaces: Workspaces, options: ServeOptions) -> str:
    """What `handoff serve` prints on start: how it runs, its URLs, how to try it."""
    base = base_url(settings)
    engine = f"gunicorn gthread, {options.workers} workers × {options.threads} threads"
    if find_spec("gunicorn") is None:
        engine = "Flask's threaded server (gunicorn is not installed)"
    worker = "embedded" if options.embedded_worker else "off (run `handoff worker`)"
    lines = [
        f"Handoff on {base} — {engine}; job worker {worker}",
        "Webhook URLs:",
    ]
    for endpoint in gateway.endpoints(workspaces, base):
        try:
            workspaces.secret(endpoint.secret_name)
            note = ""
        except SecretMissing:
            note = f"  (secret {endpoint.secret_name} is not set: answers 503)"
        lines.append(f"  {endpoint.platform:<9}{endpoint.url}{note}")
    lines += _per_workspace_urls(workspaces, base)
    lines += [
        f"Metrics:   {base}/metrics",
        f"Liveness:  {base}/healthz",
        f"Readiness: {base}/readyz",
        "Try it:    handoff webhook-example --platform zendesk | sh   (same environment)",
    ]
    return "\n".join(lines)


def _per_workspace_urls(workspaces: Workspaces, base: str) -> list[str]:
    """The banner's Slack button and state API URLs of each served workspace."""
    names = workspaces.names()
    width = max((len(name) for name in names), default=0) + 2
    slack = []
    for name in names:
        try:
            workspaces.platform(name, "slack")
        except UnknownWorkspace:
            continue
        slack.append(f"  {name:<{width}}{base}/webhooks/slack/{name}/interactivity")
    lines = ["Slack interactivity URLs (the Take it / Hand back buttons):", *slack] if slack else []
    lines.append("State API (Authorization: Bearer <the secret handover.api_token names>):")
    for name in names:
        url = f"{base}/api/v1/workspaces/{name}/conversations/<platform>/<id>"
        token = workspaces.policy(name).model.handover.api_token
        note = ""
        if token is None:
            note = "  (no handover.api_token: answers 401)"
        else:
            try:
                workspaces.secret(token)
            except SecretMissing:
                note = f"  (secret {token} is not set: answers 401)"
        lines.append(f"  {name:<{width}}{url}{note}")
    return lines


def example_body(path: Path, platform: str, delivery_id: str) -> bytes:
    """An example webhook body with a fresh dedupe id, so each try is a new delivery."""
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    body["event_id" if platform == "slack" else "id"] = delivery_id
    return json.dumps(body, ensure_ascii=False).encode()


def curl_command(url: str, headers: dict[str, str], body: bytes) -> str:
    """A shell command POSTing `body` with `headers` (quoted for POSIX shells).

    It fails (non-zero exit) when the server does not answer or answers an error, and
    prints the answer's body followed by a newline either way.
    """
    parts = ["curl", "-sS", "-X", "POST", url, "-H", "Content-Type: application/json"]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    parts += ["--data-binary", body.decode(), "--fail-with-body", "-w", "\\n"]
    return " ".join(shlex.quote(part) for part in parts)


def webhook_example(
    settings: Settings, workspaces: Workspaces, platform: str, workspace: str | None, body: Path
) -> str:
    """A curl command POSTing a signed example event to this server (valid for 5 minutes).

    Raises `LookupError` (`SecretMissing` included) when no served workspace can sign it.
    """
    found = [
        endpoint
        for endpoint in gateway.endpoints(workspaces, base_url(settings))
        if endpoint.platform == platform and workspace in (None, endpoint.workspace)
    ]
    if not found:
        raise LookupError(f"no served workspace receives {platform} webhooks")
    secret = workspaces.secret(found[0].secret_name).value
    raw = example_body(body, platform, f"example-{uuid.uuid4()}")
    headers = gateway.signature_headers(platform, secret, raw, time.time())
    return curl_command(found[0].url, headers, raw)
