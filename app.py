"""The Flask app: `create_app(config=None)`. Webhook routes arrive with the intake issue."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the web app; `config` overrides Flask settings (tests pass their own)."""
    app = Flask("handoff")
    app.config.update(config or {})

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
