"""Password hashing: argon2id through pwdlib (its recommended parameters). Plain passwords are
never stored, logged or returned; only these hashes are."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash

from assistant.errors import InvalidRequest

MIN_LENGTH = 10
MAX_LENGTH = 1024  # argon2 takes any length; this bounds the work an attacker can ask for


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidRequest(f"password: use at least {MIN_LENGTH} characters (a phrase of a few words is easy "
                             "to remember)", code="password_short", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise InvalidRequest(f"password: at most {MAX_LENGTH} characters", code="password_long", max=MAX_LENGTH)


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher().hash(password)


def verify(password: str, hashed: str | None) -> bool:
    """True when `password` matches; a missing hash still costs one hash (no timing difference
    between an unknown user and a wrong password)."""
    if hashed is None or len(password) > MAX_LENGTH:
        _hasher().hash("timing-equaliser")
        return False
    try:
        return _hasher().verify(password, hashed)
    except Exception:  # a malformed hash: no match
        return False
