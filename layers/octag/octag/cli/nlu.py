"""`octag nlu MESSAGE`: what the offline analyzer reads in a message."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from octag import db
from octag.cli import cli
from octag.config import get_settings

if TYPE_CHECKING:
    from octag.nlu import CatalogNames


@cli.command()
@click.argument("message")
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
def nlu(message: str, as_json: bool) -> None:
    """Intent and entities of MESSAGE.

    Theme and cafe names come from the catalog tables when there is a database (DATABASE_URL, or the
    data dir's embedded server); without one they are not recognized (said on stderr).
    """
    from octag.nlu import get_analyzer

    try:
        names = _catalog_names()
    finally:
        db.shutdown()
    if not len(names):
        click.echo("octag nlu: no catalog names, so themes and cafes are not recognized", err=True)
    understanding = get_analyzer(names=names).analyze(message)
    if as_json:
        click.echo(json.dumps(understanding.model_dump(), ensure_ascii=False, indent=2))
        return
    click.echo(
        f"intent      {understanding.intent} ({understanding.confidence:.2f}, {understanding.analyzer})"
    )
    for key, value in understanding.entities.model_dump().items():
        shown = ", ".join(value) if isinstance(value, list) else value
        click.echo(f"{key:<11} {'-' if shown in (None, '') else shown}")


def _catalog_names() -> CatalogNames:
    from octag.nlu import CatalogNames, names_from_database

    settings = get_settings()
    if not settings.database_url and not (settings.resolved_data_dir / "postgres" / "PG_VERSION").exists():
        return CatalogNames.empty()
    try:
        with db.connection(timeout=10) as conn:
            return names_from_database(conn)
    except Exception as exc:  # no server, no catalog table yet: analyze without names
        click.echo(f"octag nlu: catalog unavailable ({type(exc).__name__}: {exc})".splitlines()[0], err=True)
        return CatalogNames.empty()
