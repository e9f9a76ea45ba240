from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class KeelArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with its cost read from settings, so operators tune it per machine.

    Hashes made with other parameters still verify; ``must_update`` re-hashes them at
    the next successful login.
    """

    algorithm = "argon2"

    # Properties where Django has plain attributes: Django builds the hasher once and
    # keeps it, and a settings change must still apply. Nothing assigns these, so the
    # read-only override that mypy refuses is safe.
    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return settings.ARGON2_MEMORY_COST_KIB

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return settings.ARGON2_PARALLELISM
