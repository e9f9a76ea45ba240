from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

# OWASP's Password Storage Cheat Sheet: Argon2id at any of these (memory KiB, passes),
# one lane, "provide an equal level of defense"; they trade memory for CPU time.
OWASP_ARGON2ID_MINIMUMS = (
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
)


def meets_owasp_minimum(*, memory_cost_kib: int, time_cost: int) -> bool:
    """Whether Argon2id at this cost is at least one of OWASP's minimum configurations."""
    return any(
        memory_cost_kib >= memory and time_cost >= passes
        for memory, passes in OWASP_ARGON2ID_MINIMUMS
    )


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
