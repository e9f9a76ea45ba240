from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class KeelArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with its cost read from settings, so operators tune it per machine.

    Hashes made with other parameters still verify; ``must_update`` re-hashes them at
    the next successful login.
    """

    algorithm = "argon2"

    @property
    def time_cost(self) -> int:
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self) -> int:
        return settings.ARGON2_MEMORY_COST_KIB

    @property
    def parallelism(self) -> int:
        return settings.ARGON2_PARALLELISM
