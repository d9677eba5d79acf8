"""Copydesk's own HTML pages (outside Streamlit): rendering with autoescape, the language, CSRF
tokens, form bodies, cookies and the security headers every such page carries."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from pathlib import Path
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from assistant.i18n import t as translate

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSRF_COOKIE = "copydesk_csrf"
MAX_FORM_BYTES = 64_000
# Nothing on these pages loads anything: no scripts, images, frames or foreign styles; forms post
# only here; no Referer (share links carry their token in the path).
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2", "html"]))


def language(request: Request) -> str:
    wanted = request.query_params.get("lang")
    if wanted in ("it", "en"):
        return wanted
    accept = request.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "it"


def csrf_token(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def csrf_ok(request: Request, form: dict[str, str]) -> bool:
    """Double submit: the form's token equals the cookie this site set (SameSite=Strict)."""
    cookie, sent = request.cookies.get(CSRF_COOKIE), form.get("csrf", "")
    return bool(cookie) and hmac.compare_digest(cookie, sent)


def render(request: Request, template: str, *, status: int = 200, **values: object) -> HTMLResponse:
    lang = language(request)
    csrf = csrf_token(request)
    body = _env.get_template(template).render(lang=lang, csrf=csrf, t=lambda key, **v: translate(key, lang, **v),
                                              **values)
    response = HTMLResponse(body, status_code=status, headers=HEADERS)
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=secure(request), path="/")
    return response


def message(request: Request, heading_key: str, body: str, *, status: int = 200,
            link: str | None = None) -> HTMLResponse:
    lang = language(request)
    return render(request, "message.html.j2", status=status, title=translate(heading_key, lang),
                  heading=translate(heading_key, lang), body=body, link=link, link_text=translate("auth.back", lang))


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=HEADERS)


async def form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (bounded), one value per field."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}


def secure(request: Request) -> bool:
    """Cookies only over TLS: the request came over https, through a TLS proxy, or people reach
    the app at an https address (ASSISTANT_PUBLIC_URL)."""
    from assistant.web.common import services

    return (request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
            or services().settings.public_url.startswith("https://"))


def address(request: Request) -> str | None:
    return request.client.host if request.client else None


def from_loopback(request: Request) -> bool:
    """A request from this machine, not relayed by a proxy (a proxy on loopback relays everyone)."""
    if any(h in request.headers for h in ("x-forwarded-for", "forwarded", "x-real-ip")):
        return False
    try:
        return ipaddress.ip_address(address(request) or "").is_loopback
    except ValueError:
        return False


def set_session(response: Response, request: Request, value: str, max_age: int) -> None:
    from assistant.accounts.sessions import COOKIE

    response.set_cookie(COOKIE, value, max_age=max_age, httponly=True, samesite="lax", secure=secure(request),
                        path="/")


def clear_session(response: Response) -> None:
    from assistant.accounts.sessions import COOKIE

    response.delete_cookie(COOKIE, path="/")
