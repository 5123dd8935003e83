"""A password hasher for the test run: Argon2 through the same code, at its lowest cost."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Same algorithm name and code path as production; parameters cut for speed."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1
