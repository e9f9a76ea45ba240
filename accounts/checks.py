"""Deployment check (``manage.py check --deploy``) of password hashing."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from accounts.hashers import OWASP_ARGON2ID_MINIMUMS, meets_owasp_minimum


@register(Tags.security, deploy=True)
def passwords_hashed_at_owasp_minimum(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if meets_owasp_minimum(
        memory_cost_kib=settings.ARGON2_MEMORY_COST_KIB, time_cost=settings.ARGON2_TIME_COST
    ):
        return []
    forms = ", ".join(f"{memory} KiB x {passes}" for memory, passes in OWASP_ARGON2ID_MINIMUMS)
    return [
        Warning(
            f"Argon2id at {settings.ARGON2_MEMORY_COST_KIB} KiB and "
            f"{settings.ARGON2_TIME_COST} passes is below every OWASP minimum ({forms}): a "
            "leaked database's passwords are that much cheaper to guess.",
            hint="Raise ARGON2_MEMORY_COST_KIB or ARGON2_TIME_COST to one of those pairs.",
            id="keel.W005",
        )
    ]
