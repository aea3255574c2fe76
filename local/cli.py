"""`octag up`: the whole backend on this machine, no Docker, no AWS account."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click

from octag.config import get_settings


@click.command()
@click.option("--http-port", type=int, help="REST API port (default 3000, env OCTAG_HTTP_PORT).")
@click.option("--ws-port", type=int, help="WebSocket port (default 3001, env OCTAG_WS_PORT).")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Local state (env OCTAG_DATA_DIR).")
def up(http_port: int | None, ws_port: int | None, data_dir: Path | None) -> None:
    """Start the local stack: PostgreSQL, local AWS, the handlers behind the API Gateway emulator."""
    for name, value in (
        ("OCTAG_HTTP_PORT", http_port),
        ("OCTAG_WS_PORT", ws_port),
        ("OCTAG_DATA_DIR", data_dir),
    ):
        if value is not None:
            os.environ[name] = str(value)
    get_settings.cache_clear()
    settings = get_settings()

    from local.stack import Stack, serve  # heavy imports only once the arguments are valid

    def ready(stack: Stack) -> None:
        click.echo(
            "Octag is up.\n"
            f"  REST API     {stack.http_url}/api/health\n"
            f"  WebSocket    {stack.ws_url}\n"
            f"  @connections {stack.management_url}\n"
            f"  AWS endpoint {stack.aws_endpoint_url}\n"
            f"  PostgreSQL   {stack.database_url}\n"
            f"  Data dir     {stack.data_dir}\n"
            "Press Ctrl-C to stop.",
            err=True,
        )

    try:
        asyncio.run(serve(settings, ready))
    except OSError as exc:  # e.g. a port already in use
        raise click.ClickException(f"could not start the local stack: {exc}") from exc
    click.echo("Octag stopped.", err=True)
