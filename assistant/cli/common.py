"""What every `assistant` sub-command shares: option types, error exits, JSON output."""

from __future__ import annotations

import json
from typing import Annotated, Any, NoReturn, Optional

import typer

By = Annotated[str, typer.Option("--by", help="Your username: an active user with the right role on the brand "
                                               "(`assistant users list`); recorded on every change.")]
# Reads: the operator of the machine sees everything (they hold the database); `--as USER` shows
# only what that user may see.
As = Annotated[Optional[str], typer.Option("--as", help="Show only what this user may see.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def services(*, check: bool = True, **overrides: Any) -> Any:
    """The library's composition root for one command (settings from the environment and flags).
    With `check`, an index left by a writer that died mid-write is checked and repaired first."""
    from assistant.knowledge.doctor import after_crash
    from assistant.services import Services
    from assistant.settings import load_settings

    svc = Services(load_settings(**overrides) if overrides else None)
    for note in after_crash(svc) if check else []:  # a writer died mid-write: checked (and repaired) before we open the store
        typer.echo(f"note: {note}", err=True)
    return svc


def fail(message: str, code: int = 1) -> NoReturn:
    """The reason on stderr and a non-zero exit (1: it failed; 2: the command line was wrong)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def parse_mapping(items: list[str], example: str = "text=Messaggio") -> dict[str, str]:
    """`--map FIELD=COLUMN` options into a mapping; a malformed one is a usage error (exit 2)."""
    mapping = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            fail(f"--map expects FIELD=COLUMN (e.g. --map {example}), got {item!r}", 2)
        mapping[field.strip()] = column.strip()
    return mapping
