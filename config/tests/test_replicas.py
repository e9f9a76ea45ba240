"""Read replicas: which reads go to a replica, read-your-writes, a replica down or late."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.models import User
from config.ops import replicas
from config.ops.replicas import ReplicaRequestMiddleware, ReplicaRouter
from items.models import Item

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def one_replica(monkeypatch, settings):
    """A router that sees one replica, healthy unless a test says otherwise."""
    settings.DB_REPLICA_URLS = ["postgres://replica/keel"]
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica1"])
    state = {"usable": True}
    monkeypatch.setattr(replicas.health, "usable", lambda alias: state["usable"])
    return state


def test_lists_and_retrieves_of_resources_go_to_a_replica(one_replica):
    assert ReplicaRouter().db_for_read(Item) == "replica1"


@pytest.mark.parametrize("model", ["accounts.User", "auth.Permission", "sessions.Session"])
def test_what_authentication_and_roles_read_stays_on_the_primary(one_replica, model):
    from django.apps import apps

    assert ReplicaRouter().db_for_read(apps.get_model(model)) == "default"


def test_tasks_and_token_rotation_stay_on_the_primary(one_replica):
    from django_tasks_db.models import DBTaskResult
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    router = ReplicaRouter()
    assert router.db_for_read(DBTaskResult) == router.db_for_read(OutstandingToken) == "default"


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_stay_on_the_primary(one_replica):
    router = ReplicaRouter()
    with transaction.atomic():
        assert router.db_for_read(Item) == "default"
    assert router.db_for_read(Item) == "replica1"


def test_writes_and_migrations_are_the_primarys(one_replica):
    router = ReplicaRouter()
    assert router.db_for_write(Item) == "default"
    assert router.allow_migrate("default", "items") is True
    assert router.allow_migrate("replica1", "items") is False


def test_a_replica_down_or_behind_sends_reads_to_the_primary(one_replica):
    one_replica["usable"] = False
    assert ReplicaRouter().db_for_read(Item) == "default"


def _through_middleware(request) -> tuple[HttpResponse, str]:
    seen = {}

    def view(request):
        seen["read from"] = ReplicaRouter().db_for_read(Item)
        return HttpResponse(status=201 if request.method == "POST" else 200)

    return ReplicaRequestMiddleware(view)(request), seen["read from"]


def member(email: str) -> User:
    return User(id=uuid.uuid4(), email=email)  # authenticated; nothing stored


def test_a_write_makes_its_user_read_from_the_primary_for_a_while(one_replica):
    user, other_user = member("ann@example.com"), member("bob@example.com")
    post = RequestFactory().post("/api/v1/items/")
    post.user = user

    _, read_from = _through_middleware(post)
    assert read_from == "default"  # an unsafe request reads from the primary throughout

    get = RequestFactory().get("/api/v1/items/")

    def reads_of(someone) -> str:
        def view(request):
            replicas.read_own_writes(someone.pk)  # what authentication calls
            return HttpResponse(ReplicaRouter().db_for_read(Item))

        return ReplicaRequestMiddleware(view)(get).content.decode()

    assert reads_of(user) == "default"
    assert reads_of(other_user) == "replica1"


def test_an_admin_who_just_saved_reads_the_changelist_from_the_primary(one_replica, settings):
    staff = member("staff@example.com")
    save = RequestFactory().post("/admin/items/item/1/change/")
    save.user = staff
    ReplicaRequestMiddleware(lambda request: HttpResponse(status=302))(save)

    changelist = RequestFactory().get("/admin/items/item/")
    changelist.COOKIES[settings.SESSION_COOKIE_NAME] = "a session"
    changelist.user = staff

    def view(request):
        return HttpResponse(ReplicaRouter().db_for_read(Item))

    assert ReplicaRequestMiddleware(view)(changelist).content.decode() == "default"


def test_a_failed_write_does_not_make_its_user_sticky(one_replica):
    user = member("ann@example.com")
    post = RequestFactory().post("/api/v1/items/")
    post.user = user
    ReplicaRequestMiddleware(lambda request: HttpResponse(status=400))(post)

    def view(request):
        replicas.read_own_writes(user.pk)
        return HttpResponse(ReplicaRouter().db_for_read(Item))

    get = RequestFactory().get("/api/v1/items/")
    assert ReplicaRequestMiddleware(view)(get).content.decode() == "replica1"


def test_replica_health_is_looked_at_again_after_a_few_seconds(monkeypatch, settings):
    settings.DB_REPLICA_MAX_LAG_SECONDS = 30
    lags = iter([1.0, 45.0])
    monkeypatch.setattr(replicas, "replica_lag_seconds", lambda alias: next(lags))
    clock = iter([0.0, 0.0, 1.0, 10.0, 10.0])
    health = replicas.ReplicaHealth(clock=lambda: next(clock))

    assert health.usable("replica1") is True  # looked: 1 s behind
    assert health.usable("replica1") is True  # trusted for a few seconds
    assert health.usable("replica1") is False  # looked again: 45 s behind


# --- for real, on PostgreSQL ---------------------------------------------------------


@pytest.fixture
def databases(django_db_blocker):
    """A primary and a "replica" that never receives anything: a replica lagging forever."""
    names = [f"keel_primary_{uuid.uuid4().hex[:6]}", f"keel_replica_{uuid.uuid4().hex[:6]}"]
    settings = connection.settings_dict
    base = f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST']}:{settings['PORT']}"
    urls = [f"{base}/{name}" for name in names]
    with django_db_blocker.unblock():
        with connection._nodb_cursor() as cursor:
            for name in names:
                cursor.execute(f'CREATE DATABASE "{name}"')
        for url in urls:
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                cwd=BASE_DIR,
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
                     "DATABASE_URL": url},
                check=True,
            )  # fmt: skip
        yield urls
        with connection._nodb_cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SCENARIO = """
import json, time
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken
from accounts.models import User
ann = User.objects.create_user(email="ann@example.com", password="a passphrase 2026")
bob = User.objects.create_user(email="bob@example.com", password="a passphrase 2026")
ann_client = Client(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(ann)}")
bob_client = Client(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(bob)}")
seen = {}
created = ann_client.post("/api/v1/items/", {"title": "fresh"}, content_type="application/json")
seen["create"] = created.status_code
assert created.status_code == 201, created.content
item = f"/api/v1/items/{created.json()['id']}/"
seen["read own write at once"] = ann_client.get(item).status_code
seen["list own writes at once"] = ann_client.get("/api/v1/items/?count=true").json()["count"]
seen["me"] = bob_client.get("/api/v1/auth/me/").status_code
time.sleep(1.5)
seen["read after the sticky window"] = ann_client.get(item).status_code
seen["ready"] = json.loads(Client().get("/health/ready").content)["status"]
print(json.dumps(seen))
"""


def _scenario(primary: str, replica: str) -> dict:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SCENARIO],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": primary,
            "DATABASE_REPLICA_URLS": replica,
            "DB_REPLICA_STICKY_SECONDS": "1",
            "DB_CONNECT_TIMEOUT": "2",
            # Where reads go, not whether Redis answers them first.
            "RESPONSE_CACHE_SECONDS": "0",
            "ALLOWED_HOSTS": "testserver",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


@pg_only
def test_reads_go_to_the_replica_except_a_users_own_fresh_writes(databases):
    primary, replica = databases

    seen = _scenario(primary, replica)

    assert seen == {
        "create": 201,
        "read own write at once": 200,
        "list own writes at once": 1,
        "me": 200,  # authentication reads the primary
        # The "replica" never got the item: reads went there once the window closed.
        "read after the sticky window": 404,
        "ready": "ok",
    }


@pg_only
def test_a_replica_that_does_not_answer_is_skipped_not_a_500(databases):
    primary, _ = databases
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]

    seen = _scenario(primary, f"postgres://postgres@127.0.0.1:{closed}/keel")

    assert seen["read after the sticky window"] == 200  # from the primary
    assert seen["ready"] == "degraded"


def test_without_replicas_nothing_is_routed_and_authentication_looks_nothing_up(
    settings, monkeypatch
):
    assert settings.DATABASE_ROUTERS == []

    def no_lookup(key):
        raise AssertionError("a cache lookup on every authenticated request")

    monkeypatch.setattr(replicas.cache, "get", no_lookup)
    replicas.read_own_writes(uuid.uuid4())
