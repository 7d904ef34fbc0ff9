"""The baseline: a bare Flask POST endpoint, under the same gunicorn settings as Handoff.

`python bench/bare_app.py PORT [WORKERS THREADS]` serves `POST /webhook` (reads the body,
answers a small JSON) with exactly the options `handoff serve` gives gunicorn, so the
benchmark compares the ack path's work, not server configurations.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

app = Flask("bare")


@app.post("/webhook")
def webhook() -> Response:
    """Read the body and answer 200, nothing else."""
    request.get_data()
    return jsonify(status="accepted")


@app.get("/healthz")
def healthz() -> Response:
    """Liveness, for the benchmark to wait on."""
    return jsonify(status="ok")


def main(port: int, workers: int = 2, threads: int = 8) -> None:
    """Serve `app` under gunicorn gthread with `handoff serve`'s options."""
    from gunicorn.app.base import BaseApplication

    from handover.settings import Settings
    from server import ServeOptions, gunicorn_options

    options = gunicorn_options(Settings(port=port), ServeOptions(workers, threads, False))

    class Bare(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    Bare().run()


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:4]))
