"""Benchmark: what accounts cost a person. Prints JSON.

    .venv/bin/python bench/accounts.py [--rounds 20]

- hash: one argon2id hash (pwdlib's recommended parameters): the cost of setting a password.
- sign_in: `Directory.authenticate` with the right password (verify + the event), and with a
  wrong one (verify + the failure event): the server's time per attempt, which also bounds how fast
  anyone can guess.
- resolve: `Sessions.resolve(cookie)`: what every page run of the app pays to know who is acting.
- list_as_user: `ReviewQueue.list_items(actor=...)` over 500 items of 5 brands, for a user with a
  role on one brand, against the same call without an actor.
On SQLite in a temporary directory; the real library, nothing mocked.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(fn, rounds: int) -> dict:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "p90_ms": round(sorted(samples)[int(0.9 * len(samples))
                                                                                               - 1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    from assistant.accounts import SignInFailed, passwords
    from assistant.accounts.sessions import Sessions
    from assistant.review import ReviewQueue
    from tests.factories import fake_policy, fake_validator, make_draft

    with tempfile.TemporaryDirectory() as home:
        q = ReviewQueue(f"sqlite:///{home}/bench.db", validator=fake_validator, brand_policy=fake_policy)
        people = q.people
        people.add("root", name="Root", password="una frase abbastanza lunga", grants=[("admin", None)])
        root = people.actor("root")
        people.add("anna", name="Anna", password="una frase abbastanza lunga", grants=[("editor", "b1")], by=root)
        for n in range(500):
            q.add_draft(make_draft(f"Post numero {n}", brand=f"b{n % 5}"), by=root, submit=True)
        anna = people.actor("anna")
        sessions = Sessions(people, "s" * 48)
        cookie = sessions.start(anna)

        def wrong() -> None:
            try:
                people.authenticate("anna", "sbagliata!!")
            except SignInFailed:
                pass

        out = {
            "hash": timed(lambda: passwords.hash_password("una frase abbastanza lunga"), args.rounds),
            "sign_in_right": timed(lambda: people.authenticate("anna", "una frase abbastanza lunga"), args.rounds),
            "sign_in_wrong": timed(wrong, 4),  # a fifth would lock the account
            "resolve": timed(lambda: sessions.resolve(cookie), args.rounds * 5),
            "list_as_user": timed(lambda: q.list_items(actor=anna, per_page=50), args.rounds),
            "list_unscoped": timed(lambda: q.list_items(per_page=50), args.rounds),
            "items": 500, "brands": 5, "rounds": args.rounds,
        }
        q.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
