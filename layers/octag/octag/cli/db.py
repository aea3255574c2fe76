"""`octag db migrate|status`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
import psycopg

from octag import db as database
from octag.cli import cli
from octag.db import migrations
from octag.db.embedded import EmbeddedPostgresError


@cli.group()
def db() -> None:
    """Database migrations."""


@db.command()
def migrate() -> None:
    """Apply pending migrations.

    On DATABASE_URL, or else the embedded server in OCTAG_DATA_DIR.
    """
    with _database() as url:
        applied = migrations.migrate(url)
    for migration in applied:
        click.echo(f"Applied {migration.version:04d}_{migration.name} ({migration.execution_ms} ms)")
    if not applied:
        click.echo("Database is up to date.")


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def status(as_json: bool) -> None:
    """Show each migration's state.

    States: applied, pending, modified (its file changed after it was applied), missing (its file is gone).
    """
    with _database() as url:
        report = migrations.status(url)
    if as_json:
        rows = [
            {
                "version": m.version,
                "name": m.name,
                "state": m.state,
                "applied_at": m.applied_at.isoformat() if m.applied_at else None,
            }
            for m in report
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    table = [("VERSION", "NAME", "STATE", "APPLIED AT")] + [
        (
            f"{m.version:04d}",
            m.name,
            m.state,
            m.applied_at.strftime("%Y-%m-%d %H:%M:%S %Z") if m.applied_at else "-",
        )
        for m in report
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@contextmanager
def _database() -> Iterator[str]:
    """The database URL for one command; errors become one-line messages, and an embedded server
    this command started is stopped again (one a running `octag up` holds keeps running)."""
    try:
        yield database.database_url()
    except (migrations.MigrationError, EmbeddedPostgresError) as exc:
        raise click.ClickException(str(exc)) from exc
    except psycopg.OperationalError as exc:
        raise click.ClickException(f"cannot reach the database: {exc}") from exc
    except psycopg.Error as exc:
        raise click.ClickException(f"database error: {exc}") from exc
    finally:
        database.shutdown()
