"""Deployment settings, from `HANDOFF_*` environment variables (pydantic-settings).

The embedded default needs none of them: SQLite in `./var`, huey's SQLite queue, the
example workspace, dry-run platform actions.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where Handoff keeps its data, which workspaces it serves and how it runs."""

    model_config = SettingsConfigDict(env_prefix="HANDOFF_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/handoff.db"
    """SQLAlchemy URL; PostgreSQL with `postgresql+psycopg://...` (or `postgresql://...`)."""
    redis_url: str | None = None
    """When set, the job queue is huey's Redis queue instead of its SQLite one."""
    queue_path: Path = Path("var/queue.db")
    """huey's SQLite queue file (embedded default)."""
    queue_name: str = Field(default="handoff", pattern=r"^[A-Za-z0-9_]+$")
    """The job queue's name: one per deployment sharing a Redis (keys `huey.*.<name>`)."""
    workspaces: Path = Path("examples")
    """A workspace YAML file, or a folder of them (`*.yaml`, one workspace each)."""
    secrets_file: Path | None = None
    """Optional YAML/JSON mapping of secret names to values, beside environment variables."""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    """Webhook bodies larger than this are refused with 413 before anything is stored."""
    retention_days: int = Field(default=30, ge=1)
    """Raw webhook payloads older than this are purged by a scheduled job."""
    embedded_worker: bool = True
    """`handoff serve` runs the worker in the same process (one process is enough)."""
    migrate_on_start: bool = True
    """Apply database migrations when the server or worker starts."""
    sweep_after_seconds: int = Field(default=60, ge=1)
    """Stored events still unprocessed this long after they were enqueued (or stored, if never
    enqueued) are enqueued again by the sweeper."""
