"""Password hashing (argon2id) shared by the desktop login and agent-ctid's login."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Modest cost: 150 agents log in within minutes at shift start, on a 2-core server.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

DEFAULT_PASSWORD = "8888"  # 登陆恢复: the manual resets to four eights; must be changed


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
