"""The bench data, made with the project's own services and demo helpers, and the
scaling table's owners, whose items are inserted by PostgreSQL itself."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import connection, transaction
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
WRITER_EMAIL = "bench-writer@example.com"
BENCH_PASSWORD = "keel-bench-password"  # noqa: S105 - a throw-away benchmark account
FILE_BYTES = 100 * 1024


@dataclass(frozen=True)
class BenchData:
    user: User
    access_token: str
    item_ids: list[str]
    file_id: str
    # The creates' user: the rows they add are never in a list the bench reads.
    writer: User
    writer_token: str


def bench_seed(*, items: int, other_users: int, items_per_other: int) -> BenchData:
    user = account_services.user_register(email=BENCH_EMAIL, password=BENCH_PASSWORD)
    writer = account_services.user_register(email=WRITER_EMAIL, password=BENCH_PASSWORD)
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
        writer=writer,
        writer_token=account_services.token_pair_issue(user=writer).access,
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


@dataclass(frozen=True)
class ScalingOwner:
    items: int
    user: User
    access_token: str


def scaling_seed(sizes: list[int]) -> list[ScalingOwner]:
    """One owner per size, owning exactly that many items (``items_bulk_insert``)."""
    users = [
        account_services.user_register(
            email=f"bench-scaling-{size}@example.com", password=BENCH_PASSWORD
        )
        for size in sizes
    ]
    items_bulk_insert(dict(zip(users, sizes, strict=True)))
    return [
        ScalingOwner(
            items=size, user=user, access_token=account_services.token_pair_issue(user=user).access
        )
        for user, size in zip(users, sizes, strict=True)
    ]


@transaction.atomic
def items_bulk_insert(counts: dict[User, int]) -> None:
    """Give each owner ``counts[owner]`` more items, made by PostgreSQL itself: one
    ``INSERT … SELECT`` over ``generate_series`` per owner, where ``bulk_create`` would
    build and send every row from Python.

    As PostgreSQL's manual advises for bulk loads ("Populating a Database"), the table's
    secondary indexes are dropped first and built again once the rows are in (sorting a
    million entries once instead of inserting them one by one: about 25 s instead of 45 s
    for a million rows on the bench machine), all in one transaction, so no other session
    ever sees the table without them. They are rebuilt from the model's ``Meta.indexes``,
    as the migrations made them.

    The rows keep the services' invariants (trimmed, non-blank titles; ``completed_at``
    set exactly when completed, an hour after creation, never in the future). Each is
    one second older than the one before it, from an hour ago: ``created_at`` is distinct
    per row, as real data's is.
    """
    newest = timezone.now() - timedelta(hours=1)
    indexes = Item._meta.indexes
    with connection.cursor() as cursor:
        # The production statement timeout (DB_STATEMENT_TIMEOUT_MS) bounds a request;
        # loading a million rows takes longer than any request may.
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        with connection.schema_editor() as editor:
            for index in indexes:
                editor.remove_index(Item, index)
        for owner, count in counts.items():
            cursor.execute(
                _BULK_INSERT_SQL.format(table=Item._meta.db_table), [owner.pk, newest, count]
            )
        # The owner foreign key is checked at commit; an index cannot be built on a table
        # with checks pending, so they run now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.schema_editor() as editor:
            for index in indexes:
                editor.add_index(Item, index)


_BULK_INSERT_SQL = """
INSERT INTO {table}
    (id, owner_id, title, description, is_completed, completed_at, created_at, updated_at)
SELECT gen_random_uuid(), owner_id, 'Scaling item ' || n, 'Inserted by bench.seed',
    n %% 3 = 0, CASE WHEN n %% 3 = 0 THEN moment + interval '1 hour' END, moment, moment
FROM (
    SELECT %s::uuid AS owner_id, n, %s::timestamptz - n * interval '1 second' AS moment
    FROM generate_series(1, %s) AS n
) AS numbered
"""
