"""`assistant draft`: drafts for one or more platforms, streamed to the terminal or as JSON."""

from __future__ import annotations

import getpass
from typing import Annotated, Any, NoReturn, Optional

import typer

from assistant.accounts.schemas import operator
from assistant.cli import common
from assistant.cli.common import fail, print_json
from assistant.errors import AssistantError


def draft(
    brand: Annotated[str, typer.Argument(help="Brand slug.")],
    platform: Annotated[list[str], typer.Option("--platform", "-p", help="Platform (repeatable).")],
    brief: Annotated[str, typer.Option("--brief", "-b", help="What the post is about.")],
    variants: Annotated[int, typer.Option("--variants", "-n", min=1, max=5)] = 1,
    goal: Annotated[str, typer.Option("--goal", help="awareness | engagement | traffic | conversion | community")] = "engagement",
    language: Annotated[Optional[str], typer.Option("--language", "-l", help="ISO code; default: the brand's")] = None,
    link: Annotated[Optional[str], typer.Option("--link")] = None,
    cta: Annotated[Optional[str], typer.Option("--cta", help="Call to action.")] = None,
    provider: Annotated[Optional[str], typer.Option("--provider", help="openai | compatible | local | fake")] = None,
    ui_language: Annotated[str, typer.Option("--ui-language", "--language-ui",
                                             help="Language of the messages: it | en.")] = "it",
    queue: Annotated[bool, typer.Option("--queue", help="Put the drafts in the review queue (needs --by).")] = False,
    by: Annotated[Optional[str], typer.Option("--by", help="Your username (a user with a drafting role on the brand), recorded in the review queue.")] = None,
    keep_incomplete: Annotated[bool, typer.Option("--keep-incomplete", help="With --queue: keep a cut-off or "
                                                  "empty answer as a draft (never sent to review).")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Draft posts for one or more platforms; streams to the terminal, or prints JSON."""
    if queue and not (by or "").strip():
        fail("--queue needs --by NAME (who puts the drafts in the review queue)", 2)
    from pydantic import ValidationError

    from assistant.drafting.schemas import DraftRequest

    try:
        request = DraftRequest(brand=brand, platforms=platform, brief=brief, goal=goal, language=language,
                               variants=variants, link=link, call_to_action=cta)
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()), 2)
    drafts: list[dict] = []
    try:
        svc = common.services(provider=provider) if provider else common.services()
        # --by names a user with a drafting role on the brand: checked before anything is generated
        actor = svc.review.actor(by) if queue else None
        # who asks: --by, else the operator of the machine (a refusal by the brand's policy names them)
        asker = actor or operator(getpass.getuser())
        svc.knowledge.index_brand(svc.brand(brand), by=asker)  # no-op when the index is fresh
        drafter = svc.drafter(actor=asker)
        if not as_json:
            info = svc.provider.describe()
            typer.echo(f"# {info['provider']} / {info['model']}"
                       + (" (bundled demo model: drafts only show the workflow)" if info["demo_model"] else ""), err=True)
        for event in drafter.stream(request):
            if event.kind == "done":
                drafts.append(_finished(svc, event.draft, queue=queue, by=actor or by, lang=ui_language, as_json=as_json,
                                        keep_incomplete=keep_incomplete))
            elif not as_json and event.kind == "start":
                typer.echo(f"\n--- {event.platform} · variant {event.variant} ---")
            elif not as_json and event.kind == "token":
                typer.echo(event.text, nl=False)
    except AssistantError as exc:
        _failed(exc, drafts, queue=queue, as_json=as_json)
    if as_json:
        print_json(drafts)
    _fail_if_incomplete(drafts, queue=queue, keep_incomplete=keep_incomplete)


def _failed(exc: AssistantError, drafts: list[dict], *, queue: bool, as_json: bool) -> NoReturn:
    """Exit with the error; the drafts finished (and queued) before it are reported with it."""
    if as_json:
        print_json({"drafts": drafts, "error": str(exc)})
        raise typer.Exit(1) from None
    if drafts:
        typer.echo(f"note: {len(drafts)} draft(s) finished before the error"
                   + (f" (queued: {', '.join(str(d['queue_item']) for d in drafts if 'queue_item' in d)})"
                      if queue else ""), err=True)
    fail(str(exc))


def _fail_if_incomplete(drafts: list[dict], *, queue: bool, keep_incomplete: bool) -> None:
    """A cut or empty answer is never passed off as a finished draft: exit 1 naming them."""
    incomplete = [d for d in drafts if not d["complete"]]
    if incomplete:
        typer.echo(f"error: {len(incomplete)} of {len(drafts)} draft(s) are incomplete: "
                   + "; ".join(d["incomplete_message"] for d in incomplete)
                   + ("" if keep_incomplete or not queue else "; not queued: retry, or pass --keep-incomplete"),
                   err=True)
        raise typer.Exit(1)


def _finished(svc, d, *, queue: bool, by: Any, lang: str, as_json: bool, keep_incomplete: bool) -> dict:
    """One finished draft: queued if asked, printed (text mode), and its JSON form."""
    out = d.public() | {"violations": [v.rendered(lang) for v in d.violations],
                        "incomplete_message": d.incomplete_message(lang)}
    if queue and (d.complete or keep_incomplete):
        item = svc.review.add_draft(d, by=by, submit=d.complete, keep_incomplete=keep_incomplete)
        out["queue_item"] = item.id
        if not as_json:
            typer.echo(f"  queued as item {item.id} ({item.state})", err=True)
    if as_json:
        return out
    if d.repaired:
        typer.echo(f"\n[repaired] {d.text}")
    typer.echo("")
    if not d.complete:
        typer.echo(f"  INCOMPLETE: {d.incomplete_message(lang)}", err=True)
    for v in d.violations:
        typer.echo(f"  {v.severity}: {v.message(lang)}", err=True)
    cost = "n/a" if d.cost_usd is None else f"${d.cost_usd:.4f}"
    typer.echo(f"  [{d.provider}/{d.model} · {d.prompt_tokens}+{d.completion_tokens} tokens · {cost} · "
               f"{d.latency_ms} ms · {len(d.sources)} sources]", err=True)
    return out
