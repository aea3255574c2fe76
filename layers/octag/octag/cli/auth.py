"""`octag user create` and `octag auth rotate-keys`."""

from __future__ import annotations

import click

from octag.cli import cli, database_command
from octag.config import get_settings


@cli.group()
def user() -> None:
    """User accounts."""


@user.command("create")
@click.option("--email", required=True, help="The new user's email address.")
@click.option("--password", required=True, help="At least 10 characters, not a common password.")
@click.option("--role", type=click.Choice(["user", "admin"]), default="user", show_default=True)
def create_user(email: str, password: str, role: str) -> None:
    """Create a user directly in the database (e.g. the first admin)."""
    from octag.auth.service import create_user as create

    with database_command():
        created = create(email, password, role)
    click.echo(f"Created {created.role} {created.email} ({created.id}).")


@cli.group()
def auth() -> None:
    """Signing keys for access tokens."""


@auth.command("rotate-keys")
def rotate_keys() -> None:
    """Make a new current signing key; the previous one keeps verifying until tokens expire."""
    from octag.auth.keys import KeySetError
    from octag.auth.keys import rotate_keys as rotate

    secret_id = get_settings().jwt_keys_secret_id
    if not secret_id:
        raise click.ClickException("JWT_KEYS_SECRET_ID is not set (is `octag up` running in this data dir?)")
    try:
        kid = rotate(secret_id)
    except KeySetError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"New current signing key {kid}; processes pick it up within OCTAG_SIGNING_KEY_CACHE_TTL.")
