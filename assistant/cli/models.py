"""`assistant models show|set|test`: the model choice the app's panel saves (the operator of the
machine acts as an administrator, or `--by ADMIN`). Keys are read from standard input, never
from the command line (it stays in the shell's history), and printed only masked."""

from __future__ import annotations

import getpass
import sys
from dataclasses import asdict
from typing import Annotated, Optional

import typer

from assistant.cli import common
from assistant.cli.common import Json, fail, print_json
from assistant.errors import AssistantError

models_app = typer.Typer(add_completion=False, no_args_is_help=True,
                         help="Who writes the drafts: show, set and test the choice saved in ASSISTANT_HOME.")

ByAdmin = Annotated[Optional[str], typer.Option("--by", help="An administrator's username (default: you, the "
                                                             "operator of this machine).")]
Provider = Annotated[str, typer.Argument(help="local | openai | compatible")]
Model = Annotated[Optional[str], typer.Option("--model", help="The model's name (local: a .gguf path).")]
BaseUrl = Annotated[Optional[str], typer.Option("--base-url", help="compatible: e.g. http://127.0.0.1:11434/v1")]
KeyStdin = Annotated[bool, typer.Option("--key-stdin", help="Read the API key from standard input.")]


def _context(by: str | None):
    from assistant.accounts.schemas import operator

    svc = common.services(check=False)
    actor = svc.people.actor(by) if by else operator(getpass.getuser())
    return svc, actor, svc.models.load()


def _form(provider: str, model: str | None, base_url: str | None, key_stdin: bool, saved):
    from assistant.drafting.models import changed, problems

    key = sys.stdin.readline().strip() if key_stdin else None
    if key_stdin and not key:
        fail("--key-stdin: standard input was empty", 2)
    local = provider == "local"
    choice = changed(saved, provider=provider, model=None if local else model, base_url=base_url,
                     local_model_path=model if local else None, api_key=key)
    found = problems(choice)
    if found:
        fail(f"the choice is incomplete ({', '.join(found)}): see `assistant models set --help`", 2)
    return choice


@models_app.command("show")
def show(as_json: Json = False) -> None:
    """What the drafts use now, what is saved, and which environment variables win over it."""
    from assistant.drafting.models import status

    try:
        svc = common.services(check=False)
        now = status(svc.settings, svc.models.load())
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        print_json({"provider": now.provider, "model": now.model, "base_url": now.base_url, "key": now.key,
                    "key_from": now.key_from, "overrides": now.overrides, "saved": now.saved})
        return
    typer.echo(f"drafts use: {now.provider} / {now.model}" + (f" at {now.base_url}" if now.base_url else ""))
    if now.key:
        typer.echo(f"key: {now.key} ({'saved' if now.key_from == 'saved' else now.key_from})")
    for name, variable in now.overrides.items():
        typer.echo(f"{variable} is set in the environment: it wins over the saved {name}")


@models_app.command("set")
def set_choice(provider: Provider, model: Model = None, base_url: BaseUrl = None, key_stdin: KeyStdin = False,
               by: ByAdmin = None, as_json: Json = False) -> None:
    """Save who writes the drafts, for the app and every command on this ASSISTANT_HOME."""
    try:
        svc, actor, saved = _context(by)
        choice = svc.models.save(_form(provider, model, base_url, key_stdin, saved), by=actor)
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        print_json(choice.public())
        return
    typer.echo(f"saved: {choice.provider}" + (f" / {choice.model}" if choice.model else "")
               + (f" (key {choice.public()['key']})" if choice.key() else ""))


@models_app.command("test")
def test_choice(provider: Annotated[Optional[str], typer.Argument(help="Test this instead of the saved choice.")] = None,
                model: Model = None, base_url: BaseUrl = None, key_stdin: KeyStdin = False, by: ByAdmin = None,
                as_json: Json = False) -> None:
    """One short completion with the saved choice (or the one given): the answer, or the exact error."""
    from assistant.drafting.models import check_connection

    try:
        svc, actor, saved = _context(by)
        choice = _form(provider, model, base_url, key_stdin, saved) if provider else saved
        if choice.provider is None:
            fail("nothing is saved yet: name a provider (`assistant models test compatible --base-url ...`)", 2)
        result = check_connection(svc.settings, choice, by=actor)
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        print_json(asdict(result))
    elif result.ok:
        typer.echo(f"{result.provider} / {result.model} answered in {result.latency_ms} ms:\n{result.answer}")
    else:
        typer.echo(f"error: {result.provider} / {result.model or '-'} failed ({result.failure}): {result.detail}",
                   err=True)
    if not result.ok:
        raise typer.Exit(1)
