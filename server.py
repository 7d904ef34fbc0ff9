"""`handoff serve`: the web app under gunicorn (gthread) or Flask's server, plus the worker.

The embedded worker is one huey consumer (thread workers) per `handoff serve`:

* under gunicorn, the master forks ONE consumer process once it listens, before any HTTP
  worker, and re-forks it if it dies (checked each time the arbiter manages its workers).
  The master itself never runs threads of ours, so forking HTTP workers stays safe (a
  fork while another thread holds a SQLite or logging lock can deadlock the child), and
  HTTP workers never consume: two of them never run two consumers by accident;
* under Flask's server (no gunicorn installed), consumer threads in the serving process.

Both use `handover.worker.start_embedded`, which leaves signal handling to the host: huey's
own SIGHUP handler would re-exec the whole command. The consumer process is
`server_consumer.ConsumerProcess`; the start-up banner and the webhook example are in
`server_banner`.
"""

from __future__ import annotations

import gc
import socket
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any

from handover.observability import configure_logging
from handover.settings import Settings
from handover.worker import start_embedded
from server_banner import banner as banner  # re-exported: `server.banner` as before
from server_banner import base_url, url_host
from server_consumer import ConsumerProcess

CONSUMER_THREADS = 2


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
        "bind": f"{url_host(settings.host)}:{settings.port}",
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
