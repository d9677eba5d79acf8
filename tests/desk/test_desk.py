"""The drafting desk: sessions that belong to a user, jobs that write every step to the system of
record, a second process that sees the same session, a killed process whose job is marked
interrupted (real SIGKILL) and resumed, card edits, failures that keep what streamed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest

from assistant.accounts.permissions import PermissionDenied
from assistant.desk import Desk, DeskBusy, DeskNotFound, DeskOptions, Jobs
from assistant.drafting.providers import FakeProvider
from assistant.drafting.schemas import DraftRequest
from assistant.errors import ProviderError
from assistant.services import Services
from tests.conftest import REPO
from tests.factories import add_people, db_url  # noqa: F401

BRAND = "bottega-pasubio"


def brief(**kw) -> DraftRequest:
    base = {"brand": BRAND, "platforms": ["instagram", "linkedin"], "brief": "Laboratorio di rammendo sabato",
            "variants": 1}
    return DraftRequest(**(base | kw))


@pytest.fixture
def desk(services):
    add_people(services.review, ["Ada", "Bea"], role="editor")
    services.people.add("vera", name="Vera Viewer", grants=[("viewer", None)], by=services.people.actor("root"))
    return services


def jobs_with(services, provider, **kw) -> Jobs:
    return Jobs(services.desk, lambda actor: services.drafter(provider=provider, actor=actor), **kw)


def test_a_brief_job_writes_every_draft_and_the_session_reads_back_whole(desk):
    ada = desk.people.actor("ada")
    jobs = jobs_with(desk, FakeProvider())
    session = desk.desk.open(ada, BRAND, DeskOptions(platforms=["instagram", "linkedin"], goal="awareness"))
    turn = jobs.brief(ada, session, brief())
    assert jobs.wait(turn, timeout=30)
    view = desk.desk.get(ada, session)
    [t] = view.turns
    assert t.state == "done" and t.kind == "brief" and t.text == "Laboratorio di rammendo sabato"
    assert [(d.platform, d.variant, d.state) for d in t.drafts] == [("instagram", 1, "done"), ("linkedin", 1, "done")]
    assert all(d.draft is not None and d.text == d.draft.text and d.draft.text for d in t.drafts)
    assert view.title == "Laboratorio di rammendo sabato" and view.options.goal == "awareness"
    # a second "process" (its own Services, engine and desk on the same database) reads the same session
    other = Services(desk.settings, embedder=desk.embedder)
    again = other.desk.get(other.people.actor("ada"), session)
    assert [d.draft.id for d in again.turns[0].drafts] == [d.draft.id for d in t.drafts]
    assert other.desk.latest(other.people.actor("ada"), BRAND) == session
    [summary] = other.desk.recent(other.people.actor("ada"), BRAND)
    assert summary.drafts == 2 and not summary.running and summary.title == view.title


def test_streamed_text_is_in_the_database_while_the_job_runs(desk):
    ada = desk.people.actor("ada")
    jobs = jobs_with(desk, FakeProvider(delay=0.05), flush=0.05, beat=0.2)
    session = desk.desk.open(ada, BRAND)
    turn = jobs.brief(ada, session, brief(platforms=["instagram"]))
    seen = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        view = desk.desk.get(ada, session)
        drafts = view.turns[0].drafts
        if drafts and drafts[0].state == "streaming" and drafts[0].text:
            seen.append(drafts[0].text)
        if view.turns[0].state != "running":
            break
        time.sleep(0.05)
    assert len(seen) >= 2 and len(seen[-1]) > len(seen[0]), (seen, view.turns[0].state, view.turns[0].error)  # it grew while being read
    assert jobs.wait(turn, 10)
    final = desk.desk.get(ada, session).turns[0].drafts[0]
    assert final.state == "done" and final.text.startswith(seen[0].strip()[:10])


def test_one_job_at_a_time_per_session(desk):
    ada = desk.people.actor("ada")
    session = desk.desk.open(ada, BRAND)
    desk.desk.start_turn(ada, session, kind="brief", text="uno", request={}, owner="someone")
    with pytest.raises(DeskBusy):
        desk.desk.start_turn(ada, session, kind="brief", text="due", request={}, owner="someone")
    other = desk.desk.open(ada, BRAND)  # a new brief is a new session: it may run beside the first
    assert desk.desk.start_turn(ada, other, kind="brief", text="tre", request={}, owner="someone")


def test_sessions_belong_to_their_user_and_drafting_needs_the_role(desk):
    ada, bea, vera = (desk.people.actor(u) for u in ("ada", "bea", "vera"))
    session = desk.desk.open(ada, BRAND)
    with pytest.raises(DeskNotFound):
        desk.desk.get(bea, session)
    with pytest.raises(DeskNotFound):
        desk.desk.save_options(bea, session, DeskOptions())
    assert desk.desk.recent(bea, BRAND) == [] and desk.desk.latest(bea, BRAND) is None
    with pytest.raises(PermissionDenied):
        desk.desk.open(vera, BRAND)
    with pytest.raises(PermissionDenied):
        jobs_with(desk, FakeProvider()).brief(vera, session, brief())


def test_card_edits_are_kept_and_editing_back_clears_them(desk):
    ada, bea = desk.people.actor("ada"), desk.people.actor("bea")
    jobs = jobs_with(desk, FakeProvider())
    session = desk.desk.open(ada, BRAND)
    jobs.wait(jobs.brief(ada, session, brief(platforms=["instagram"])), 30)
    card = desk.desk.get(ada, session).turns[0].drafts[0]
    desk.desk.edit(ada, card.id, card.text + " #LanaDelPasubio")
    edited = desk.desk.get(ada, session).turns[0].drafts[0]
    assert edited.current_text == card.text + " #LanaDelPasubio" and edited.draft.text == card.text
    desk.desk.edit(ada, card.id, card.text)
    assert desk.desk.get(ada, session).turns[0].drafts[0].edited_text is None
    with pytest.raises(DeskNotFound):
        desk.desk.edit(bea, card.id, "not yours")
    desk.desk.discard(ada, card.id)
    assert desk.desk.get(ada, session).turns[0].shown == []


def test_a_failing_model_fails_the_job_and_keeps_what_streamed(desk):
    ada = desk.people.actor("ada")
    fake = FakeProvider(script=["Prima bozza completa per Instagram #LanaDelPasubio",
                                ProviderError("the server at http://127.0.0.1:9 refused the connection")])
    jobs = jobs_with(desk, fake)
    session = desk.desk.open(ada, BRAND)
    jobs.wait(jobs.brief(ada, session, brief()), 30)
    [t] = desk.desk.get(ada, session).turns
    assert t.state == "failed" and "refused the connection" in t.error["message"]
    assert t.error["kind"] == "ProviderError"
    # what streamed before the failure is kept and marked (never passed off as a finished draft)
    assert t.drafts and all(d.state == "done" and d.draft or d.state == "interrupted" and d.draft is None
                            for d in t.drafts)
    assert "Prima bozza completa" in t.drafts[0].text


def test_a_refinement_becomes_the_next_target(desk):
    ada = desk.people.actor("ada")
    jobs = jobs_with(desk, FakeProvider())
    session = desk.desk.open(ada, BRAND)
    jobs.wait(jobs.brief(ada, session, brief(platforms=["instagram"])), 30)
    first = desk.desk.get(ada, session).turns[0].drafts[0].draft
    jobs.wait(jobs.refine(ada, session, first, "più breve"), 30)
    view = desk.desk.get(ada, session)
    new = view.turns[1].drafts[0].draft
    assert view.turns[1].kind == "refine" and new.parent_id == first.id and view.refine_target == new.id
    assert view.find(new.id).draft.instruction == "più breve"


KILLED = textwrap.dedent("""
    import sys, time
    from assistant.desk import DeskOptions, Jobs
    from assistant.drafting.providers import FakeProvider
    from assistant.drafting.schemas import DraftRequest
    from assistant.knowledge.embeddings import HashingEmbedder
    from assistant.services import Services
    from assistant.settings import load_settings

    svc = Services(load_settings(home=sys.argv[1], brands_dir=sys.argv[2]), embedder=HashingEmbedder())
    ada = svc.people.actor("ada")
    jobs = Jobs(svc.desk, lambda a: svc.drafter(provider=FakeProvider(delay=0.3), actor=a), flush=0.05, beat=0.2)
    session = svc.desk.open(ada, "bottega-pasubio")
    turn = jobs.brief(ada, session, DraftRequest(brand="bottega-pasubio", platforms=["instagram", "x"],
                                                 brief="Laboratorio di rammendo sabato"))
    while not (svc.desk.get(ada, session).turns[0].drafts or [None])[0] or not svc.desk.get(ada, session).turns[0].drafts[0].text:
        time.sleep(0.05)
    print(session, turn, flush=True)
    time.sleep(600)
""")


def test_a_job_whose_process_was_killed_is_interrupted_keeps_its_text_and_resumes(desk, tmp_path):
    ada = desk.people.actor("ada")
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(desk.settings.home), str(desk.settings.brands_dir)],
                            cwd=REPO, stdout=subprocess.PIPE, text=True, env=os.environ | {"PYTHONPATH": str(REPO)})
    try:
        session, turn = map(int, proc.stdout.readline().split())
        os.kill(proc.pid, signal.SIGKILL)  # no cleanup, no last write
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    live = Desk(desk.review, stale=timedelta(seconds=60))
    assert live.get(ada, session).turns[0].state == "running"  # its heartbeat is still recent
    reader = Desk(desk.review, stale=timedelta(seconds=1))
    time.sleep(1.2)
    [t] = reader.get(ada, session).turns
    assert t.state == "interrupted" and t.finished_at is not None
    [half] = t.drafts
    assert half.state == "interrupted" and half.text.strip() and half.draft is None  # what streamed is kept
    jobs = Jobs(reader, lambda a: desk.drafter(provider=FakeProvider(), actor=a))
    jobs.resume(ada, turn)
    assert jobs.wait(turn, 30)
    [t] = reader.get(ada, session).turns
    assert t.state == "done"
    assert [(d.platform, d.state) for d in t.drafts] == [("instagram", "replaced"), ("instagram", "done"),
                                                          ("x", "done")]
    assert [d.platform for d in t.shown] == ["instagram", "x"]
    with pytest.raises(DeskBusy):  # only an interrupted job resumes
        jobs.resume(ada, turn)


def test_on_sqlite_and_postgresql_a_stale_job_is_reaped_and_resumed(db_url, settings, hash_embedder):
    from assistant.settings import load_settings

    svc = Services(load_settings(home=settings.home, brands_dir=settings.brands_dir, database_url=db_url),
                   embedder=hash_embedder)
    add_people(svc.review, ["Ada"], role="editor")
    ada = svc.people.actor("ada")
    session = svc.desk.open(ada, BRAND)
    request = brief(platforms=["instagram"])
    # a job started by a process that then vanished: its heartbeat is old
    turn = svc.desk.start_turn(ada, session, kind="brief", text=request.brief,
                               request={"draft": request.model_dump(mode="json")}, owner="gone:1:dead")
    row = svc.desk.writer_begin(turn, "instagram", 1)
    svc.desk.writer_stream(row, "Sabato in bottega si ramm", False)
    later = Desk(svc.review, clock=lambda: svc.desk.clock() + timedelta(minutes=5))
    assert later.reap() == 1 and later.reap() == 0
    [t] = later.get(ada, session).turns
    assert t.state == "interrupted" and t.drafts[0].text == "Sabato in bottega si ramm"
    jobs = Jobs(svc.desk, lambda a: svc.drafter(provider=FakeProvider(), actor=a))
    jobs.resume(ada, turn)
    assert jobs.wait(turn, 30)
    [t] = svc.desk.get(ada, session).turns
    assert t.state == "done" and [d.state for d in t.drafts] == ["replaced", "done"]
    svc.review.close()


def test_a_provider_the_brand_refuses_fails_the_job_in_the_readers_language_and_keeps_the_brief(desk):
    """The drafter is built in the job (the configured compatible server): the brand allows only
    `local`, so the job fails with the policy's message, the brief stays, and nothing was sent."""
    from assistant.i18n import t
    from tests.utils.policy import TcpListener, restrict

    restrict(desk.settings.brands_dir, BRAND, allowed_providers=["local"])
    with TcpListener() as listener:
        svc = Services(desk.settings.model_copy(update={"provider": "compatible", "base_url": listener.base_url}),
                       embedder=desk.embedder)
        ada = svc.people.actor("ada")
        session = svc.desk.open(ada, BRAND)
        assert svc.jobs.wait(svc.jobs.brief(ada, session, brief()), 30)
        [turn] = svc.desk.get(ada, session).turns
        assert turn.state == "failed" and turn.text == "Laboratorio di rammendo sabato" and turn.drafts == []
        assert turn.error["kind"] == "ProviderNotAllowed" and turn.error["key"] == "error.provider_refused"
        italian = t(turn.error["key"], "it", **turn.error["params"])
        assert "Bottega Pasubio" in italian and "«compatible»" in italian and "pannello Modelli" in italian
        assert listener.connections() == 0
    [event] = [e for e in svc.people.events() if e.action == "provider_refused"]
    assert event.actor_id == ada.user_id and event.data["provider"] == "compatible"
