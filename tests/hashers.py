"""A password hasher for the test run: Argon2 through the same code, at its lowest cost."""

from typing import ClassVar

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Same algorithm name and code path as production; parameters cut for speed."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1


class CountingArgon2PasswordHasher(FastArgon2PasswordHasher):
    """The fast hasher, recording each hash it computes: ``"verify"`` or ``"encode"``.

    Django hashes the given password for an unknown login with ``encode`` and checks a known
    one with ``verify``; both are the full cost an attacker pays per guess.
    """

    calls: ClassVar[list[str]] = []

    def verify(self, password: str, encoded: str) -> bool:
        self.calls.append("verify")
        return super().verify(password, encoded)

    def encode(self, password: str, salt: str) -> str:
        self.calls.append("encode")
        return super().encode(password, salt)
