"""What every page shares: services built once per configuration, the UI language, the chosen
brand, the signed-in person, and error display. No business logic here."""

from __future__ import annotations

import html
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from assistant.accounts import Actor
from assistant.errors import AssistantError
from assistant.i18n import CATALOGUE
from assistant.i18n import t as _t
from assistant.services import Services
from assistant.text.markdown import escape_markdown

_BUILT: dict[tuple, Services] = {}
_LOCK = threading.Lock()


def _services(config_key: tuple) -> Services:
    """One Services per configuration and process, shared by the pages and the account routes."""
    with _LOCK:
        svc = _BUILT.get(config_key)
        if svc is None:
            from assistant.knowledge.doctor import after_crash

            svc = Services()
            # An index left by a writer that died mid-write is checked (in a child process) and
            # repaired before this server opens it; what was done is shown once (`startup_notes`).
            svc.startup_notes = after_crash(svc)  # type: ignore[attr-defined]
            _BUILT[config_key] = svc
        return svc


def startup_notes() -> list[str]:
    """What the server did at start (index repairs), to show to the user once per session."""
    if st.session_state.get("startup_notes_shown"):
        return []
    st.session_state["startup_notes_shown"] = True
    return list(getattr(services(), "startup_notes", []))


def _key_from_secrets() -> None:
    """OPENAI_API_KEY may live in .streamlit/secrets.toml (git-ignored); the environment wins."""
    if "OPENAI_API_KEY" in os.environ:
        return
    try:
        key = st.secrets.get("OPENAI_API_KEY")
    except Exception:  # no secrets file: nothing to read
        return
    if key:
        os.environ["OPENAI_API_KEY"] = str(key)


def services() -> Services:
    """One Services per configuration (tests change ASSISTANT_* between runs in one process)."""
    _key_from_secrets()
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("ASSISTANT_") or k == "OPENAI_API_KEY"))
    return _services(key)


def lang() -> str:
    return st.session_state.get("ui_lang", "it")


def t(key: str, **values: object) -> str:
    return _t(key, lang(), **values)


def brand_slug() -> str | None:
    return st.session_state.get("brand")


SESSION_KEY = "auth_cookie"  # where a test (AppTest cannot send cookies) puts a real session's cookie value


def oidc_configured() -> bool:
    """OpenID Connect through `st.login`: an `[auth]` section in .streamlit/secrets.toml."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file
        return False


def oidc_email() -> str | None:
    """The e-mail OpenID Connect vouched for (`st.login`, when `[auth]` is configured), else None."""
    try:
        user = st.user
        if getattr(user, "is_logged_in", False):
            email = user.get("email")
            return str(email) if email and user.get("email_verified", True) is not False else None
    except Exception:  # auth not configured
        return None
    return None


def client_address() -> str:
    """The browser's address as Streamlit saw it (None from this machine: recorded as loopback)."""
    try:
        value = st.context.ip_address
    except Exception:  # no session context
        value = None
    return value if isinstance(value, str) and value else "127.0.0.1"


def current_actor() -> Actor | None:
    """The signed-in person: the session cookie (set by /account/signin), checked against the
    database on every run (expired, ended or disabled means signed out), or the Copydesk user
    whose e-mail OpenID Connect signed in. Never a name typed in."""
    from assistant.accounts.sessions import COOKIE

    svc = services()
    cookie = st.context.cookies.get(COOKIE) if st.context.cookies else None
    actor = svc.sessions.resolve(cookie or st.session_state.get(SESSION_KEY))
    if actor is not None:
        return actor
    email = oidc_email()
    if email is None:
        return None
    actor = svc.people.by_email(email)
    if actor is not None and st.session_state.get("oidc_recorded") != actor.user_id:
        svc.people.touch_login(actor.user_id, via="oidc", address=client_address())  # type: ignore[arg-type]
        st.session_state["oidc_recorded"] = actor.user_id
    return actor


def sign_out() -> None:
    """Ends this browser's session in the database (every tab and replica); recorded."""
    from assistant.accounts.sessions import COOKIE

    cookie = (st.context.cookies.get(COOKIE) if st.context.cookies else None) or st.session_state.get(SESSION_KEY)
    services().sessions.end(cookie, address=client_address())
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop("actor", None)


def reviewer() -> Actor:
    """The signed-in person (the shell stops every page before it runs without one)."""
    actor = st.session_state.get("actor")
    if not isinstance(actor, Actor):
        st.stop()
    return actor


def when(moment: object, tz: str | None = None, *, seconds: bool = False) -> str:
    """A stored (UTC) time in the reader's zone (their preference, else the brand's `tz`), in
    their language, with the zone named: "14 mar 2026, 18:30 (Europe/Rome)"."""
    from datetime import datetime

    from assistant import i18n
    from assistant.plan.calendar import to_local

    if not isinstance(moment, datetime):
        return ""
    person = st.session_state.get("actor")
    zone = (person.timezone if isinstance(person, Actor) and person.timezone else None) or tz or "UTC"
    return f"{i18n.moment(to_local(moment, zone), lang(), seconds=seconds)} ({zone})"


def say(exc: BaseException, language: str | None = None) -> str:
    """A library error in the reader's language: its own `localised(lang)`, else the catalogue's
    `error.<code>` with its params, else its (English) message. Plain text: escape it to show it."""
    language = language or lang()
    localised = getattr(exc, "localised", None)
    if callable(localised):
        return str(localised(language))
    code = getattr(exc, "code", None)
    known = CATALOGUE.get(language, {})
    if code and (f"error.{code}" in known or f"error.{code}.other" in known):
        return _t(f"error.{code}", language, **_readable(getattr(exc, "params", None) or {}, language))
    return str(exc)


def _readable(params: dict, language: str) -> dict:
    """An error's params as the reader knows them: states and actions by their names, a brand by its name."""
    out = dict(params)
    if "state" in out:
        out["state"] = _t(f"state.{out['state']}", language)
    if "action" in out:
        action = str(out["action"])
        out["action"] = (_t(f"action.{action}", language) if f"action.{action}" in CATALOGUE[language]
                         else _t(f"history.{action}", language) if f"history.{action}" in CATALOGUE[language]
                         else action.replace("_", " "))
    if "brand" in out:
        try:
            out["brand"] = services().brand(str(out["brand"])).profile.name
        except AssistantError:
            pass  # not a slug (already a name): as it is
    return out


@contextmanager
def shown_errors() -> Iterator[None]:
    """Library errors become a clear message in the reader's language (they already say what to
    do: `say`); nothing else is lost."""
    try:
        yield
    except AssistantError as exc:
        st.error(t("error.prefix", message=md(say(exc))), icon="⚠️")


# --- foreign text -------------------------------------------------------------------------------
# Posts, guidelines, briefs, comments, profiles and model output are not ours: they are shown as
# text, never as Markdown or HTML (an image, link or iframe in them must not load anything).



def md(text: object) -> str:
    """`text` escaped for st.markdown/st.caption: no Markdown or HTML in it takes effect."""
    return escape_markdown(text).replace("\n", "  \n")  # a line break stays one


def md_values(values: object) -> dict:
    """The values of a catalogue message shown as Markdown: text escaped with `md`, numbers kept
    (so a format such as `{n}` still works)."""
    return {k: v if isinstance(v, (int, float)) else md(v) for k, v in dict(values or {}).items()}  # type: ignore[call-overload]


def show_text(text: object, *, muted: bool = False) -> None:
    """A block of foreign text, as text."""
    color = "#666" if muted else "inherit"
    st.html(f"<div style='white-space:pre-wrap;color:{color};font-size:0.95rem'>"
            f"{html.escape(str(text if text is not None else ''))}</div>")


def show_violations(violations: object) -> None:
    """Violations in the reader's language (they are data: rendered here, at display time)."""
    from assistant.platforms import as_violations

    for v in as_violations(violations):  # type: ignore[arg-type]
        st.markdown(("🛑 " if v.severity == "error" else "⚠️ ") + md(v.message(lang())))
