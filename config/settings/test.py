"""The test suite's settings: the development defaults, made fast and isolated.

Reads no ``.env`` (only the entry points do), so a developer's file cannot change what
the tests see; ``DATABASE_URL``/``REDIS_URL`` from the environment still pick the
database and cache, as CI does for its PostgreSQL and Redis passes.
"""

from config.settings.base import *  # noqa: F403

# Argon2 at OWASP cost is ~12 ms a hash; tests hash hundreds of passwords. The hasher
# tests set PASSWORD_HASHERS back to the production list where they need it.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *PASSWORD_HASHERS,  # noqa: F405
]
