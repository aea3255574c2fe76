"""`octag db migrate|status`."""

from __future__ import annotations

from octag.cli import cli


@cli.group()
def db() -> None:
    """Database migrations."""
