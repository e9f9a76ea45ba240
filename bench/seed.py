"""The bench data, made with the project's own services and demo helpers."""

import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts import services as account_services
from accounts.models import AuthSession, User
from accounts.tokens import SESSION_ID_CLAIM
from items import demo
from items.models import Item
from storage import services as storage_services

BENCH_EMAIL = "bench@example.com"
BENCH_PASSWORD = "keel-bench-password"  # noqa: S105 - a throw-away benchmark account
FILE_BYTES = 100 * 1024


@dataclass(frozen=True)
class BenchData:
    user: User
    access_token: str
    item_ids: list[str]
    file_id: str


def bench_seed(*, items: int, other_users: int, items_per_other: int) -> BenchData:
    user = account_services.user_register(email=BENCH_EMAIL, password=BENCH_PASSWORD)
    demo.demo_items_top_up(owners=[user], items_per_owner=items, seed=1)
    demo.demo_seed(
        users=other_users, items_per_user=items_per_other, password=BENCH_PASSWORD, seed=2
    )
    content = (b"Keel benchmark file, one hundred kilobytes of text.\n" * 2048)[:FILE_BYTES]
    stored = storage_services.file_upload(
        owner=user, upload=ContentFile(content, name="bench-report.txt")
    )
    item_ids = [
        str(pk)
        for pk in Item.objects.filter(owner=user)
        .order_by("-created_at")
        .values_list("pk", flat=True)[:500]
    ]
    return BenchData(
        user=user,
        access_token=account_services.token_pair_issue(user=user).access,
        item_ids=item_ids,
        file_id=str(stored.pk),
    )


@transaction.atomic
def refresh_tokens_write(*, user: User, count: int, path: Path) -> None:
    """``count`` fresh refresh tokens of the user, one per line, registered as outstanding,
    each of a session of its own (as a login makes them).

    ``RefreshToken.for_user`` inserts one row per token; the base ``Token.for_user`` makes
    the same token without it, so the rows can be inserted in bulk.
    """
    tokens = [Token.for_user.__func__(RefreshToken, user) for _ in range(count)]
    now = timezone.now()
    sessions = []
    for token in tokens:
        session_id = uuid.uuid4()
        token[SESSION_ID_CLAIM] = str(session_id)
        expires_at = datetime_from_epoch(token["exp"])
        sessions.append(AuthSession(id=session_id, user=user, expires_at=expires_at))
    AuthSession.objects.bulk_create(sessions, batch_size=5000)
    OutstandingToken.objects.bulk_create(
        [
            OutstandingToken(
                user=user,
                jti=token[api_settings.JTI_CLAIM],
                token=str(token),
                created_at=now,
                expires_at=datetime_from_epoch(token["exp"]),
            )
            for token in tokens
        ],
        batch_size=5000,
    )
    path.write_text("\n".join(str(token) for token in tokens) + "\n")
