"""`assistant accounts ...`: a brand's connected accounts (Mastodon, Bluesky), to publish to.

    assistant accounts add BRAND --platform mastodon --instance URL --token-stdin --by NAME
    assistant accounts add BRAND --platform bluesky --handle H [--service URL] --app-password-stdin --by NAME
    assistant accounts list [BRAND] [--json]
    assistant accounts test ID --by NAME [--json]
    assistant accounts reconnect ID --token-stdin | --app-password-stdin --by NAME
    assistant accounts remove ID --by NAME

The secret is read from standard input (never from the command line: it would stay in the shell
history and in the process list), sealed with the installation's key, and never printed again.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Optional

import typer

from assistant.cli import common
from assistant.cli.common import By, Json, fail, print_json
from assistant.errors import AssistantError

accounts_app = typer.Typer(add_completion=False, no_args_is_help=True,
                           help="Connected accounts of the brands (Mastodon, Bluesky): add, list, test, remove.")

TokenStdin = Annotated[bool, typer.Option("--token-stdin", help="Read the Mastodon access token from standard input.")]
PasswordStdin = Annotated[bool, typer.Option("--app-password-stdin",
                                             help="Read the Bluesky app password from standard input.")]


@contextmanager
def _services() -> Iterator[Any]:
    try:
        yield common.services(check=False)
    except AssistantError as exc:
        fail(str(exc))


def _read_secret(network: str, token_stdin: bool, password_stdin: bool) -> str:
    flag = "--token-stdin" if network == "mastodon" else "--app-password-stdin"
    if not (token_stdin if network == "mastodon" else password_stdin):
        fail(f"give the {'access token' if network == 'mastodon' else 'app password'} on standard input with {flag} "
             "(never on the command line: it would stay in the shell history)", 2)
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("secret (not shown): ")
    return sys.stdin.readline().strip()


def _line(c: Any) -> str:
    tested = ("never tested" if c.last_tested_at is None else
              f"tested {c.last_tested_at:%Y-%m-%d %H:%M} UTC: {'ok' if c.last_test_ok else 'failed'}"
              f" ({c.last_test_message})")
    status = c.status + (f" ({c.status_reason})" if c.status_reason else "")
    return f"{c.id:>4}  {c.brand:<18} {c.network:<9} {c.handle or '-':<28} {c.base_url:<32} {status}; {tested}"


def _show(c: Any, as_json: bool) -> None:
    if as_json:
        print_json(c.as_dict())
    else:
        typer.echo(_line(c))


@accounts_app.command()
def add(
    brand: str, by: By,
    platform: Annotated[str, typer.Option("--platform", help="mastodon | bluesky")],
    instance: Annotated[Optional[str], typer.Option("--instance", help="Mastodon: the instance, "
                                                                       "e.g. https://mastodon.social")] = None,
    handle: Annotated[str, typer.Option("--handle", help="Bluesky: the handle, e.g. brand.bsky.social")] = "",
    service: Annotated[Optional[str], typer.Option("--service", help="Bluesky: the PDS (default "
                                                                     "https://bsky.social)")] = None,
    token_stdin: TokenStdin = False, app_password_stdin: PasswordStdin = False,
    no_test: Annotated[bool, typer.Option("--no-test", help="Do not sign in to test the account now.")] = False,
    as_json: Json = False,
) -> None:
    """Connect a brand's account (administrators of the brand only)."""
    network = platform.strip().lower()
    if network == "mastodon" and not instance:
        fail("--instance: give the Mastodon instance's address (e.g. https://mastodon.social)", 2)
    secret = _read_secret(network, token_stdin, app_password_stdin) if network in ("mastodon", "bluesky") else ""
    with _services() as svc:
        try:
            made = svc.connections.add(brand, network, secret=secret, by=by, handle=handle,
                                       base_url=instance if network == "mastodon" else service)
            if not no_test:
                made = svc.connections.test(made.id, by=by)
        except AssistantError as exc:
            fail(str(exc))
    _show(made, as_json)
    if made.last_test_ok is False:
        typer.echo(f"warning: the account was added but the test failed: {made.last_test_message}", err=True)


@accounts_app.command("list")
def list_(brand: Annotated[Optional[str], typer.Argument()] = None,
          removed: Annotated[bool, typer.Option("--removed", help="Removed accounts too.")] = False,
          as_user: common.As = None, as_json: Json = False) -> None:
    """The connected accounts (never their secrets)."""
    with _services() as svc:
        try:
            rows = svc.connections.list(brand, actor=as_user, removed=removed)
        except AssistantError as exc:
            fail(str(exc))
    if as_json:
        print_json([c.as_dict() for c in rows])
        return
    if not rows:
        typer.echo("No connected accounts.")
    for c in rows:
        typer.echo(_line(c) + (f" [removed {c.removed_at:%Y-%m-%d}]" if c.removed_at else ""))


@accounts_app.command()
def test(connection_id: int, by: By, as_json: Json = False) -> None:
    """Sign in and ask the network who the account is (the answer is recorded)."""
    with _services() as svc:
        try:
            result = svc.connections.test(connection_id, by=by)
        except AssistantError as exc:
            fail(str(exc))
    _show(result, as_json)
    if not result.last_test_ok:
        raise typer.Exit(1)


@accounts_app.command()
def reconnect(connection_id: int, by: By, token_stdin: TokenStdin = False, app_password_stdin: PasswordStdin = False,
              as_json: Json = False) -> None:
    """A new secret for an account (after a revoked token): its waiting posts go out again."""
    with _services() as svc:
        try:
            current = svc.connections.get(connection_id)
            secret = _read_secret(current.network, token_stdin, app_password_stdin)
            svc.connections.reconnect(connection_id, secret=secret, by=by)
            result = svc.connections.test(connection_id, by=by)
        except AssistantError as exc:
            fail(str(exc))
    _show(result, as_json)


@accounts_app.command()
def remove(connection_id: int, by: By, as_json: Json = False) -> None:
    """Remove an account (kept in the record); its waiting posts are cancelled."""
    with _services() as svc:
        try:
            result = svc.connections.remove(connection_id, by=by)
        except AssistantError as exc:
            fail(str(exc))
    if as_json:
        print_json(result.as_dict())
    else:
        typer.echo(f"account {result.id} ({result.network} {result.handle}) removed")
