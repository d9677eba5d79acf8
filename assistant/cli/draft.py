"""`assistant draft`: drafts for one or more platforms, streamed to the terminal or as JSON."""

from __future__ import annotations

import getpass
from typing import Annotated, Any, NoReturn, Optional

import typer

from assistant.accounts.schemas import operator
from assistant.cli import common
from assistant.cli.common import fail, print_json
from assistant.errors import AssistantError

MediaIds = Annotated[Optional[list[int]], typer.Option(
    "--media", help="With --queue: a media id of the brand's library (`assistant media list BRAND`), attached to "
                    "every queued draft in the order given (repeatable).")]
AltTexts = Annotated[Optional[list[str]], typer.Option(
    "--alt", help="Alt text of the n-th --media (repeatable, same order; without it: the file's own alt text, "
                  "else a proposal to confirm).")]


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
    media: MediaIds = None,
    alt: AltTexts = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Draft posts for one or more platforms; streams to the terminal, or prints JSON."""
    if queue and not (by or "").strip():
        fail("--queue needs --by NAME (who puts the drafts in the review queue)", 2)
    chosen = _media_options(media or [], alt or [], queue=queue)
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
        _check_media(svc, brand, chosen)  # before anything is generated as well
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
                                        keep_incomplete=keep_incomplete, media=chosen))
            elif not as_json and event.kind == "start":
                typer.echo(f"\n--- {event.platform} · variant {event.variant} ---")
            elif not as_json and event.kind == "token":
                typer.echo(event.text, nl=False)
    except AssistantError as exc:
        _failed(exc, drafts, queue=queue, as_json=as_json)
    if as_json:
        print_json(drafts)
    _fail_if_incomplete(drafts, queue=queue, keep_incomplete=keep_incomplete)


def _media_options(media: list[int], alts: list[str], *, queue: bool) -> list[Any]:
    """--media and --alt as the card's media: a usage error (exit 2) when they do not fit."""
    from assistant.desk import DraftMedia

    if media and not queue:
        fail("--media attaches files to queued drafts: add --queue --by NAME", 2)
    if alts and len(alts) > len(media):
        fail(f"{len(alts)} --alt for {len(media)} --media: give at most one alt text per file, in the same order", 2)
    if len(set(media)) != len(media):
        fail("the same --media id is given twice: give each file once", 2)
    texts = [a.strip() or None for a in alts] + [None] * (len(media) - len(alts))
    return [DraftMedia(media_id=m, alt=a) for m, a in zip(media, texts)]


def _check_media(svc: Any, brand: str, chosen: list[Any]) -> None:
    """Each --media is a file of the brand's library (exit 2 naming the command that lists them)."""
    from assistant.media import MediaError

    for m in chosen:
        try:
            found = svc.media.get(m.media_id)
        except MediaError:
            found = None
        if found is None or found.brand != brand:
            where = "" if found is None else f" (it is a file of {found.brand})"
            fail(f"--media {m.media_id}: no such media in the library of {brand}{where}; "
                 f"`assistant media list {brand}` shows the ids", 2)


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


def _finished(svc, d, *, queue: bool, by: Any, lang: str, as_json: bool, keep_incomplete: bool,
              media: list[Any]) -> dict:
    """One finished draft: queued (with its media) if asked, printed (text mode), and its JSON form."""
    from assistant.desk.sending import attach_missing

    out = d.public() | {"violations": [v.rendered(lang) for v in d.violations],
                        "incomplete_message": d.incomplete_message(lang)}
    if queue and (d.complete or keep_incomplete):
        item = svc.review.add_draft(d, by=by, submit=d.complete, keep_incomplete=keep_incomplete)
        out["queue_item"] = item.id
        attached = attach_missing(svc.attachments, item.id, media, by=by) if media else []
        out["media"] = [a.media_id for a in attached]
        if not as_json:
            typer.echo(f"  queued as item {item.id} ({item.state})"
                       + (f" with media {', '.join(str(i) for i in out['media'])}" if attached else ""), err=True)
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
