"""Drafting jobs: a brief or a refinement runs in a background thread of this process and writes
every step to the desk's rows as it happens. The page only reads those rows, so the job does not
belong to a browser tab: a reload, a new tab or another app process sees it stream.

One heartbeat thread per process keeps this process's running jobs fresh; when the process dies
the heartbeat stops and any reader marks the job interrupted (`Desk.reap`). A thread that dies
inside a live process is caught too (`writer_orphans`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from assistant.accounts.permissions import require
from assistant.accounts.schemas import Actor
from assistant.desk.store import Desk
from assistant.drafting.drafter import Drafter
from assistant.drafting.schemas import Draft, DraftEvent, DraftRequest
from assistant.errors import AssistantError
from assistant.i18n import CATALOGUE

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.25  # streamed text reaches the database at most this often (and at every draft's end)
BEAT_SECONDS = 2.0


def process_owner() -> str:
    """This process, as a job's owner: host, pid and a random tag (pids are reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Jobs:
    def __init__(self, desk: Desk, drafter: Callable[[Actor], Drafter], *, owner: str | None = None,
                 flush: float = FLUSH_SECONDS, beat: float = BEAT_SECONDS) -> None:
        self.desk = desk
        self.drafter = drafter
        self.owner = owner or process_owner()
        self.flush, self.beat = flush, beat
        self._threads: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()
        self._beating: threading.Thread | None = None

    # --- starting jobs --------------------------------------------------------------------------

    def brief(self, actor: Actor, session_id: int, request: DraftRequest) -> int:
        """Drafts for a brief (every platform x variant), as a job; returns the job's id."""
        require(actor, "draft", request.brand)
        turn = self.desk.start_turn(actor, session_id, kind="brief", text=request.brief,
                                    request={"draft": request.model_dump(mode="json")}, owner=self.owner)
        # the drafter is built in the job: a provider that cannot start fails the job, the brief stays
        self._spawn(turn, lambda: self.drafter(actor).stream(request), refine=False)
        return turn

    def refine(self, actor: Actor, session_id: int, target: Draft, instruction: str) -> int:
        """A new version of `target` following `instruction`, as a job."""
        require(actor, "draft", target.brand)
        turn = self.desk.start_turn(actor, session_id, kind="refine", text=instruction,
                                    request={"refine": target.model_dump(mode="json"), "instruction": instruction},
                                    owner=self.owner)
        self._spawn(turn, lambda: self.drafter(actor).stream_refine(target, instruction), refine=True)
        return turn

    def resume(self, actor: Actor, turn_id: int) -> int:
        """An interrupted job again, in this process: finished drafts are kept, the rest is written anew."""
        request, done = self.desk.resume(actor, turn_id, self.owner)
        if "draft" in request:
            draft_request = DraftRequest.model_validate(request["draft"])
            self._spawn(turn_id, lambda: self.drafter(actor).stream(draft_request, skip=frozenset(done)),
                        refine=False)
        else:
            target = Draft.model_validate(request["refine"])
            self._spawn(turn_id, lambda: self.drafter(actor).stream_refine(target, request["instruction"]),
                        refine=True)
        return turn_id

    # --- watching -------------------------------------------------------------------------------

    def running(self) -> set[int]:
        """The jobs this process runs now (registered before their thread starts, until it ends)."""
        with self._lock:
            return set(self._threads)

    def wait(self, turn_id: int, timeout: float | None = None) -> bool:
        """Block until the job ends here (True) or `timeout` passes (False); for the CLI and tests."""
        with self._lock:
            thread = self._threads.get(turn_id)
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    # --- running --------------------------------------------------------------------------------

    def _spawn(self, turn_id: int, events: Callable[[], Iterator[DraftEvent]], *, refine: bool) -> None:
        thread = threading.Thread(target=self._run, args=(turn_id, events, refine), daemon=True,
                                  name=f"desk-job-{turn_id}")
        with self._lock:
            self._threads[turn_id] = thread
            thread.start()
            if self._beating is None or not self._beating.is_alive():
                self._beating = threading.Thread(target=self._beat, daemon=True, name="desk-heartbeat")
                self._beating.start()

    def _run(self, turn_id: int, events: Callable[[], Iterator[DraftEvent]], refine: bool) -> None:
        stream = _Writer(self.desk, turn_id, self.flush)
        try:
            for ev in events():
                stream.take(ev)
            target = stream.last.id if refine and stream.last is not None else None
            self.desk.writer_end(turn_id, "done", target=target)
        except AssistantError as exc:  # its message says what to fix; what streamed is kept, marked
            stream.save()
            self.desk.writer_end(turn_id, "failed", _error(exc))
        except Exception:  # a fault of ours: logged with its traceback, the job says so
            log.exception("drafting job %s failed", turn_id)
            stream.save()
            self.desk.writer_end(turn_id, "failed", {"kind": "internal", "message": ""})
        finally:
            with self._lock:
                self._threads.pop(turn_id, None)

    def _beat(self) -> None:
        while True:
            alive = self.running()
            try:
                self.desk.writer_beat(self.owner)
                self.desk.writer_orphans(self.owner, alive)
            except Exception:  # the database is away for a moment: the next beat tries again
                log.warning("desk heartbeat failed", exc_info=True)
            with self._lock:
                if not self._threads:
                    self._beating = None
                    return
            time.sleep(self.beat)


class _Writer:
    """Turns one job's events into row writes, batching tokens."""

    def __init__(self, desk: Desk, turn_id: int, flush: float) -> None:
        self.desk, self.turn_id, self.flush = desk, turn_id, flush
        self.row: int | None = None
        self.text, self.repairing, self.saved_at = "", False, 0.0
        self.last: Draft | None = None

    def take(self, ev: DraftEvent) -> None:
        if ev.kind == "start":
            self.row = self.desk.writer_begin(self.turn_id, ev.platform, ev.variant)
            self.text, self.repairing = "", False
        elif ev.kind == "token":
            self.text += ev.text
            if time.monotonic() - self.saved_at >= self.flush:
                self.save()
        elif ev.kind == "repair":
            self.repairing = True
            self.save()
        elif ev.kind == "done" and ev.draft is not None and self.row is not None:
            self.desk.writer_finish(self.row, ev.draft)
            self.last, self.row = ev.draft, None

    def save(self) -> None:
        if self.row is not None:
            self.desk.writer_stream(self.row, self.text, self.repairing)
            self.saved_at = time.monotonic()


def _error(exc: AssistantError) -> dict[str, Any]:
    """How a failed job is recorded: the error's kind, its message, and its catalogue key if it has
    one (an error with a `code` is said from `error.<code>` in the reader's language)."""
    key = getattr(exc, "key", None)
    if key is None and exc.code and f"error.{exc.code}" in CATALOGUE["en"]:
        key = f"error.{exc.code}"
    return {"kind": type(exc).__name__, "message": str(exc), "key": key,
            "params": {k: str(v) for k, v in (getattr(exc, "params", None) or {}).items()}}
