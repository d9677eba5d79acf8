"""`assistant share ...`: client approval links.

    assistant share BRAND ITEM... --to "Name <e-mail>" [--expires 7d] [--by USER] [--json]
    assistant share list BRAND [--json]
    assistant share revoke ID [--by USER]
"""

from __future__ import annotations

import getpass
import re
from datetime import timedelta
from typing import Annotated, Optional

import typer

from assistant.cli import common
from assistant.cli.common import Json, fail, print_json
from assistant.errors import AssistantError

DURATION_RE = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")


def parse_duration(value: str) -> timedelta:
    match = DURATION_RE.match(value or "")
    if not match:
        fail(f"--expires {value!r}: write a number and d, h or m (7d, 48h, 30m)", 2)
    n, unit = int(match.group(1)), match.group(2)
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]


def share(
    args: Annotated[list[str], typer.Argument(help="BRAND ITEM... | list BRAND | revoke ID")],
    to: Annotated[Optional[str], typer.Option("--to", help='The client: "Name <e-mail>".')] = None,
    expires: Annotated[str, typer.Option("--expires", help="How long the link works: 7d, 48h, 30m.")] = "7d",
    by: Annotated[Optional[str], typer.Option("--by", help="Your username (default: the operator of this "
                                                           "machine, as an administrator).")] = None,
    as_json: Json = False,
) -> None:
    """Share items with a client for approval: a link that opens only those items."""
    from assistant.accounts.schemas import operator

    try:
        svc = common.services(check=False)
        actor = svc.people.actor(by) if by else operator(getpass.getuser())
        if args[0] == "revoke":
            for share_id in _ids(args[1:], "revoke ID"):
                svc.shares.revoke(share_id, by=actor)
                typer.echo(f"share link {share_id} revoked")
            return
        if args[0] == "list":
            _list(svc, args[1:], actor, as_json)
            return
        if to is None:
            fail('--to: who receives the link, e.g. --to "Anna Neri <anna@client.it>"', 2)
        made = svc.shares.create(args[0], _ids(args[1:], "BRAND ITEM..."), to=to, by=actor,
                                 expires=parse_duration(expires))
    except AssistantError as exc:
        fail(str(exc))
    url = svc.share_url(made.token)
    if as_json:
        print_json(made.share.model_dump(mode="json") | {"url": url})
        return
    typer.echo(f"share link {made.share.id} for {made.share.to_name}, items {', '.join(map(str, made.share.item_ids))}, "
               f"until {made.share.expires_at:%Y-%m-%d %H:%M} UTC:\n{url}")


def _ids(values: list[str], usage: str) -> list[int]:
    if not values or not all(v.isdigit() for v in values):
        fail(f"usage: assistant share {usage} (ids are numbers: `assistant queue list` shows them)", 2)
    return [int(v) for v in values]


def _list(svc, values: list[str], actor, as_json: bool) -> None:
    if len(values) != 1:
        fail("usage: assistant share list BRAND", 2)
    shares = svc.shares.list(values[0], by=actor)
    if as_json:
        print_json([s.model_dump(mode="json") | {"state": s.state(svc.review.clock())} for s in shares])
        return
    for s in shares:
        typer.echo(f"{s.id:>5}  {s.state(svc.review.clock()):<8} {s.to_name:<24} items {','.join(map(str, s.item_ids)):<16} "
                   f"until {s.expires_at:%Y-%m-%d %H:%M} UTC")
    if not shares:
        typer.echo("No share links.")
