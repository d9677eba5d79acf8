"""`assistant queue ...`: the review queue from the command line (the same calls the UI makes).

Every command that changes something needs `--by USERNAME`: an active user whose role on the
brand allows it (checked by the library, recorded with their id). Reads show everything to the
machine's operator, or only what a user may see with `--as USERNAME`. Errors go to stderr with a
non-zero exit; `--json` prints what the library returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Optional

import typer

from assistant.cli import common
from assistant.cli.common import As, By, Json, fail, print_json
from assistant.errors import AssistantError

queue_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="The human review queue: list, show, edit, comment, approve, reject.")

UiLanguage = Annotated[str, typer.Option("--language", "--ui-language", help="Language of the messages: it | en.")]
SeenVersion = Annotated[int, typer.Option("--base-version", help="The version you read (`queue show`): a decision "
                                                                  "on a text that changed since is refused.")]
BaseVersion = Annotated[Optional[int], typer.Option("--base-version", help="Fail if the item changed since.")]


@contextmanager
def _queue() -> Iterator[Any]:
    from assistant.review import ReviewQueue

    try:
        queue = ReviewQueue.from_services(common.services())
    except AssistantError as exc:
        fail(str(exc))
    try:
        yield queue
    except AssistantError as exc:
        fail(str(exc))
    finally:
        queue.close()


def _line(item: Any) -> str:
    text = " ".join(item.text.split())
    text = text if len(text) <= 60 else text[:57] + "..."
    flags = f" [{item.error_count} errors]" if item.error_count else ""
    return (f"{item.id:>6}  {item.state:<17} {item.brand:<18} {item.platform:<10} v{item.version:<3} "
            f"{item.assignee or '-':<12} {text}{flags}")


def _done(item: Any, as_json: bool) -> None:
    if as_json:
        print_json(item.model_dump(mode="json"))
    else:
        typer.echo(f"item {item.id}: {item.state} (version {item.version}, revision {item.current_revision})")


def _act(fn: Callable[[Any], Any], as_json: bool = False) -> None:
    from assistant.review.schemas import EditConflict

    with _queue() as queue:
        try:
            result = fn(queue)
        except EditConflict as exc:  # a stale edit or decision: show what the item says now
            typer.echo(f"error: {exc}\n--- the current text (v{exc.theirs.revision} by {exc.theirs.author}):\n"
                       f"{exc.theirs.text}" + (f"\n--- yours:\n{exc.yours}" if exc.yours else ""), err=True)
            raise typer.Exit(1) from None
    _done(result, as_json)


@queue_app.command("list")
def list_(
    state: Annotated[Optional[str], typer.Option("--state")] = None,
    brand: Annotated[Optional[str], typer.Option("--brand")] = None,
    platform: Annotated[Optional[str], typer.Option("--platform")] = None,
    assignee: Annotated[Optional[str], typer.Option("--assignee")] = None,
    archived: Annotated[bool, typer.Option("--archived", help="Archived items instead.")] = False,
    page: Annotated[int, typer.Option("--page", min=1)] = 1,
    per_page: Annotated[int, typer.Option("--per-page", min=1, max=200)] = 50,
    as_user: As = None,
    as_json: Json = False,
) -> None:
    """Items, newest first."""
    with _queue() as queue:
        result = queue.list(state=state, brand=brand, platform=platform, assignee=assignee, archived=archived,
                            page=page, per_page=per_page, actor=as_user)
    if as_json:
        print_json(result.model_dump(mode="json") | {"pages": result.pages})
        return
    if not result.items:
        typer.echo("No items.")
    for item in result.items:
        typer.echo(_line(item))
    typer.echo(f"page {result.page}/{result.pages}, {result.total} items", err=True)


@queue_app.command()
def show(item_id: int, as_json: Json = False, lang: UiLanguage = "it", as_user: As = None) -> None:
    """One item: revisions, diff v0 -> current, comments, audit log."""
    with _queue() as queue:
        view = queue.get(item_id, actor=as_user)
    if as_json:
        data = view.model_dump(mode="json")
        for rev, dumped in zip(view.revisions, data["revisions"]):
            dumped["violations"] = [v.rendered(lang) for v in rev.violations]
        print_json(data)
        return
    typer.echo(f"item {view.id} · {view.brand} · {view.platform} · {view.state} · version {view.version}"
               f"{' · archived' if view.archived else ''}")
    typer.echo(f"brief: {view.brief}")
    typer.echo(f"allowed: {', '.join(view.allowed_actions) or '-'}")
    for rev in view.revisions:
        typer.echo(f"\n--- v{rev.number} by {rev.author} at {rev.created_at:%Y-%m-%d %H:%M} UTC")
        typer.echo(rev.text)
        for v in rev.violations:
            typer.echo(f"  {v.severity}: {v.message(lang)}")
    if view.unified_diff:
        typer.echo(f"\n--- diff v0 -> v{view.current_revision}\n{view.unified_diff}")
    m = view.metrics
    share = "n/a" if m.kept_share is None else f"{m.kept_share:.0%}"
    typer.echo(f"\nkept {m.kept_words}/{m.words_v0} words of v0 ({share}), edit distance {m.edit_distance} words")
    for c in view.comments:
        typer.echo(f"comment by {c.author} at {c.created_at:%Y-%m-%d %H:%M}: {c.text}")
    typer.echo("\naudit:")
    for a in view.audit:
        move = f"{a.from_state or '-'} -> {a.to_state}" if a.from_state != a.to_state else ""
        typer.echo(f"  {a.at:%Y-%m-%d %H:%M:%S} {a.actor:<16} {a.action:<16} {move} {a.note or ''}".rstrip())


@queue_app.command()
def submit(item_id: int, by: By, base_version: BaseVersion = None, as_json: Json = False) -> None:
    """Send a draft (or a changed one) for review."""
    _act(lambda q: q.submit(item_id, by=by, base_version=base_version), as_json)


@queue_app.command()
def edit(
    item_id: int, by: By,
    text: Annotated[str, typer.Option("--text", help="The whole new text.")],
    base_version: Annotated[int, typer.Option("--base-version", help="The version you edited (see `show`).")],
    as_json: Json = False,
) -> None:
    """Save a new revision; refused if someone changed the item since BASE_VERSION."""
    _act(lambda q: q.edit(item_id, text, by=by, base_version=base_version), as_json)


@queue_app.command()
def comment(item_id: int, by: By, text: Annotated[str, typer.Option("--text")], as_json: Json = False) -> None:
    """Add a comment."""
    with _queue() as queue:
        row = queue.comment(item_id, text, by=by)
    if as_json:
        print_json(row.model_dump(mode="json"))
    else:
        typer.echo(f"comment {row.id} on item {item_id}")


@queue_app.command()
def approve(
    item_id: int, by: By,
    override_reason: Annotated[Optional[str], typer.Option("--override-reason",
                                                           help="Approve despite rule errors, and say why.")] = None,
    base_version: SeenVersion = ..., as_json: Json = False,
    note: Annotated[Optional[str], typer.Option("--note", help="A note kept with the approval.")] = None,
) -> None:
    """Approve the current text (it becomes an exemplar of the brand's voice)."""
    _act(lambda q: q.approve(item_id, by=by, override_reason=override_reason, base_version=base_version, note=note),
         as_json)


Note = Annotated[str, typer.Option("--note", help="Why (kept in the audit log).")]


@queue_app.command()
def reject(item_id: int, by: By, note: Note, base_version: SeenVersion = ..., as_json: Json = False) -> None:
    """Reject the item."""
    _act(lambda q: q.reject(item_id, by=by, note=note, base_version=base_version), as_json)


@queue_app.command("request-changes")
def request_changes(item_id: int, by: By, note: Note, base_version: SeenVersion = ..., as_json: Json = False) -> None:
    """Send the item back with what to change."""
    _act(lambda q: q.request_changes(item_id, by=by, note=note, base_version=base_version), as_json)


@queue_app.command("client-approve")
def client_approve(item_id: int, by: By, note: Annotated[Optional[str], typer.Option("--note")] = None,
                   base_version: SeenVersion = ..., as_json: Json = False) -> None:
    """The client's approval (a user with the client role, the item shared with their e-mail)."""
    _act(lambda q: q.client_approve(item_id, by=by, note=note, base_version=base_version), as_json)


@queue_app.command("client-request-changes")
def client_request_changes(item_id: int, by: By, note: Note, base_version: SeenVersion = ...,
                           as_json: Json = False) -> None:
    """The client sends the item back with what to change."""
    _act(lambda q: q.client_request_changes(item_id, by=by, note=note, base_version=base_version), as_json)


@queue_app.command()
def reopen(item_id: int, by: By, note: Note, base_version: BaseVersion = None, as_json: Json = False) -> None:
    """Take an approved item back into review."""
    _act(lambda q: q.reopen(item_id, by=by, note=note, base_version=base_version), as_json)


@queue_app.command()
def assign(item_id: int, by: By, to: Annotated[str, typer.Option("--to", help="Assignee; '' to clear.")],
           as_json: Json = False) -> None:
    """Assign the item to someone."""
    _act(lambda q: q.assign(item_id, to or None, by=by), as_json)


@queue_app.command()
def schedule(item_id: int, by: By,
             when: Annotated[str, typer.Option("--when", help="ISO 8601 with offset: 2026-03-14T18:30:00+01:00")],
             as_json: Json = False) -> None:
    """Schedule an approved item."""
    try:
        at = datetime.fromisoformat(when)
    except ValueError:
        fail(f"--when {when!r} is not ISO 8601; use e.g. 2026-03-14T18:30:00+01:00", 2)
    _act(lambda q: q.schedule(item_id, at, by=by), as_json)


@queue_app.command()
def publish(item_id: int, by: By, url: Annotated[Optional[str], typer.Option("--url")] = None,
            as_json: Json = False) -> None:
    """Mark a scheduled item as published."""
    _act(lambda q: q.mark_published(item_id, by=by, url=url), as_json)


@queue_app.command()
def archive(item_id: int, by: By, note: Annotated[Optional[str], typer.Option("--note")] = None,
            as_json: Json = False) -> None:
    """Archive the item (nothing is ever deleted)."""
    _act(lambda q: q.archive(item_id, by=by, note=note), as_json)


@queue_app.command()
def metrics(
    brand: Annotated[Optional[str], typer.Option("--brand")] = None,
    platform: Annotated[Optional[str], typer.Option("--platform")] = None,
    group_by: Annotated[str, typer.Option("--by", help="Comma-separated: brand, platform, provider, model, "
                                                       "prompt_version.")] = "brand",
    as_user: As = None,
    as_json: Json = False,
) -> None:
    """Human-edit metrics: share of AI text kept, edit distance, time to approval, approval rates."""
    keys = tuple(k.strip() for k in group_by.split(",") if k.strip())
    with _queue() as queue:
        result = queue.metrics(brand=brand, platform=platform, group_by=keys, actor=as_user)
    if as_json:
        print_json(result.model_dump(mode="json"))
        return

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1%}"

    for g in [*result.groups, result.overall]:
        label = ", ".join(f"{k}={v}" for k, v in g.key.items()) or "overall"
        hours = "n/a" if g.median_seconds_to_approval is None else f"{g.median_seconds_to_approval / 3600:.1f} h"
        dist = "n/a" if g.mean_edit_distance is None else f"{g.mean_edit_distance:.1f}"
        typer.echo(f"{label}: {g.items} items, approved {g.approved}/{g.decided} ({pct(g.approval_rate)}), "
                   f"rejected {pct(g.rejection_rate)}, AI words kept {pct(g.kept_share)}, "
                   f"edit distance {dist} words, median time to approval {hours}")
