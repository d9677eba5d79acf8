"""The `assistant` command line: the same library calls the UI uses. `--json` for machines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.cli_common import fail, parse_mapping, print_json
from assistant.errors import AssistantError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Copydesk: brand-voice drafting desk.")


def _services(**overrides):
    from assistant.services import Services
    from assistant.settings import load_settings

    return Services(load_settings(**overrides) if overrides else None)


@app.command()
def brands(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List brands with their language and what is indexed."""
    try:
        svc = _services()
        rows = []
        for brand in svc.brands():
            counts = svc.knowledge.counts(brand.slug)
            rows.append({"slug": brand.slug, "name": brand.profile.name, "language": brand.profile.language,
                         "languages": brand.profile.all_languages, "platforms": brand.profile.platforms,
                         "indexed_posts": counts["posts"], "guideline_chunks": counts["guideline_chunks"],
                         "approved_exemplars": counts["approved"]})
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("No brands. Add a folder with brand.yaml under ASSISTANT_BRANDS_DIR.")
    for r in rows:
        typer.echo(f"{r['slug']:<24} {r['name']:<32} {','.join(r['languages']):<8} "
                   f"posts={r['indexed_posts']:<6} guideline_chunks={r['guideline_chunks']}")


@app.command()
def ingest(
    brand: Annotated[Optional[str], typer.Argument(help="Brand slug; omit with --all.")] = None,
    posts: Annotated[Optional[list[Path]], typer.Option("--posts", help="Posts CSV (repeatable).")] = None,
    guidelines: Annotated[Optional[list[Path]], typer.Option("--guidelines", help="Guideline .md/.txt (repeatable).")] = None,
    mapping: Annotated[Optional[list[str]], typer.Option("--map", help="FIELD=COLUMN, overrides guessed columns.")] = None,
    all_brands: Annotated[bool, typer.Option("--all", help="Every brand's own folder.")] = False,
    if_stale: Annotated[bool, typer.Option("--if-stale", help="Only brands whose index is missing or stale.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the brand's index and build it again.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ingest posts and guidelines (no files: the brand folder's own). Idempotent."""
    if not brand and not all_brands:
        fail("name a brand, or pass --all", 2)
    if all_brands and (posts or guidelines):
        fail("--posts/--guidelines need a single brand, not --all", 2)
    try:
        svc = _services()
        targets = svc.brands() if all_brands else [svc.brand(brand)]
        reports = []
        for b in targets:
            if posts or guidelines:
                report = svc.knowledge.ingest_files(b, posts or [], guidelines or [],
                                                    mapping=parse_mapping(mapping or []))
            else:
                report = svc.knowledge.index_brand(b, force=not if_stale, rebuild=rebuild)
            if report is None:
                reports.append({"brand": b.slug, "status": "up to date"})
            else:
                reports.append(report.as_dict())
    except AssistantError as exc:
        fail(str(exc))
    failed = any(r.get("errors") for r in reports)
    if as_json:
        print_json(reports if all_brands else reports[0])
    else:
        for r in reports:
            if r.get("status"):
                typer.echo(f"{r['brand']}: index up to date")
                continue
            typer.echo(f"{r['brand']}: added {r['added']}, updated {r['updated']}, replaced {r['replaced']}, "
                       f"unchanged {r['unchanged']}, rejected {r['rejected']} (embedded {r['embedded']})")
            for w in r["rejected_rows"] + r["warnings"]:
                typer.echo(f"  warning: {w}", err=True)
            for e in r["errors"]:
                typer.echo(f"  error: {e}", err=True)
    if failed:
        raise typer.Exit(1)


@app.command()
def search(
    brand: Annotated[str, typer.Argument(help="Brand slug.")],
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50)] = 5,
    kind: Annotated[str, typer.Option("--kind", help="post | guideline | all")] = "all",
    platform: Annotated[Optional[str], typer.Option("--platform")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Search a brand's knowledge base: what the model will see."""
    if kind not in ("post", "guideline", "all"):
        fail("--kind must be post, guideline or all", 2)
    try:
        svc = _services()
        svc.brand(brand)
        results = svc.retriever.retrieve(brand, query, k=k, kind=kind, platform=platform)  # type: ignore[arg-type]
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        print_json([r.as_dict() for r in results])
        return
    if not results:
        typer.echo("Nothing found (is the brand indexed? run `assistant ingest BRAND`).")
    for r in results:
        m = r.metadata
        where = m.get("heading") or f"{m.get('platform', '')} {m.get('posted_at', '')[:10]}".strip()
        extra = f" engagement={m['engagement']}" if "engagement" in m else ""
        typer.echo(f"[{r.kind} {r.score:.3f}] {where}{extra}\n  {r.snippet}")


@app.command()
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
    ui_language: Annotated[str, typer.Option("--ui-language", help="Language of violation messages.")] = "it",
    queue: Annotated[bool, typer.Option("--queue", help="Put the drafts in the review queue (needs --by).")] = False,
    by: Annotated[Optional[str], typer.Option("--by", help="Your name, recorded in the review queue.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Draft posts for one or more platforms; streams to the terminal, or prints JSON."""
    if queue and not (by or "").strip():
        fail("--queue needs --by NAME (who puts the drafts in the review queue)", 2)
    from pydantic import ValidationError

    from assistant.drafting import DraftRequest

    try:
        request = DraftRequest(brand=brand, platforms=platform, brief=brief, goal=goal, language=language,
                               variants=variants, link=link, call_to_action=cta)
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()), 2)
    drafts = []
    try:
        svc = _services(provider=provider) if provider else _services()
        svc.knowledge.index_brand(svc.brand(brand))  # no-op when the index is fresh
        drafter = svc.drafter(ui_language=ui_language)
        if not as_json:
            info = svc.provider.describe()
            typer.echo(f"# {info['provider']} / {info['model']}"
                       + (" (bundled demo model: drafts only show the workflow)" if info["demo_model"] else ""), err=True)
        for event in drafter.stream(request):
            if event.kind == "done" and queue:
                item = svc.review.add_draft(event.draft, by=by, submit=True)
                if not as_json:
                    typer.echo(f"  queued as item {item.id} ({item.state})", err=True)
            if as_json:
                if event.kind == "done":
                    drafts.append(event.draft.public() | ({"queue_item": item.id} if queue else {}))
                continue
            if event.kind == "start":
                typer.echo(f"\n--- {event.platform} · variant {event.variant} ---")
            elif event.kind == "token":
                typer.echo(event.text, nl=False)
            elif event.kind == "repair" and event.text:
                pass
            elif event.kind == "done":
                d = event.draft
                if d.repaired:
                    typer.echo(f"\n[repaired] {d.text}")
                typer.echo("")
                for v in d.violations:
                    typer.echo(f"  {v['severity']}: {v['message']}", err=True)
                cost = "n/a" if d.cost_usd is None else f"${d.cost_usd:.4f}"
                typer.echo(f"  [{d.provider}/{d.model} · {d.prompt_tokens}+{d.completion_tokens} tokens · {cost} · "
                           f"{d.latency_ms} ms · {len(d.sources)} sources]", err=True)
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        print_json(drafts)


from assistant.cli_queue import queue_app  # noqa: E402  (the sub-app imports `_services` from here lazily)

from assistant.cli_perf import perf_app, report_command  # noqa: E402
from assistant.cli_plan import plan_app  # noqa: E402

app.add_typer(queue_app, name="queue")
app.add_typer(plan_app, name="plan")
app.add_typer(perf_app, name="perf")
app.command("report")(report_command)


def main() -> None:  # pragma: no cover - entry point
    try:
        app()
    except AssistantError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
