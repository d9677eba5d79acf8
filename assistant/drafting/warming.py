"""Warming a provider's prompt cache: the brand's part of the draft prompt (`blocks.brand_messages`)
sent once, in the background, when a person chooses a brand, so that the first draft only has to
read its own part. llama.cpp keeps the KV cache of the previous request in its slot (and, in
recent versions, earlier prompts in RAM, `cache_ram_mib`) and reuses the longest common token
prefix; the bundled model reads ~1,900 tokens in ~10 s on two cores, so a cold first draft waits
that long for its first token.

Only a provider that says it caches prompts (`caches_prompt`, the in-process llama.cpp server) is
warmed; nothing is warmed elsewhere (a remote API bills every token, and keeps no such cache for
us). A warm-up asks for one token, discards it and is never recorded as a draft.

One slot serialises requests, so:
- a warm-up never starts while a real draft is being written on that server: it waits until the
  drafts end (`drafting()` brackets them);
- a draft that arrives while a warm-up runs waits on the server for it to finish. It is the same
  brand's prefix almost always (the person chose the brand, then wrote), which the draft then
  reuses: the wait is reading the draft had to do anyway;
- of the warm-ups asked for while one runs, only the latest is kept (someone clicking through
  brands warms the one they stopped at, not every one they passed);
- a prefix sent in the last FRESH_SECONDS (warmed, or by a real draft: `sent`) is not sent again,
  so calling `warm` on every page run costs a dictionary look-up.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

from assistant.drafting.providers.base import Message, Provider

log = logging.getLogger(__name__)
FRESH_SECONDS = 600.0


@runtime_checkable
class CachesPrompts(Protocol):
    """A provider whose server keeps the KV cache of prompts it was sent."""

    caches_prompt: bool

    def warm_prompt(self, messages: Sequence[Message]) -> None: ...


def fingerprint(messages: Sequence[Message]) -> str:
    return hashlib.sha256(json.dumps(list(messages), ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def caches(provider: Provider) -> bool:
    return isinstance(provider, CachesPrompts) and bool(provider.caches_prompt)


def _server(provider: Provider) -> str:
    """Who holds the cache: one server per (provider, model, address)."""
    return f"{provider.name}|{provider.model}|{provider.base_url or ''}"


class Warming:
    """One warm-up: `wait()` until it was sent, failed or was superseded by a later one."""

    def __init__(self, brand: str, digest: str) -> None:
        self.brand, self.fingerprint = brand, digest
        self.sent: bool | None = None  # True: the server has it; False: skipped or failed; None: pending
        self._event = threading.Event()

    def _end(self, sent: bool) -> None:
        self.sent = sent
        self._event.set()

    @property
    def done(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)


class Warmer:
    """Warm-ups per server, one at a time in a background thread (see the module docstring).
    Thread-safe; one per process is enough (`Services.warmer`)."""

    def __init__(self, *, fresh_for: float = FRESH_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.fresh_for, self.clock = fresh_for, clock
        self._cv = threading.Condition()
        self._sent: dict[tuple[str, str], float] = {}  # (server, fingerprint) -> when the server last read it
        self._pending: dict[str, tuple[Warming, Provider, list[Message]]] = {}  # server -> the latest wanted
        self._current: dict[str, Warming] = {}  # server -> the warm-up on the wire
        self._drafting: Counter[str] = Counter()  # server -> real drafts being written
        self._workers: set[str] = set()
        self._done_once: set[str] = set()

    def warm(self, provider: Provider, brand: str, messages: Sequence[Message]) -> Warming | None:
        """Send `messages` to `provider` in the background, once; None when it keeps no prompt cache."""
        if not caches(provider):
            return None
        server, digest = _server(provider), fingerprint(messages)
        with self._cv:
            for job in (self._current.get(server), self._pending.get(server, (None,))[0]):
                if job is not None and job.fingerprint == digest:
                    return job  # already on its way
            job = Warming(brand, digest)
            if self._fresh(server, digest):
                job._end(True)
                return job
            superseded = self._pending.get(server)
            if superseded is not None:
                superseded[0]._end(False)
            self._pending[server] = (job, provider, list(messages))
            if server not in self._workers:
                self._workers.add(server)
                threading.Thread(target=self._work, args=(server,), daemon=True, name=f"warm-{provider.name}").start()
            self._cv.notify_all()
        return job

    def once(self, key: str, task: Callable[[], object]) -> None:
        """Run `task` once per `key` in this process, in a background thread (e.g. loading the
        embedding model, ~3 s on a loaded machine, before the first brief needs it); its errors
        are logged: the real call will meet them again and say what to fix."""
        with self._cv:
            if key in self._done_once:
                return
            self._done_once.add(key)

        def run() -> None:
            try:
                task()
            except Exception:
                log.warning("warming %s failed", key, exc_info=True)

        threading.Thread(target=run, daemon=True, name=f"warm-{key}").start()

    def sent(self, provider: Provider, messages: Sequence[Message]) -> None:
        """A real draft sent a prompt that starts with `messages`: that prefix is warm now."""
        if caches(provider):
            with self._cv:
                self._sent[(_server(provider), fingerprint(messages))] = self.clock()

    @contextmanager
    def drafting(self, provider: Provider) -> Iterator[None]:
        """Around a real draft: no warm-up starts on its server meanwhile."""
        server = _server(provider)
        with self._cv:
            self._drafting[server] += 1
        try:
            yield
        finally:
            with self._cv:
                self._drafting[server] -= 1
                self._cv.notify_all()

    def _fresh(self, server: str, digest: str) -> bool:
        at = self._sent.get((server, digest))
        return at is not None and self.clock() - at < self.fresh_for

    def _work(self, server: str) -> None:
        while True:
            with self._cv:
                while self._drafting[server] > 0 and server in self._pending:
                    self._cv.wait()
                job_provider = self._pending.pop(server, None)
                if job_provider is None:
                    self._workers.discard(server)
                    return
                job, provider, messages = job_provider
                if self._fresh(server, job.fingerprint):  # a real draft sent it meanwhile
                    job._end(True)
                    continue
                self._current[server] = job
            sent = self._send(provider, messages, job)
            with self._cv:
                self._current.pop(server, None)
                if sent:
                    self._sent[(server, job.fingerprint)] = self.clock()
                job._end(sent)

    @staticmethod
    def _send(provider: Provider, messages: list[Message], job: Warming) -> bool:
        started = time.perf_counter()
        try:
            provider.warm_prompt(messages)  # type: ignore[attr-defined]  # caches() checked it has one
        except Exception as exc:  # an optimisation only: the draft itself will read the prompt
            log.warning("warming %s's prompt on %s failed (%s): the first draft reads it cold", job.brand,
                        provider.name, type(exc).__name__)
            return False
        log.info("warmed %s's prompt on %s in %.1f s", job.brand, provider.name, time.perf_counter() - started)
        return True
