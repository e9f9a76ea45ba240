"""Demo data for ``manage.py seed_demo`` and the benchmark.

Written with bulk inserts rather than ``item_create`` one row at a time: seeding
100,000 items must take seconds, not minutes. The rows satisfy the same invariants
the services keep (trimmed titles, ``completed_at`` set exactly when completed).
"""

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from items.models import Item

DEMO_DOMAIN = "example.com"
BATCH_SIZE = 5_000

_VERBS = [
    "Call",
    "Email",
    "Review",
    "Book",
    "Fix",
    "Plan",
    "Buy",
    "Write",
    "Clean",
    "Prepare",
    "Schedule",
    "Renew",
    "Update",
    "Organise",
    "Return",
    "Pay",
    "Cancel",
    "Check",
    "Send",
]
_OBJECTS = [
    "the plumber about the leak",
    "the quarterly report",
    "flights to Lisbon",
    "the garden fence",
    "the team offsite",
    "groceries for the week",
    "a thank-you note",
    "the garage",
    "slides for Monday",
    "the dentist appointment",
    "the car insurance",
    "the project roadmap",
    "photos from the trip",
    "the library books",
    "the electricity bill",
    "the gym membership",
    "the bike tyres",
    "the invoice to Acme",
    "the passport application",
    "birthday presents",
    "the onboarding checklist",
    "the release notes",
    "the budget spreadsheet",
]
_DETAILS = [
    "",
    "",
    "Before Friday.",
    "Ask Sam for the details first.",
    "Compare at least three quotes.",
    "Keep the receipt.",
    "Low priority, but do not forget.",
    "See the shared folder for notes.",
]


@dataclass(frozen=True)
class SeedResult:
    users_created: int
    items_created: int


def demo_email(number: int) -> str:
    return f"demo{number}@{DEMO_DOMAIN}"


@transaction.atomic
def demo_reset() -> int:
    demo_users = User.objects.filter(email__regex=rf"^demo[0-9]+@{re.escape(DEMO_DOMAIN)}$")
    Item.objects.filter(owner__in=demo_users).delete()
    deleted, _ = demo_users.delete()
    return deleted


def demo_seed(
    *,
    users: int,
    items_per_user: int,
    password: str,
    seed: int = 0,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> SeedResult:
    """Ensure ``users`` demo users exist, each owning at least ``items_per_user`` items.

    Users it creates log in with ``password``; existing ones keep theirs.
    """
    owners, users_created = _demo_users(users, password=password)
    created = demo_items_top_up(
        owners=owners, items_per_owner=items_per_user, seed=seed, progress=progress
    )
    return SeedResult(users_created=users_created, items_created=created)


def demo_items_top_up(
    *,
    owners: list[User],
    items_per_owner: int,
    seed: int = 0,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Give each owner realistic items until they have ``items_per_owner``; returns how many."""
    missing = {
        owner: items_per_owner - count
        for owner, count in _item_counts(owners).items()
        if count < items_per_owner
    }
    total = sum(missing.values())
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    created = 0
    progress(0, total)
    for batch in _batches(_demo_items(missing, rng), BATCH_SIZE):
        Item.objects.bulk_create(batch)
        created += len(batch)
        progress(created, total)
    return created


@transaction.atomic
def _demo_users(count: int, *, password: str) -> tuple[list[User], int]:
    emails = [demo_email(number) for number in range(1, count + 1)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    # One hash for all: they share the demo password, and Argon2 is slow on purpose.
    hashed = make_password(password)
    now = timezone.now()
    new_users = [
        User(
            email=email,
            password=hashed,
            first_name="Demo",
            last_name=email.split("@")[0].removeprefix("demo"),
            email_verified_at=now,
        )
        for email in emails
        if email not in existing
    ]
    User.objects.bulk_create(new_users)
    by_email = {user.email: user for user in User.objects.filter(email__in=emails)}
    return [by_email[email] for email in emails], len(new_users)


def _item_counts(owners: list[User]) -> dict[User, int]:
    counts = dict(
        Item.objects.filter(owner__in=owners)
        .values("owner")
        .annotate(count=Count("id"))
        .values_list("owner", "count")
    )
    return {owner: counts.get(owner.pk, 0) for owner in owners}


def _demo_items(missing: dict[User, int], rng: random.Random):
    now = timezone.now()
    for owner, count in missing.items():
        for _ in range(count):
            created_at = now - timedelta(seconds=rng.randrange(365 * 24 * 3600))
            is_completed = rng.random() < 0.3
            yield Item(
                owner=owner,
                title=f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)}",
                description=rng.choice(_DETAILS),
                is_completed=is_completed,
                # Completed some hours after creation, but never in the future.
                completed_at=min(created_at + timedelta(hours=rng.randrange(1, 240)), now)
                if is_completed
                else None,
                created_at=created_at,
            )


def _batches(iterable, size: int):
    batch = []
    for element in iterable:
        batch.append(element)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
