"""The `handoff` operations commands: serve, worker, db upgrade, demo, webhook-example.

`cli.main` registers `COMMANDS`. Flask, SQLAlchemy, huey and the server are imported
inside the commands, so that `handoff detect` starts without them.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from cli_common import fail, settings_or_exit, workspaces_or_exit
from escalation.policy import ConfigInvalid

EXAMPLE_WEBHOOKS = Path(__file__).resolve().parent / "examples" / "webhooks"
"""The example webhook bodies, wherever `handoff` runs from (an editable install)."""


@click.command()
@click.option("--host", default=None, help="Address to bind (default: HANDOFF_HOST, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Default: HANDOFF_PORT, 8000."
)
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True)
@click.option("--threads", type=click.IntRange(1), default=8, show_default=True)
@click.option(
    "--worker/--no-worker",
    "embedded",
    default=None,
    help="Run the job worker inside the server (default: HANDOFF_EMBEDDED_WORKER, on).",
)
def serve(
    host: str | None, port: int | None, workers: int, threads: int, embedded: bool | None
) -> None:
    """Serve the webhooks (gunicorn gthread, else Flask's server) with the embedded worker."""
    from handover.metrics_dir import share_metrics

    share_metrics(Path(os.environ.get("HANDOFF_METRICS_DIR", "var/metrics")))
    import server
    import server_banner

    overrides = {"host": host, "port": port, "embedded_worker": embedded}
    settings = settings_or_exit().model_copy(
        update={k: v for k, v in overrides.items() if v is not None}
    )
    options = server.ServeOptions(workers, threads, settings.embedded_worker)
    click.echo(server_banner.banner(settings, workspaces_or_exit(settings), options))
    server.serve(settings, options)


@click.command(name="demo")
@click.option("--url", default=None, help="The server (default: http://127.0.0.1:HANDOFF_PORT).")
@click.option("--workspace", default=None, help="Default: the first served workspace.")
@click.option(
    "--timeout", type=float, default=15.0, show_default=True, help="Seconds per platform."
)
def demo_command(url: str | None, workspace: str | None, timeout: float) -> None:
    """POST a signed escalating conversation per platform to a running server; show the result.

    Prints, per platform, the decision, the state (`should_reply`) and every action with
    the requests it sent (or, in dry run, would send), read back from the state API.
    """
    import urllib.error

    import demo
    import server_banner

    settings = settings_or_exit()
    base = url or server_banner.base_url(settings)
    try:
        for line in demo.run(base, workspaces_or_exit(settings), workspace, timeout):
            click.echo(line)
    except LookupError as exc:
        fail([str(exc)])
    except urllib.error.URLError as exc:
        fail([f"no Handoff server answers at {base} ({exc.reason}); start one with `make run`"])


@click.command(name="webhook-example")
@click.option("--platform", type=click.Choice(["zendesk", "intercom", "slack"]), default="zendesk")
@click.option("--workspace", default=None, help="Default: the first served one on that platform.")
@click.option(
    "--body",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON body to send (default: examples/webhooks/<platform>.json in the project).",
)
def webhook_example(platform: str, workspace: str | None, body: Path | None) -> None:
    """Print a curl command that POSTs a signed example event to `handoff serve`.

    The signature uses the workspace's secret from the environment (or secrets file) and
    is valid for 5 minutes; each command carries a fresh delivery id.
    """
    import server_banner

    settings = settings_or_exit()
    path = body or EXAMPLE_WEBHOOKS / f"{platform}.json"
    if not path.is_file():
        fail([f"the example webhook body {path} is missing: give one with --body FILE"])
    try:
        click.echo(
            server_banner.webhook_example(
                settings, workspaces_or_exit(settings), platform, workspace, path
            )
        )
    except LookupError as exc:
        fail([str(exc)])


@click.group()
def db() -> None:
    """The event store's database (HANDOFF_DATABASE_URL)."""


@db.command(name="upgrade")
def db_upgrade() -> None:
    """Apply the database migrations up to the newest revision."""
    from handover import migrate
    from handover.observability import configure_logging
    from handover.settings import Settings

    configure_logging()
    url = Settings().database_url
    migrate.upgrade(url)
    click.echo(f"database at revision {migrate.current(url)}")


@click.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def worker(workers: int) -> None:
    """Process stored events (huey consumer), with the periodic sweep and purge."""
    from handover import worker as consumer
    from handover.observability import configure_logging
    from handover.runtime import Runtime
    from handover.settings import Settings

    configure_logging()
    try:
        runtime = Runtime.create(Settings())
    except ConfigInvalid as exc:
        fail(exc.problems)
    consumer.run(runtime, workers)


COMMANDS: tuple[click.Command, ...] = (serve, worker, db, demo_command, webhook_example)
"""The operations commands, for `cli.main` to register."""
