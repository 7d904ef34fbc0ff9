"""What every `handoff` command shares: failing with problems, settings and workspaces.

Settings and workspaces are imported when asked for, so that `handoff detect` starts
without pydantic-settings, SQLAlchemy or Flask.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

import click

from escalation.policy import ConfigInvalid

if TYPE_CHECKING:
    from handover.settings import Settings
    from handover.workspaces import Workspaces


def fail(problems: list[str]) -> NoReturn:
    """Write each problem on stderr and exit 2."""
    for problem in problems:
        click.echo(problem, err=True)
    sys.exit(2)


def settings_or_exit() -> Settings:
    """Settings from the `HANDOFF_*` environment; each problem on stderr and exit 2."""
    from pydantic import ValidationError

    from handover.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = [
            f"HANDOFF_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        ]
        fail(problems)


def workspaces_or_exit(settings: Settings) -> Workspaces:
    """The served workspaces; every problem on stderr and exit 2 when a file is invalid."""
    from handover.workspaces import Workspaces

    try:
        return Workspaces.load(settings.workspaces, settings.secrets_file)
    except ConfigInvalid as exc:
        fail(exc.problems)
