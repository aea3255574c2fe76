"""The `octag` command. Subcommands live beside this module; the local runtime adds `octag up`
through the `octag.commands` entry point so this package never imports `local`."""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from octag import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="octag")
def cli() -> None:
    """Octag: serverless AI chatbot backend. Run `octag up` for the local stack."""


def _register_plugins() -> None:
    for ep in entry_points(group="octag.commands"):
        try:
            cli.add_command(ep.load(), ep.name)
        except ImportError as exc:  # the `local` extra is not installed (e.g. in a Lambda layer)

            @cli.command(ep.name, help=f"Unavailable: {exc}")
            def _missing(exc: ImportError = exc) -> None:
                raise click.ClickException(f"install octag[local] to use this command ({exc})")


def main() -> None:
    from octag.cli import db  # noqa: F401  (registers `octag db`)

    _register_plugins()
    cli()
