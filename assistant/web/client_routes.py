"""/client/<token>: the page a client opens from a share link. Plain HTML (no Streamlit, nothing
else of the app): only the link's items, as text, with comment, approve and request changes.
Every action goes through the review queue as the link's client (`accounts.Actor` kind "link")."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from assistant.accounts.shares import ShareInvalid
from assistant.errors import AssistantError
from assistant.i18n import t
from assistant.platforms import count
from assistant.web import markup as html
from assistant.web.common import services

ACTIONS = ("comment", "client_approve", "client_request_changes")


def _items(actor, lang: str) -> list[dict]:
    svc = services()
    out = []
    for item_id in sorted(actor.share_items):
        view = svc.review.get(item_id, actor=actor)
        rule = svc.rules.get(view.platform)
        out.append({"id": view.id, "text": view.text, "version": view.version,
                    "chars": count(view.text, view.platform, svc.rules),
                    "platform_label": rule.label if rule else view.platform,
                    "state_label": t(f"state.{view.state}", lang),
                    "can_decide": "client_approve" in view.allowed_actions,
                    "comments": [{"author": c.author, "text": c.text, "when": f"{c.created_at:%Y-%m-%d %H:%M} UTC"}
                                 for c in view.comments]})
    return out


async def client_page(request: Request) -> Response:
    svc = services()
    lang = html.language(request)
    token = request.path_params["token"]
    try:
        share, actor = await run_in_threadpool(lambda: svc.shares.resolve(token))
    except ShareInvalid as exc:
        return html.message(request, "client.invalid_title", t(f"client.invalid.{exc.reason}", lang), status=410
                            if exc.reason in ("expired", "revoked") else 404, link=None)
    notice = error = None
    if request.method == "POST":
        form = await html.form(request)
        done = form.get("do", "")
        if not html.csrf_ok(request, form) or done not in ACTIONS or not form.get("item", "").isdigit():
            error = t("auth.bad_form", lang)
        else:
            try:
                await run_in_threadpool(lambda: _act(actor, done, int(form["item"]), form))
                notice = t(f"client.done.{done}", lang)
            except AssistantError as exc:
                error = str(exc)
    share_brand = actor.share_brand or ""
    try:
        brand_name = svc.brand(share_brand).profile.name
    except AssistantError:
        brand_name = share_brand
    items = await run_in_threadpool(lambda: _items(actor, lang))
    return html.render(request, "client.html.j2", status=400 if error else 200, title=t("client.title", lang),
                       brand=brand_name, client=actor.name, until=f"{share.expires_at:%Y-%m-%d %H:%M} UTC",
                       items=items, action=f"/client/{token}?lang={lang}", notice=notice, error=error)


def _act(actor, action: str, item_id: int, form: dict[str, str]) -> None:
    queue = services().review
    note = form.get("note", "")
    if action == "comment":
        queue.comment(item_id, note, by=actor)
    else:
        queue.decide(item_id, action, by=actor, note=note.strip() or None,
                     base_version=int(form["version"]) if form.get("version", "").isdigit() else None)


ROUTES = [Route("/client/{token}", client_page, methods=["GET", "POST"])]
