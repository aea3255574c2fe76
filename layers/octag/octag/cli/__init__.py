"""The `octag` command. Subcommands live beside this module; the local runtime adds `octag up`
through the `octag.commands` entry point so this package never imports `local`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path

import click

from octag import __version__
from octag.config import get_settings
from octag.errors import OctagError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="octag")
def cli() -> None:
    """Octag: serverless AI chatbot backend. Run `octag up` for the local stack."""


@contextmanager
def database_command() -> Iterator[None]:
    """The body of a command that uses the database: a domain error is printed as the command's
    error (exit 1), and the pool, with an embedded server this process started, is shut down."""
    from octag import db

    try:
        yield
    except OctagError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.shutdown()


def read_batch(path: Path, field: str) -> list[str]:
    """The non-empty lines of a `--batch` file, each plain text or a JSON object with `field`."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                line = str(json.loads(line)[field])
            except (ValueError, KeyError, TypeError):
                raise click.BadParameter(
                    f"line {number}: JSON without a `{field}` field", param_hint="--batch"
                ) from None
        items.append(line)
    return items


def _register_plugins() -> None:
    for ep in entry_points(group="octag.commands"):
        try:
            cli.add_command(ep.load(), ep.name)
        except ImportError as exc:  # the `local` extra is not installed (e.g. in a Lambda layer)

            @cli.command(ep.name, help=f"Unavailable: {exc}")
            def _missing(exc: ImportError = exc) -> None:
                raise click.ClickException(f"install octag[local] to use this command ({exc})")


def _join_running_stack() -> None:
    """Commands run beside `octag up` use its AWS endpoint and resources (see `stack.json`)."""
    path = get_settings().resolved_data_dir / "stack.json"
    try:
        info = json.loads(path.read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return  # no stack, or a stale file from a killed one
    for key, value in {
        "AWS_ENDPOINT_URL": info.get("aws_endpoint_url"),
        **info.get("environment", {}),
    }.items():
        if value:
            os.environ.setdefault(key, str(value))
    get_settings.cache_clear()


def main() -> None:
    from octag.cli import auth, chat, db, etl, nlu, search  # noqa: F401  (registers their commands)

    if sys.argv[1:2] != ["up"]:
        _join_running_stack()
    _register_plugins()
    cli()
