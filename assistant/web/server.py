"""The web server: the Streamlit app (`web/app.py`) plus Copydesk's own HTTP routes (sign-in,
first administrator, sign-out, the client page), served together by Streamlit's `st.App`.

`streamlit run streamlit_app.py` (a checkout) and `assistant app` (an installed package, which runs
`web/launch.py`) both build the app here. At start it loads the session secret (refusing one that
others can read), makes Streamlit's upload limit Copydesk's (ASSISTANT_MAX_UPLOAD_MB) and, while
there are no users, prints the one-time setup link."""

from __future__ import annotations

import ipaddress
import math
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError

SCRIPT = Path(__file__).resolve().parent / "app.py"


def max_upload_mib(max_upload_mb: float) -> int:
    """Streamlit's `server.maxUploadSize` (whole MiB) for Copydesk's ASSISTANT_MAX_UPLOAD_MB (10^6
    bytes): the smallest that admits every file Copydesk accepts, so the uploader says "20MB per
    file" and a file between the two limits gets Copydesk's own message in the page's language."""
    return max(1, math.ceil(max_upload_mb * 1_000_000 / 2**20))


def apply_upload_limit(max_upload_mb: float) -> int:
    """Set `server.maxUploadSize` in this process (`streamlit run streamlit_app.py` does not pass
    the flag that `assistant app` passes); returns the value set."""
    from streamlit import config

    value = max_upload_mib(max_upload_mb)
    config.set_option("server.maxUploadSize", value)
    return value


def no_magic() -> None:
    """Turn Streamlit's "magic" off in this process (the pages use none). Magic parses every page
    script with `ast.parse`; on CPython 3.11.7 an `ast.parse` in another thread at the same moment
    (numpy reading an .npy header with `ast.literal_eval` while a voice or embedding model loads in
    the background) failed the page with SystemError "AST constructor recursion depth mismatch"."""
    from streamlit import config

    config.set_option("runner.magicEnabled", False)


def routes() -> list[Any]:
    from assistant.web.account_routes import ROUTES as ACCOUNT
    from assistant.web.client_routes import ROUTES as CLIENT

    return [*ACCOUNT, *CLIENT]


def _address() -> str:
    from streamlit import config

    return str(config.get_option("server.address") or "")


def _loopback(address: str) -> bool:
    """Only this machine can reach `address` ("" binds every interface)."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def startup() -> None:
    """Checks before serving anyone; raises SystemExit with the reason and the fix."""
    from assistant.web.account_routes import SETUP
    from assistant.web.common import services

    address = _address()
    try:
        svc = services()
        svc.secret  # noqa: B018 - loads it, or makes it (0600), or refuses one others can read
        users = svc.people.count()
        apply_upload_limit(svc.settings.max_upload_mb)
    except AssistantError as exc:
        where = "on a network address " if not _loopback(address) else ""
        print(f"Copydesk cannot start {where}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if not _loopback(address) and not svc.settings.public_url.startswith("https://"):
        print("Copydesk is serving a network address over plain http: put a TLS reverse proxy in front and set "
              "ASSISTANT_PUBLIC_URL=https://... (README, 'Serving a team')", file=sys.stderr, flush=True)
    if users == 0:
        SETUP["token"] = secrets.token_urlsafe(18)
        from streamlit import config

        port = config.get_option("server.port")
        host = address if address and address not in ("0.0.0.0", "::") else "127.0.0.1"
        print(f"\n  Copydesk has no users yet. Create the first administrator at\n"
              f"  http://{host}:{port}/account/setup?token={SETUP['token']}\n"
              f"  (from this computer, http://127.0.0.1:{port}/account/setup works without the token)\n",
              file=sys.stderr, flush=True)


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    startup()
    yield


OPEN_PREFIXES = ("/_stcore", "/static", "/account/", "/client/", "/component", "/media", "/auth/", "/oauth2callback",
                 "/favicon", "/app/static")


class SignInFirst:
    """ASGI middleware: a browser opening a page of the app without a valid session goes straight
    to the sign-in page (or the first administrator's setup). The app checks the session again on
    every run; this only spares people a page with nothing but a button. With OpenID Connect
    configured, the app's own page (which offers it) is shown instead."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method") == "GET" and not scope["path"].startswith(OPEN_PREFIXES):
            from starlette.concurrency import run_in_threadpool
            from starlette.requests import Request

            request = Request(scope)
            if "text/html" in request.headers.get("accept", ""):
                target = await run_in_threadpool(_sign_in_target, request)
                if target is not None:
                    from assistant.web.markup import redirect

                    await redirect(target)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _sign_in_target(request: Any) -> str | None:
    from assistant.accounts.sessions import COOKIE
    from assistant.web.common import oidc_configured, services
    from assistant.web.markup import language

    svc = services()
    if svc.sessions.resolve(request.cookies.get(COOKIE)) is not None or oidc_configured():
        return None
    page = "setup" if svc.people.count() == 0 else "signin"
    return f"/account/{page}?lang={language(request)}"


def middleware() -> list[Any]:
    from starlette.middleware import Middleware

    return [Middleware(SignInFirst)]
