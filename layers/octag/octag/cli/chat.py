"""`octag chat`: one chat turn (or a batch of independent ones) through the same pipeline as the APIs."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import click
from pydantic import ValidationError

from octag.cli import cli, database_command, read_batch

CLI_USER = "cli@octag.example"
# The stable shape of `octag chat --json` (ARCHITECTURE.md), then the extras.
JSON_FIELDS = ("message", "intent", "entities", "answer", "recommendations", "sources", "usage")


@cli.command("chat")
@click.argument("message", required=False)
@click.option(
    "--session", "session_id", type=click.UUID, help="Continue this session (printed after each turn)."
)
@click.option(
    "--batch",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of messages: one a line, or JSONL with a `message` field; each an independent one-turn "
    "conversation, printed as one JSONL line.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the turn as JSON.")
@click.option(
    "--user",
    "email",
    default=CLI_USER,
    show_default=True,
    help="Whose sessions the turns belong to (created on first use when it is the default).",
)
def chat_command(
    message: str | None, session_id: UUID | None, batch: Path | None, as_json: bool, email: str
) -> None:
    """Ask the chatbot: `octag chat "강남에서 무서운 테마 추천해줘"`."""
    from octag.chat.pipeline import run_turn
    from octag.chat.schema import TurnRequest

    if (message is None) == (batch is None):
        raise click.UsageError("Give either a MESSAGE or --batch FILE.")
    if batch is not None and session_id is not None:
        raise click.UsageError("--batch runs independent conversations: it takes no --session.")
    messages = [message] if message is not None else read_batch(batch, "message")
    with database_command():
        user_id = _user_id(email)
        try:
            requests = [TurnRequest(message=text, session_id=session_id) for text in messages]
        except ValidationError as exc:
            error = exc.errors()[0]
            raise click.UsageError(f"{'.'.join(map(str, error['loc']))}: {error['msg']}") from None
        if batch is not None:
            with click.progressbar(requests, label="chat", file=sys.stderr) as bar:
                for request in bar:
                    click.echo(
                        json.dumps(
                            _shape(run_turn(user_id, request).model_dump(mode="json")), ensure_ascii=False
                        )
                    )
            return
        stream = None if as_json else lambda text: click.echo(text, nl=False)
        result = run_turn(user_id, requests[0], on_chunk=stream).model_dump(mode="json")
    if as_json:
        click.echo(json.dumps(_shape(result), ensure_ascii=False, indent=2))
        return
    click.echo()
    click.secho(
        f"\n[{result['intent']} · {result['latency_ms']:.0f} ms · session {result['session_id']}]"
        + (f"\n[fallback: {result['fallback_reason']}]" if result["fallback_reason"] else ""),
        dim=True,
    )


def _user_id(email: str) -> str:
    from octag import db
    from octag.auth import repository, service

    with db.connection() as conn:
        row = repository.user_by_email(conn, email)
    if row is not None:
        return str(row.id)
    if email != CLI_USER:
        raise click.ClickException(f"No user {email}: create it with `octag user create`.")
    return service.create_user(CLI_USER, secrets.token_urlsafe(24)).id


def _shape(result: dict[str, Any]) -> dict[str, Any]:
    return {**{key: result[key] for key in JSON_FIELDS}, **result}
