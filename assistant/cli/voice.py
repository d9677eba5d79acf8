"""`assistant voice BRAND --text TEXT | --file posts.csv`: how much texts sound like the brand.

The same `Services().voice` the app uses: the brand folder's posts are ingested first if they
changed (as `assistant draft` does), the brand's model is trained on first use and cached. A
posts file is read with ingestion's own decoding and column guessing (`parse_posts_csv`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from assistant.cli import common
from assistant.cli.common import fail, parse_mapping, print_json
from assistant.errors import AssistantError, BrandNotFound
from assistant.i18n import number, t

_SHOWN_CHARS = 64


def voice(
    brand: Annotated[str, typer.Argument(help="Brand slug.")],
    text: Annotated[Optional[str], typer.Option("--text", help="The text to score.")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="A posts CSV: every row's text is scored "
                                                 "(columns guessed as `assistant ingest` does).")] = None,
    mapping: Annotated[Optional[list[str]], typer.Option("--map", help="FIELD=COLUMN for --file, e.g. "
                                                         "text=Messaggio.")] = None,
    ui_language: Annotated[str, typer.Option("--ui-language", "--language-ui",
                                             help="Language of the messages: it | en.")] = "it",
    as_json: common.Json = False,
) -> None:
    """Score texts 0-100 against the brand's voice, with the brand's own posts' median for comparison."""
    lang = ui_language if ui_language in ("it", "en") else "en"
    if (text is None) == (file is None):
        fail(t("voice.text_or_file", lang), 2)
    if text is not None and not text.strip():
        fail(t("voice.empty_text", lang), 2)
    svc = None
    try:
        svc = common.services()
        svc.knowledge.index_brand(svc.brand(brand))  # no-op when the brand folder's posts are in the record
        texts = [text] if text is not None else _file_texts(svc, brand, file, parse_mapping(mapping or []), lang)
        scores = svc.voice.scores(brand, texts)
        info = svc.voice.info(brand)
    except BrandNotFound:
        fail(t("voice.unknown_brand", lang, brand=brand, known=_known(svc)))
    except AssistantError as exc:
        from assistant.knowledge.files import problem_text

        fail(problem_text(exc, lang))
    if info is None:
        fail(t("voice.not_enough", lang, brand=brand, n=svc.voice.posts(brand), min=_min_posts()))
    if as_json:
        print_json({"brand": brand, "scores": [{"text": x, "score": s.score if s else None} for x, s in zip(texts, scores)],
                    "calibration": calibration(info)})
        return
    _print_table(texts, [s.score if s else None for s in scores], info, lang)


def calibration(info: Any) -> dict[str, object]:
    """The brand's calibration figures as the JSON output gives them."""
    return {"median": info.median, "q1": info.q1, "q3": info.q3, "background_median": info.background_median,
            "posts": info.posts, "background": info.background,
            "other_brands_posts": info.other_brands_posts, "cv_auc": info.cv_auc, "train_seconds": info.train_seconds,
            "size_bytes": info.size_bytes, "features": info.features, "model_id": info.model_id,
            "trained_at": info.trained_at}


def _min_posts() -> int:
    from assistant.voice import MIN_POSTS

    return MIN_POSTS


def _known(svc: Any) -> str:
    try:
        return ", ".join(b.slug for b in svc.brands()) or "—"
    except (AssistantError, AttributeError):
        return "—"


def _file_texts(svc: Any, brand: str, path: Path, mapping: dict[str, str], lang: str) -> list[str]:
    """The texts of a posts file, parsed as ingestion parses it (rows without text are said on stderr)."""
    from assistant.knowledge.files import read_file
    from assistant.knowledge.parsing import parse_posts_csv

    raw = read_file(path, svc.settings.max_upload_bytes)
    parsed = parse_posts_csv(raw, brand=brand, source=path.name, mapping=mapping or None)
    if parsed.rejected:
        typer.echo(t("voice.rows_skipped", lang, n=len(parsed.rejected), file=path.name), err=True)
    return [doc.text for doc in parsed.documents]


def _print_table(texts: list[str], scores: list[int | None], info: Any, lang: str) -> None:
    typer.echo(f"{t('voice.col.score', lang):>9}  {t('voice.col.text', lang)}")
    for text, score in zip(texts, scores):
        shown = " ".join(text.split())
        shown = shown if len(shown) <= _SHOWN_CHARS else shown[:_SHOWN_CHARS - 1] + "…"
        marker = "▲" if score is not None and score >= info.median else " "
        typer.echo(f"{'—' if score is None else score:>7} {marker}  {shown}")
    typer.echo(t("voice.legend", lang))
    typer.echo(t("voice.summary", lang, brand=info.slug, median=info.median, q1=info.q1, q3=info.q3,
                 posts=number(info.posts, lang), background=number(info.background, lang),
                 auc=number(info.cv_auc, lang, digits=2), seconds=number(info.train_seconds, lang, digits=1)))
