"""`octag search`: hybrid retrieval from the command line, one query or a batch, as text or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from octag import db
from octag.cli import cli, database_command, read_batch


@cli.command("search")
@click.argument("query", required=False)
@click.option("--collection", required=True, help="Collection to search.")
@click.option("-k", "k", default=10, show_default=True, help="Results per query.")
@click.option(
    "--mode", type=click.Choice(["hybrid", "keyword", "vector"]), default="hybrid", show_default=True
)
@click.option("--fusion", type=click.Choice(["weighted", "rrf"]), default="weighted", show_default=True)
@click.option("--keyword-weight", type=float, default=0.7, show_default=True)
@click.option("--vector-weight", type=float, default=0.3, show_default=True)
@click.option("--area", multiple=True, help="Catalog filter: area or a synonym (repeatable).")
@click.option("--genre", multiple=True, help="Catalog filter: any of these genres (repeatable).")
@click.option("--players", type=int, help="Catalog filter: a party of this many fits.")
@click.option("--difficulty", multiple=True, type=click.Choice(["easy", "normal", "hard"]))
@click.option("--max-price", type=int, help="Catalog filter: price per person at most (won).")
@click.option("--max-duration", type=int, help="Catalog filter: minutes at most.")
@click.option(
    "--batch",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of queries: one a line, or JSONL with a `query` field. Prints one JSONL line per query.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def search_command(
    query: str | None, batch: Path | None, as_json: bool, area: tuple[str, ...], genre: tuple[str, ...],
    difficulty: tuple[str, ...], players: int | None, max_price: int | None, max_duration: int | None,
    **options: Any,
) -> None:  # fmt: skip
    """Search a collection: `octag search "강남 공포 테마" --collection escape_rooms`."""
    from octag.search.hybrid import SearchQuery, search

    if (query is None) == (batch is None):
        raise click.UsageError("Give either a QUERY or --batch FILE.")
    filters = {
        "area": list(area) or None, "genres": list(genre) or None, "difficulty": list(difficulty) or None,
        "party_size": players, "max_price": max_price, "max_duration": max_duration,
    }  # fmt: skip
    queries = [query] if query is not None else read_batch(batch, "query")
    try:
        with database_command(), db.connection() as conn:
            for text in queries:
                hits = search(conn, SearchQuery(query=text, filters=filters, **options))
                results = [_result(hit.model_dump()) for hit in hits]
                if batch is not None:
                    click.echo(json.dumps({"query": text, "results": results}, ensure_ascii=False))
                elif as_json:
                    click.echo(json.dumps(results, ensure_ascii=False, indent=2))
                else:
                    _print_text(results)
    except ValidationError as exc:
        raise click.UsageError(_first_problem(exc)) from None


def _result(hit: dict[str, Any]) -> dict[str, Any]:
    """The stable JSON shape (id, chunk_id, score, text, metadata), then the extras."""
    return {key: hit[key] for key in ("id", "chunk_id", "score", "text", "metadata", "title", "scores")}


def _print_text(results: list[dict[str, Any]]) -> None:
    if not results:
        click.echo("No results.")
    for rank, hit in enumerate(results, start=1):
        scores = hit["scores"]
        parts = [f"{name} {scores[name]:.3f}" for name in ("keyword", "vector") if scores[name] is not None]
        click.echo(f"{rank:>2}. {hit['id']}  score {hit['score']:.3f}  ({', '.join(parts)})")
        click.echo("    " + " ".join(hit["text"].split())[:200])


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]
