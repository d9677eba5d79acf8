"""`assistant users ...`: the accounts of this installation (the operator of the machine acts as
an administrator, or as `--by ADMIN`)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated, Optional

import typer

from assistant.cli import common
from assistant.cli.common import Json, fail, print_json
from assistant.errors import AssistantError

users_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="Accounts: add, list, grant and revoke roles, passwords, disable.")

Role = Annotated[str, typer.Option("--role", help="admin | approver | editor | client | viewer")]
Brands = Annotated[Optional[list[str]], typer.Option("--brand", help="A brand slug (repeat for several); "
                                                                       "none: every brand.")]
ByAdmin = Annotated[Optional[str], typer.Option("--by", help="An administrator's username (default: you, the "
                                                             "operator of this machine).")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")]


def _directory():
    try:
        return common.services(check=False).people
    except AssistantError as exc:
        fail(str(exc))


def _by(directory, username: str | None):
    from assistant.accounts.schemas import operator

    return directory.actor(username) if username else operator(getpass.getuser())


def _password(from_stdin: bool, *, required: bool) -> str | None:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            fail("--password-stdin: standard input was empty", 2)
        return value
    if not sys.stdin.isatty():
        if required:
            fail("no terminal to ask for the password: pipe it with --password-stdin", 2)
        return None  # no password: the user signs in with OpenID Connect, or gets one with `users passwd`
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _show(user, as_json: bool) -> None:
    if as_json:
        print_json(user.model_dump(mode="json"))
        return
    roles = ", ".join(str(g) for g in user.grants) or "no roles"
    state = "active" if user.active else "disabled"
    typer.echo(f"{user.username:<16} {user.name:<24} {user.email or '-':<28} {state:<8} {roles}")


@users_app.command()
def add(username: str, name: Annotated[str, typer.Option("--name", help="Full name, as the audit log shows it.")],
        role: Role, email: Annotated[Optional[str], typer.Option("--email")] = None, brand: Brands = None,
        password_stdin: PasswordStdin = False, by: ByAdmin = None, as_json: Json = False) -> None:
    """Add a user with a role on some brands (or all)."""
    directory = _directory()
    try:
        secret = _password(password_stdin, required=False)
        grants = [(role, b) for b in brand] if brand else [(role, None)]
        user = directory.add(username, name=name, email=email, password=secret, grants=grants,
                             by=_by(directory, by) if directory.count() else None)
    except AssistantError as exc:
        fail(str(exc))
    _show(user, as_json)


@users_app.command("list")
def list_(as_json: Json = False) -> None:
    """Every user with their roles."""
    users = _directory().list()
    if as_json:
        print_json([u.model_dump(mode="json") for u in users])
        return
    if not users:
        typer.echo("No users yet: `assistant users add USERNAME --name 'Full Name' --role admin`, or open the app.")
    for user in users:
        _show(user, False)


def _roles(change: str, username: str, role: str, brands: list[str] | None, by: str | None, as_json: bool) -> None:
    directory = _directory()
    try:
        for slug in brands or [None]:
            user = getattr(directory, change)(username, role, slug, by=_by(directory, by))
    except AssistantError as exc:
        fail(str(exc))
    _show(user, as_json)


@users_app.command()
def grant(username: str, role: str, brand: Brands = None, by: ByAdmin = None, as_json: Json = False) -> None:
    """Give USERNAME the ROLE on some brands (or all)."""
    _roles("grant", username, role, brand, by, as_json)


@users_app.command()
def revoke(username: str, role: str, brand: Brands = None, by: ByAdmin = None, as_json: Json = False) -> None:
    """Take the ROLE on some brands (or the all-brands one) away from USERNAME."""
    _roles("revoke", username, role, brand, by, as_json)


@users_app.command()
def passwd(username: str, password_stdin: PasswordStdin = False, by: ByAdmin = None) -> None:
    """Set USERNAME's password (asked twice, or read from standard input); unlocks the account."""
    directory = _directory()
    try:
        secret = _password(password_stdin, required=True)
        directory.set_password(username, secret or "", by=_by(directory, by))
    except AssistantError as exc:
        fail(str(exc))
    typer.echo(f"password of {username} changed")


@users_app.command()
def disable(username: str, by: ByAdmin = None, enable: Annotated[bool, typer.Option("--enable")] = False) -> None:
    """Disable USERNAME (their sessions stop working; the history keeps their name); --enable undoes it."""
    directory = _directory()
    try:
        user = directory.set_active(username, enable, by=_by(directory, by))
    except AssistantError as exc:
        fail(str(exc))
    typer.echo(f"{user.username}: {'active' if user.active else 'disabled'}")
