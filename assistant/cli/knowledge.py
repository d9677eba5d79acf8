"""`assistant brands | ingest | search`: the brands and their knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional


import typer

from assistant.cli import common
from assistant.cli.common import fail, parse_mapping, print_json
from assistant.errors import AssistantError

# Dates without an offset in an imported file: the brand's time zone unless the person says otherwise.
Utc = Annotated[bool, typer.Option("--utc", help="The file's dates without an offset are UTC (default: the "
                                                 "brand's time zone, brand.yaml `timezone`).")]
Zone = Annotated[Optional[str], typer.Option("--timezone", metavar="ZONE", help="The file's dates without an offset "
                                             "are in this IANA zone (e.g. Europe/London).")]


def import_zone(utc: bool, zone: str | None) -> str | None:
    """`--utc` / `--timezone ZONE` as the zone the library reads naive dates in (None: the brand's);
    an unknown zone or both options at once is a usage error (exit 2)."""
    from assistant.knowledge.files import zone_info

    if utc and zone and zone.strip().upper() != "UTC":
        fail(f"--utc and --timezone {zone} disagree: give one of them", 2)
    chosen = "UTC" if utc else zone
    try:
        zone_info(chosen)
    except AssistantError as exc:
        fail(str(exc), 2)
    return chosen


def brands(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List brands with their language and what is indexed."""
    try:
        svc = common.services()
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



def ingest(
    brand: Annotated[Optional[str], typer.Argument(help="Brand slug; omit with --all.")] = None,
    posts: Annotated[Optional[list[Path]], typer.Option("--posts", help="Posts CSV (repeatable).")] = None,
    guidelines: Annotated[Optional[list[Path]], typer.Option("--guidelines", help="Guideline .md/.txt (repeatable).")] = None,
    mapping: Annotated[Optional[list[str]], typer.Option("--map", help="FIELD=COLUMN, overrides guessed columns.")] = None,
    platform: Annotated[Optional[str], typer.Option("--platform", help="Platform of --posts rows that do not name "
                                                    "one (needed when a file has no platform column; 'mixed' if "
                                                    "they are from several).")] = None,
    utc: Utc = False,
    zone: Zone = None,
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
    if (platform or utc or zone) and not posts:
        fail("--platform, --utc and --timezone apply to --posts files (the brand folder's posts.csv is read in "
             "the brand's time zone: brand.yaml `timezone`)", 2)
    zone = import_zone(utc, zone)
    try:
        svc = common.services()
        targets = svc.brands() if all_brands else [svc.brand(brand)]
        reports = []
        for b in targets:
            progress = Progress(b.slug)
            try:
                if posts or guidelines:
                    report = svc.knowledge.ingest_files(b, posts or [], guidelines or [],
                                                        mapping=parse_mapping(mapping or []), platform=platform,
                                                        zone=zone, require_platform=True, progress=progress)
                else:
                    report = svc.knowledge.index_brand(b, force=not if_stale, rebuild=rebuild, progress=progress)
            finally:
                progress.close()
            if report is None:
                reports.append({"brand": b.slug, "status": "up to date"})
            else:
                reports.append(report.as_dict())
    except AssistantError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted: what was written so far is kept (batches are whole); run the same command again "
             "to go on from there", 130)
    if as_json:
        print_json(reports if all_brands else reports[0])
    else:
        _print_reports(reports)
    if any(r.get("errors") for r in reports):
        raise typer.Exit(1)


def _print_reports(reports: list[dict]) -> None:
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
        svc = common.services()
        svc.brand(brand)
        results = svc.retriever.retrieve(brand, query, k=k, kind=kind, platform=platform)  # type: ignore[arg-type]
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        print_json([r.as_dict() for r in results])
        return
    if not results:
        typer.echo("Nothing found (is the brand indexed? run `assistant ingest BRAND`).")
    zone = svc.brand(brand).profile.timezone
    for r in results:
        m = r.metadata
        where = m.get("heading") or f"{m.get('platform', '')} {_local_day(m.get('posted_at'), zone)}".strip()
        extra = f" engagement={m['engagement']}" if "engagement" in m else ""
        typer.echo(f"[{r.kind} {r.score:.3f}] {where}{extra}\n  {r.snippet}")


def doctor(
    repair: Annotated[bool, typer.Option("--repair", help="Rebuild what is broken from the record.")] = False,
    brand: Annotated[Optional[list[str]], typer.Option("--brand", help="Only this brand (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check every brand's index against the record, in a child process; --repair rebuilds it."""
    from assistant.knowledge import doctor as checks

    try:
        svc = common.services(check=False)  # the doctor reports what it finds before anything repairs it
        result = checks.check(svc, list(brand) if brand else None)
        if repair and not result.ok:
            result = checks.repair(svc, result)
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        print_json(result.as_dict())
    else:
        if not result.store_readable:
            typer.echo(f"the index store could not be read: {result.crash}"
                       + (f"; moved to {result.moved_to}" if result.moved_to else ""), err=True)
        for b in result.brands:
            state = "ok" if b.ok else (b.error or f"{b.missing} missing, {b.extra} extra"
                                       + (f", {b.unsearchable} not found by search" if b.unsearchable else "")
                                       + (", index behind" if b.pending else ""))
            typer.echo(f"{b.brand:<24} recorded {b.recorded:<6} indexed {b.indexed if b.indexed is not None else '?':<6} "
                       f"{state}{' -> ' + b.action if b.action else ''}")
    if not result.ok and not repair:
        typer.echo("error: the index is not in step with the record; run `assistant doctor --repair` "
                   "(nothing recorded is lost: the index is rebuilt from the record)", err=True)
        raise typer.Exit(1)


class Progress:
    """Embedding progress on stderr (rich's progress bar): posts done of all, rate and time left.
    Small jobs (under `at_least` texts) show nothing: they are over before a bar is worth it."""

    def __init__(self, brand: str, at_least: int = 200) -> None:
        self.brand, self.at_least = brand, at_least
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if total < self.at_least:
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TaskProgressColumn,
                                       TextColumn, TimeRemainingColumn)

            self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TaskProgressColumn(), TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=False)
            self._bar.start()
            self._task = self._bar.add_task(f"{self.brand}: embedding", total=total, rate="")
        task = self._bar.tasks[0]
        rate = done / task.elapsed if task.elapsed else 0.0
        self._bar.update(self._task, completed=done, total=total, rate=f"{rate:,.0f} posts/s")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _local_day(value: object, zone: str) -> str:
    """A stored (UTC) posting time as its day in the brand's zone (a date-only post read in Rome
    is stored at 23:00 UTC the day before: its day is still its own)."""
    from assistant.knowledge.parsing import posted_time
    from assistant.plan.calendar import to_local

    moment = posted_time({"posted_at": value})
    return f"{to_local(moment, zone):%Y-%m-%d}" if moment else ""
