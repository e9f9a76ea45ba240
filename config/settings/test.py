"""The test suite's settings: the development defaults, made fast and isolated.

Reads no ``.env`` (only the entry points do), so a developer's file cannot change what
the tests see; ``DATABASE_URL``/``REDIS_URL`` from the environment still pick the
database and cache, as CI does for its PostgreSQL and Redis passes. The tests' cache keys
have a prefix of their own, and clearing the cache deletes only those: a suite pointed
at the Redis a development server uses leaves that server's keys alone.
"""

from config.settings.base import *  # noqa: F403
from config.settings.env import build_channel_layer

# Argon2 at OWASP cost is ~12 ms a hash; tests hash hundreds of passwords. The hasher
# tests set PASSWORD_HASHERS back to the production list where they need it.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *PASSWORD_HASHERS,  # noqa: F405
]

CACHES["default"]["KEY_PREFIX"] = "keel-test"  # noqa: F405
# Pub/sub channels are shared by every database of a Redis: the suite's are its own.
REALTIME_CHANNEL_PREFIX = "keel-test"
CHANNEL_LAYERS = {
    "default": build_channel_layer(
        REALTIME_REDIS_URL,  # noqa: F405
        prefix=REALTIME_CHANNEL_PREFIX,
        socket_timeout=REALTIME_REDIS_SOCKET_TIMEOUT,  # noqa: F405
    )
}
