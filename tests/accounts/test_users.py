"""Accounts: argon2 hashes only, one message for every failed sign-in, lockout, audited events,
the CLI's --by naming real users, and the migration of names typed before accounts."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text

from assistant.accounts import PermissionDenied, SignInFailed
from assistant.errors import InvalidRequest
from tests.factories import add_people, clock, db_url, make_draft, queue  # noqa: F401 (fixtures)

PASSWORD = "una frase abbastanza lunga"


@pytest.fixture
def people(queue):
    queue.people.add("root", name="Root Admin", grants=[("admin", None)]) if queue.people.count() == 0 else None
    root = queue.people.actor("root")
    queue.people.add("anna", name="Anna Rossi", email="Anna@Example.com", password=PASSWORD,
                     grants=[("editor", "lana")], by=root)
    return queue.people


def test_passwords_are_argon2_hashes_and_never_stored_or_logged(people, queue, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SignInFailed):
        people.authenticate("anna", "una password sbagliata", address="10.0.0.7")
    actor = people.authenticate("anna", PASSWORD, address="10.0.0.7")
    assert actor.username == "anna" and actor.email == "anna@example.com"
    with queue.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users WHERE username = 'anna'")).scalar_one()
        dump = json.dumps([list(map(str, r)) for table in ("users", "auth_events", "auth_sessions")
                           for r in conn.execute(text(f"SELECT * FROM {table}"))])
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PASSWORD not in dump and "una password sbagliata" not in dump
    assert PASSWORD not in caplog.text and "sbagliata" not in caplog.text


def test_one_message_for_unknown_user_wrong_password_disabled_and_locked(people):
    messages = set()
    for username, password in (("nessuno", PASSWORD), ("anna", "sbagliata!!"), ("", "")):
        with pytest.raises(SignInFailed) as err:
            people.authenticate(username, password)
        messages.add(str(err.value))
    people.set_active("anna", False, by=people.actor("root"))
    with pytest.raises(SignInFailed) as err:
        people.authenticate("anna", PASSWORD)
    messages.add(str(err.value))
    assert len(messages) == 1


def test_five_failures_in_fifteen_minutes_lock_for_fifteen_minutes(people, clock):
    for _ in range(4):
        with pytest.raises(SignInFailed):
            people.authenticate("anna", "sbagliata!!", address="192.0.2.1")
        clock.advance(60)
    assert people.authenticate("anna", PASSWORD).username == "anna"  # 4 failures: not locked; success resets
    for _ in range(5):
        with pytest.raises(SignInFailed):
            people.authenticate("anna", "sbagliata!!", address="192.0.2.1")
    with pytest.raises(SignInFailed):
        people.authenticate("anna", PASSWORD)  # locked: even the right password fails
    clock.advance(14 * 60)
    with pytest.raises(SignInFailed):
        people.authenticate("anna", PASSWORD)
    clock.advance(2 * 60)
    assert people.authenticate("anna", PASSWORD).username == "anna"
    events = [(e.action, e.address) for e in reversed(people.events(user="anna"))]
    assert events.count(("locked", "192.0.2.1")) == 1
    assert ("signin_failed", "192.0.2.1") in events and events[-1] == ("signin", None)
    assert all(e.at is not None for e in people.events(user="anna"))


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(people, clock):
    for _ in range(8):
        with pytest.raises(SignInFailed):
            people.authenticate("anna", "sbagliata!!")
        clock.advance(4 * 60)  # 4 per quarter of an hour at most
    assert people.authenticate("anna", PASSWORD).username == "anna"


def test_unknown_usernames_are_not_recorded_as_typed(people, queue):
    with pytest.raises(SignInFailed):
        people.authenticate("la-mia-password-segreta", "x")
    with queue.engine.connect() as conn:
        rows = conn.execute(text("SELECT data FROM auth_events WHERE action = 'signin_failed'")).all()
    assert rows and "la-mia-password-segreta" not in str(rows)


def test_only_admins_manage_users_and_the_last_admin_stays(people):
    anna = people.actor("anna")
    with pytest.raises(PermissionDenied):
        people.add("bruno", name="Bruno", grants=[("editor", None)], by=anna)
    with pytest.raises(PermissionDenied):
        people.grant("anna", "admin", by=anna)
    root = people.actor("root")
    with pytest.raises(InvalidRequest, match="last administrator"):
        people.revoke("root", "admin", by=root)
    with pytest.raises(InvalidRequest, match="role"):
        people.grant("anna", "superuser", by=root)
    with pytest.raises(InvalidRequest, match="taken"):
        people.add("anna", name="Anna Bis", by=root)
    with pytest.raises(InvalidRequest, match="username"):
        people.add("Anna Rossi!", name="Anna", by=root)
    assert people.grant("anna", "approver", "lana", by=root).grants[-1].role == "approver"
    people.set_active("anna", False, by=root)
    with pytest.raises(PermissionDenied, match="disabled"):
        people.actor("anna")


def test_four_eyes_identity_across_typed_names(queue):
    """`--by "ada."` is nobody; `--by " ADA "` is Ada: identities are usernames resolved to ids."""
    add_people(queue)
    item = queue.add_draft(make_draft(brand="strict-brand"), by=" ADA ", submit=True)
    assert queue.get(item.id).created_by_id == queue.people.actor("ada").user_id
    for typed in ("ada.", "Ada Lovelace", "ai:fake/fake-1", ""):
        with pytest.raises(InvalidRequest):
            queue.approve(item.id, by=typed)
    assert queue.get(item.id).state == "in_review"


def test_migration_keeps_typed_names_readable_as_legacy(db_url):
    from alembic import command

    from assistant.db.engine import alembic_config, make_engine, upgrade
    from assistant.db.models import AuditEvent, Comment, Item, Revision
    from tests.factories import T0

    command.upgrade(alembic_config(url=db_url), "0004_knowledge_record")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            cols = {"brand": "lana", "platform": "x", "brief": "b", "goal": "community", "language": "it",
                    "state": "approved", "version": 3, "current_revision": 1, "archived": False,
                    "created_at": T0, "updated_at": T0}
            item_id = conn.execute(text(
                "INSERT INTO review_items (brand, platform, brief, goal, language, state, version, current_revision, "
                "archived, created_by, created_at, updated_at) VALUES (:brand, :platform, :brief, :goal, :language, "
                ":state, :version, :current_revision, :archived, 'Giulia', :created_at, :updated_at) RETURNING id"),
                cols).scalar_one()
            for number, author in ((0, "ai:fake/fake-1"), (1, "Giulia")):
                conn.execute(text("INSERT INTO review_revisions (item_id, number, text, author, created_at, violations) "
                                  "VALUES (:i, :n, 'testo', :a, :t, '[]')"), {"i": item_id, "n": number, "a": author,
                                                                             "t": T0})
            conn.execute(text("INSERT INTO review_comments (item_id, author, text, created_at) VALUES (:i, 'Marco', "
                              "'ok', :t)"), {"i": item_id, "t": T0})
            conn.execute(text("INSERT INTO review_audit (item_id, actor, at, action) VALUES (:i, 'Marco', :t, "
                              "'approve')"), {"i": item_id, "t": T0})
        assert upgrade(engine) is True
        with engine.connect() as conn:
            assert conn.execute(text("SELECT created_by, created_by_id FROM review_items")).one() == ("(legacy) Giulia",
                                                                                                       None)
            assert [tuple(r) for r in conn.execute(text("SELECT author, author_id FROM review_revisions ORDER BY number"))] \
                == [("ai:fake/fake-1", None), ("(legacy) Giulia", None)]
            assert conn.execute(text("SELECT author FROM review_comments")).scalar_one() == "(legacy) Marco"
            assert conn.execute(text("SELECT actor FROM review_audit")).scalar_one() == "(legacy) Marco"
        assert {Item, Revision, Comment, AuditEvent}  # the models read the migrated rows (test_migrations compares)
    finally:
        engine.dispose()


def test_preferences_are_the_persons_own_and_checked(db_url):
    from assistant.review import ReviewQueue

    queue = ReviewQueue(db_url)
    try:
        people = queue.people
        people.add("root", name="Root Admin", grants=[("admin", None)])
        people.add("ada", name="Ada", grants=[("editor", None)], by=people.actor("root"))
        ada = people.actor("ada")
        assert ada.language is None and ada.timezone is None
        after = people.set_preferences(ada, language="en", timezone="America/New_York")
        assert after.language == "en" and after.timezone == "America/New_York"
        again = people.actor("ada")  # another device, another process: from the database
        assert again.language == "en" and again.timezone == "America/New_York"
        assert people.set_preferences(again, timezone="").timezone is None  # back to the brand's zone
        assert people.actor("ada").language == "en"  # the language stays as it was
        with pytest.raises(InvalidRequest) as bad_zone:
            people.set_preferences(again, timezone="Europe/Atlantis")
        assert bad_zone.value.code == "zone_unknown"
        with pytest.raises(InvalidRequest):
            people.set_preferences(again, language="fr")
        assert people.actor("root").language is None  # nobody else's changed
    finally:
        queue.close()
