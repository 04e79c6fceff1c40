"""Password hashing (argon2id through libpass) and the password policy.

Policy after NIST SP 800-63B: length 12 to 128, no composition rules, refused
when it is on a list of common passwords. Verified exactly as typed.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from passlib.context import CryptContext

MIN_LENGTH = 12
MAX_LENGTH = 128

# OWASP's minimum for argon2id: 19 MiB of memory, 2 iterations, 1 lane.
password_context = CryptContext(
    schemes=["argon2"],
    deprecated="auto",
    argon2__type="ID",
    argon2__memory_cost=19 * 1024,
    argon2__rounds=2,
    argon2__parallelism=1,
)


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("dashboard").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problem(password: str) -> str | None:
    """The reason a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Choose a password of at least {MIN_LENGTH} characters; a short phrase works well."
    if len(password) > MAX_LENGTH:
        return f"Choose a password of at most {MAX_LENGTH} characters."
    if password.lower() in common_passwords() or len(set(password)) == 1:
        return "That password is one of the most common ones; choose something less guessable."
    return None


def hash_password(password: str) -> str:
    return password_context.hash(password)


def verify_and_update(password: str, password_hash: str) -> tuple[bool, str | None]:
    """Check a password; the second value is a new hash when the stored one is outdated."""
    if len(password) > MAX_LENGTH:
        # No password of ours is that long; spend the usual time and refuse, rather than
        # let a huge input reach the hasher (which refuses it with an exception).
        dummy_verify(password)
        return False, None
    return password_context.verify_and_update(password, password_hash)


@cache
def _dummy_hash() -> str:
    return password_context.hash("not a real password, only spends the same time")


def dummy_verify(password: str) -> None:
    """Spend the time of a real verification, so unknown usernames cannot be told apart."""
    password_context.verify(password[:MAX_LENGTH], _dummy_hash())
