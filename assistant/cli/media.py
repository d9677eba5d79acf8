"""`assistant media ...`: a brand's media library from the command line, and `assistant queue
attach` (registered on the queue group): the same library calls the app makes.

`media add` and `queue attach` need `--by USERNAME` (an active user whose role on the brand
allows it: checked by the library, recorded with their id). Refusals say what to fix in the
language of `--ui-language` (it | en), on stderr, with exit code 1; `--json` prints the results.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from assistant.cli import common
from assistant.cli.common import By, Json, fail, print_json
from assistant.errors import AssistantError

media_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="The brands' media libraries: images and short videos, with alt text.")
UiLanguage = Annotated[str, typer.Option("--ui-language", "--language", help="Language of the messages: it | en.")]


def say(exc: AssistantError, lang: str) -> str:
    """A library error in `lang`: its own `localised`, else the catalogue's `error.<code>`, else its message."""
    from assistant.i18n import t

    localised = getattr(exc, "localised", None)
    if callable(localised):
        return str(localised(lang))
    if exc.code:
        key = f"error.{exc.code}"
        try:
            text = t(key, lang, **{k: str(v).replace("_", " ") for k, v in exc.params.items()})
        except (KeyError, IndexError):
            text = key
        if text != key:
            return f"{text}\n{exc}"  # the English message too: it names the command that fixes it
    return str(exc)


def _run(fn: Callable[[Any], Any], lang: str) -> Any:
    svc = None
    try:
        svc = common.services()
        return fn(svc)
    except AssistantError as exc:
        fail(say(exc, lang))
    finally:
        if svc is not None and "review" in vars(svc):
            svc.review.close()


def _media_json(m: Any) -> dict:
    return m.model_dump(mode="json")


@media_app.command("add")
def add(
    brand: Annotated[str, typer.Argument(help="Brand slug.")],
    file: Annotated[Path, typer.Argument(help="An image (JPEG, PNG, WebP, HEIC) or an MP4 video.")],
    by: By,
    alt: Annotated[Optional[str], typer.Option("--alt", help="Alt text, kept as the default for the file's "
                                                             "attachments.")] = None,
    keep_original: Annotated[bool, typer.Option("--keep-original", help="Keep the upload as it came, metadata "
                                                                        "(EXIF, GPS) included, beside the cleaned "
                                                                        "file.")] = False,
    lang: UiLanguage = "it",
    as_json: Json = False,
) -> None:
    """Upload a file to the brand's library (recognised by its content; images stored without EXIF/GPS)."""
    from assistant.i18n import t

    def go(svc: Any) -> Any:
        svc.brand(brand)  # an unknown brand: BrandNotFound, with the known ones
        return svc.media.add(brand, file, by=by, keep_original=keep_original, alt=alt)

    media = _run(go, lang)
    if as_json:
        print_json(_media_json(media))
        return
    if media.existing:
        typer.echo(t("media.cli.existing", lang, brand=brand, id=media.id))
        return
    dims = f", {media.width}x{media.height}" if media.width and media.height else ""
    dims += f", {media.duration:g} s" if media.duration else ""
    typer.echo(t("media.cli.added", lang, id=media.id, brand=brand, name=media.original_name, kind=media.kind,
                 mime=media.mime, size=media.bytes, dims=dims))


@media_app.command("list")
def list_(brand: Annotated[str, typer.Argument(help="Brand slug.")], lang: UiLanguage = "it",
          as_user: common.As = None, as_json: Json = False) -> None:
    """The brand's media, newest first."""
    from assistant.i18n import t

    rows = _run(lambda svc: (svc.brand(brand), svc.media.list(brand, actor=as_user))[1], lang)
    if as_json:
        print_json([_media_json(m) for m in rows])
        return
    if not rows:
        typer.echo(t("media.cli.none", lang, brand=brand))
    for m in rows:
        size = f"{m.width}x{m.height}" if m.width and m.height else "-"
        typer.echo(f"{m.id:>6}  {m.kind:<5} {m.mime:<10} {size:>11} {m.bytes:>10}  {m.original_name}")


def attach(
    item_id: Annotated[int, typer.Argument(help="The review item (`assistant queue list`).")],
    media_ids: Annotated[list[int], typer.Argument(help="Media ids of the item's brand, in order.")],
    by: By,
    alt: Annotated[Optional[list[str]], typer.Option("--alt", help="Alt text of each file, in the same order "
                                                                   "(repeat it); without one a proposal from "
                                                                   "the file name and the brief is stored, to "
                                                                   "confirm.")] = None,
    base_version: Annotated[Optional[int], typer.Option("--base-version", help="Fail if the item changed since.")]
    = None,
    lang: UiLanguage = "it",
    as_json: Json = False,
) -> None:
    """Attach media to a review item, after those it has (a carousel, in order)."""
    from assistant.i18n import t

    done = _run(lambda svc: svc.attachments.attach(item_id, media_ids, by=by, alt_texts=alt or [],
                                                    base_version=base_version), lang)
    if as_json:
        print_json([a.model_dump(mode="json") for a in done])
        return
    typer.echo(t("media.cli.attached", lang, item=item_id, n=len(done)))
    for a in done:
        typer.echo(f"  {a.position + 1}. media {a.media_id} {a.original_name}  alt ({a.alt_source or '-'}): "
                   f"{a.alt_text or '-'}")
