"""`assistant draft`: drafts for one or more platforms, streamed to the terminal or as JSON."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

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
    by: Annotated[Optional[str], typer.Option("--by", help="Your name, recorded in the review queue.")] = None,
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
        svc.knowledge.index_brand(svc.brand(brand))  # no-op when the index is fresh
        drafter = svc.drafter()
        if not as_json:
            info = svc.provider.describe()
            typer.echo(f"# {info['provider']} / {info['model']}"
                       + (" (bundled demo model: drafts only show the workflow)" if info["demo_model"] else ""), err=True)
        for event in drafter.stream(request):
            if event.kind == "done":
                drafts.append(_finished(svc, event.draft, queue=queue, by=by, lang=ui_language, as_json=as_json))
            elif not as_json and event.kind == "start":
                typer.echo(f"\n--- {event.platform} · variant {event.variant} ---")
            elif not as_json and event.kind == "token":
                typer.echo(event.text, nl=False)
    except AssistantError as exc:
        if as_json:  # what was created before the failure is reported with the error
            print_json({"drafts": drafts, "error": str(exc)})
            raise typer.Exit(1) from None
        if drafts:
            typer.echo(f"note: {len(drafts)} draft(s) finished before the error"
                       + (f" (queued: {', '.join(str(d['queue_item']) for d in drafts if 'queue_item' in d)})"
                          if queue else ""), err=True)
        fail(str(exc))
    if as_json:
        print_json(drafts)


def _finished(svc, d, *, queue: bool, by: str | None, lang: str, as_json: bool) -> dict:
    """One finished draft: queued if asked, printed (text mode), and its JSON form."""
    out = d.public() | {"violations": [v.rendered(lang) for v in d.violations]}
    if queue:
        item = svc.review.add_draft(d, by=by, submit=True)
        out["queue_item"] = item.id
        if not as_json:
            typer.echo(f"  queued as item {item.id} ({item.state})", err=True)
    if as_json:
        return out
    if d.repaired:
        typer.echo(f"\n[repaired] {d.text}")
    typer.echo("")
    for v in d.violations:
        typer.echo(f"  {v.severity}: {v.message(lang)}", err=True)
    cost = "n/a" if d.cost_usd is None else f"${d.cost_usd:.4f}"
    typer.echo(f"  [{d.provider}/{d.model} · {d.prompt_tokens}+{d.completion_tokens} tokens · {cost} · "
               f"{d.latency_ms} ms · {len(d.sources)} sources]", err=True)
    return out
