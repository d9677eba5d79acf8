"""Models: administrators choose who writes the drafts (local, OpenAI, any OpenAI-compatible server),
its address, model and key; "test connection" runs one short completion and shows the model's
answer or the provider's exact error; "save" makes it the choice of every app process on this
home. Environment variables still win, and the page names them. Keys are shown only masked."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from assistant.drafting.models import (PANEL_PROVIDERS, ConnectionCheck, ModelChoice, ModelStatus, changed,
                                       check_connection, mask, problems, status)
from assistant.drafting.providers import DEFAULT_OPENAI_MODEL
from assistant.errors import AssistantError
from assistant.i18n import number
from assistant.web.common import lang, md, reviewer, services, shown_errors, t, when

svc = services()
me = reviewer()
LABELS = {"provider": "models.provider", "model": "models.model", "base_url": "models.base_url",
          "local_model_path": "models.local_path", "openai_api_key": "models.key",
          "compatible_api_key": "models.key"}
DEFAULT_MODEL = {"openai": DEFAULT_OPENAI_MODEL, "compatible": "default"}

st.title(t("models.title"))
if not me.is_admin:
    st.caption(t("models.admins_only"))
    st.stop()


def provider_label(name: str) -> str:
    return t(f"models.provider.{name}") if name in (*PANEL_PROVIDERS, "fake") else name


def current() -> tuple[ModelChoice, ModelStatus]:
    try:
        saved = svc.models.load()
        return saved, status(svc.settings, saved)
    except AssistantError as exc:  # a file others can read, an unknown provider in the environment
        st.error(t("error.prefix", message=md(exc)), icon="⚠️")
        st.stop()
        raise


def show_status(saved: ModelChoice, now: ModelStatus) -> None:
    st.caption(t("models.active", provider=md(provider_label(now.provider)), model=md(now.model)))
    if now.base_url:
        st.caption(t("models.active_url", url=md(now.base_url)))
    if now.key:
        source = t("models.key_source.saved") if now.key_from == "saved" else md(now.key_from)
        st.caption(t("models.key_from", source=source, masked=md(now.key)))
    for name, variable in now.overrides.items():
        st.info(t("models.env_wins", variable=md(variable), setting=t(LABELS[name])), icon="🔒")
    if saved.updated_by and saved.updated_at:
        st.caption(t("models.saved_by", who=md(saved.updated_by), when=when(datetime.fromisoformat(saved.updated_at))))
    st.caption(t("models.where"))


def form(saved: ModelChoice, now: ModelStatus) -> ModelChoice:
    """The panel's fields, as the choice they describe (a blank key keeps the saved one)."""
    options = list(PANEL_PROVIDERS)
    first = next((p for p in (saved.provider, now.provider) if p in options), "local")
    provider = st.selectbox(t("models.provider"), options, index=options.index(first), format_func=provider_label,
                            key="models_provider")
    mine = saved.provider == provider
    base_url = local_path = model = key = None
    if provider == "compatible":
        base_url = st.text_input(t("models.base_url"), value=saved.base_url or "",
                                 placeholder="http://127.0.0.1:11434/v1", key="models_base_url")
    if provider == "local":
        local_path = st.text_input(t("models.local_path"), value=saved.local_model_path or "", key="models_local_path")
    else:
        model = st.text_input(t("models.model"), value=(saved.model or "") if mine else "",
                              help=t("models.model_help", default=DEFAULT_MODEL[provider]), key=f"models_model_{provider}")
        key = st.text_input(t("models.key"), type="password", help=t("models.key_help"), key=f"models_key_{provider}")
    choice = changed(saved, provider=provider, model=model, base_url=base_url, local_model_path=local_path, api_key=key)
    kept = changed(saved, provider=provider, base_url=base_url).key()
    if kept and not key:
        st.caption(t("models.key_saved", masked=md(mask(kept))))
        if st.checkbox(t("models.forget_key"), key=f"models_forget_{provider}"):
            choice = changed(saved, provider=provider, model=model, base_url=base_url, forget_key=True)
    return choice


def show_check(result: ConnectionCheck) -> None:
    if result.ok:
        st.success(t("models.test_ok", model=md(result.model), provider=md(provider_label(result.provider)),
                     seconds=number(result.latency_ms / 1000, lang(), digits=1)), icon="✅")
        st.code(result.answer, language=None, wrap_lines=True)  # the model's words, as plain text
        return
    st.error(t("models.test_failed", provider=md(provider_label(result.provider)), model=md(result.model or "-"),
               reason=t(f"models.failure.{result.failure}")), icon="⚠️")
    if result.detail:
        st.caption(t("models.provider_said"))
        st.code(result.detail, language=None, wrap_lines=True)  # the provider's words, as plain text


saved, now = current()
if st.session_state.pop("models_saved", False):
    for name in PANEL_PROVIDERS:  # the typed key is saved: it does not stay in the form
        st.session_state.pop(f"models_key_{name}", None)
    st.success(t("models.saved"), icon="💾")
show_status(saved, now)
st.divider()
choice = form(saved, now)
left, right = st.columns(2)
test = left.button(t("models.test"), key="models_test")
save = right.button(t("models.save"), key="models_save", type="primary")
found = problems(choice, svc.settings) if test or save else []
for problem in found:
    st.error(t(f"models.problem.{problem}"), icon="⚠️")
if test and not found:
    with shown_errors():
        show_check(check_connection(svc.settings, choice, by=me))
if save and not found:
    with shown_errors():
        svc.models.save(choice, by=me)
        st.session_state["models_saved"] = True
        st.rerun()  # the sidebar's "active model" and this page show the new choice
