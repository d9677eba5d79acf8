"""/account/...: the first administrator's setup, sign-in and sign-out, served beside the
Streamlit app (`web.server`). The session cookie is set here, HttpOnly, on a real HTTP response."""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from assistant.accounts.sessions import COOKIE
from assistant.accounts.users import SignInFailed
from assistant.errors import AssistantError
from assistant.i18n import t
from assistant.web import markup as html
from assistant.web.common import services

SETUP = {"token": None}  # the one-time setup token printed at start (web.server)


def _setup_allowed(request: Request) -> bool:
    token = SETUP["token"]
    given = request.query_params.get("token", "")
    return html.from_loopback(request) or bool(token and given and hmac.compare_digest(token, given))


async def setup(request: Request) -> Response:
    svc = services()
    lang = html.language(request)
    if await run_in_threadpool(svc.people.count):
        return html.redirect(f"/account/signin?lang={lang}")
    if not _setup_allowed(request):
        return html.message(request, "auth.page_title_setup", t("auth.setup_refused", lang), status=403)
    values = {"title": t("auth.page_title_setup", lang), "token": request.query_params.get("token", ""),
              "form": {"name": "", "username": "", "email": ""}}
    if request.method == "GET":
        return html.render(request, "setup.html.j2", **values)
    form = await html.form(request)
    values["form"] = {k: form.get(k, "") for k in ("name", "username", "email")}
    if not html.csrf_ok(request, form):
        return html.render(request, "setup.html.j2", status=400, error=t("auth.bad_form", lang), **values)
    if form.get("password") != form.get("password2"):
        return html.render(request, "setup.html.j2", status=400, error=t("auth.passwords_differ", lang), **values)
    try:
        await run_in_threadpool(lambda: svc.people.add(form.get("username", ""), name=form.get("name", ""),
                                                       email=form.get("email") or None,
                                                       password=form.get("password", ""),
                                                       grants=[("admin", None)], address=html.address(request)))
    except AssistantError as exc:
        if await run_in_threadpool(svc.people.count):  # someone else finished the setup first
            return html.redirect(f"/account/signin?lang={lang}")
        return html.render(request, "setup.html.j2", status=400, error=str(exc), **values)
    SETUP["token"] = None
    return await _sign_in(request, form.get("username", ""), form.get("password", ""), lang)


async def signin(request: Request) -> Response:
    lang = html.language(request)
    values = {"title": t("auth.page_title_signin", lang), "username": ""}
    if request.method == "GET":
        if not await run_in_threadpool(services().people.count):
            return html.redirect(f"/account/setup?lang={lang}")
        return html.render(request, "signin.html.j2", **values)
    form = await html.form(request)
    values["username"] = form.get("username", "")
    if not html.csrf_ok(request, form):
        return html.render(request, "signin.html.j2", status=400, error=t("auth.bad_form", lang), **values)
    try:
        return await _sign_in(request, form.get("username", ""), form.get("password", ""), lang)
    except SignInFailed:
        return html.render(request, "signin.html.j2", status=401, error=t("auth.signin_failed", lang), **values)


async def _sign_in(request: Request, username: str, password: str, lang: str) -> Response:
    svc = services()
    where = html.address(request)
    actor = await run_in_threadpool(lambda: svc.people.authenticate(username, password, address=where))
    cookie = await run_in_threadpool(lambda: svc.sessions.start(actor, via="password", address=where))
    response = html.redirect(f"/?lang={lang}")
    html.set_session(response, request, cookie, int(svc.settings.session_hours * 3600))
    return response


async def signout(request: Request) -> Response:
    svc = services()
    await run_in_threadpool(lambda: svc.sessions.end(request.cookies.get(COOKIE), address=html.address(request)))
    lang = html.language(request)
    response = html.message(request, "auth.signed_out", "", link=f"/?lang={lang}")
    html.clear_session(response)
    return response


ROUTES = [Route("/account/setup", setup, methods=["GET", "POST"]),
          Route("/account/signin", signin, methods=["GET", "POST"]),
          Route("/account/signout", signout, methods=["GET", "POST"])]
