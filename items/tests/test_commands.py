import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from model_bakery import baker

from accounts.models import User
from items.models import Item

pytestmark = pytest.mark.django_db

LOGIN_URL = "/api/v1/auth/login/"
PASSWORD_LINE = re.compile(r"Demo users log in with password: (\S+)")


def seed_demo(*args: str, debug: bool = True) -> str:
    """Run ``manage.py seed_demo`` (in development, unless told) and return its stdout."""
    stdout = StringIO()
    with override_settings(DEBUG=debug):
        call_command("seed_demo", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def demo_users() -> list[User]:
    return list(User.objects.filter(email__startswith="demo").order_by("email"))


def test_seed_demo_creates_users_with_items_each():
    output = seed_demo("--users", "2", "--items", "3")

    users = demo_users()
    assert [user.email for user in users] == ["demo1@example.com", "demo2@example.com"]
    for user in users:
        assert Item.objects.filter(owner=user).count() == 3
    assert "2 user(s) created, 6 item(s) created" in output


def test_seed_demo_prints_the_password_once():
    output = seed_demo("--users", "3", "--items", "1")

    assert len(PASSWORD_LINE.findall(output)) == 1


def test_seed_demo_users_log_in_over_the_api_with_the_printed_password(api_client):
    password = PASSWORD_LINE.search(seed_demo("--users", "1", "--items", "2")).group(1)

    login = api_client.post(
        LOGIN_URL, {"email": "demo1@example.com", "password": password}, format="json"
    )

    assert login.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    assert api_client.get("/api/v1/items/", {"count": "true"}).json()["count"] == 2


def test_seed_demo_without_a_password_makes_a_random_one_per_run():
    first = PASSWORD_LINE.search(seed_demo("--users", "1", "--items", "0")).group(1)
    second = PASSWORD_LINE.search(seed_demo("--reset", "--users", "1", "--items", "0")).group(1)

    assert first != second
    assert len(first) >= 16


def test_seed_demo_uses_the_password_it_is_given(api_client):
    seed_demo("--users", "1", "--items", "0", "--password", "a chosen demo passphrase")

    login = api_client.post(
        LOGIN_URL,
        {"email": "demo1@example.com", "password": "a chosen demo passphrase"},
        format="json",
    )
    assert login.status_code == 200


def test_seed_demo_refuses_to_run_with_debug_off():
    with pytest.raises(CommandError, match="DEBUG is off"):
        seed_demo("--users", "1", "--items", "1", debug=False)
    assert not demo_users()


def test_seed_demo_runs_with_debug_off_when_forced():
    seed_demo("--users", "1", "--items", "1", "--force", debug=False)

    assert len(demo_users()) == 1


def test_seed_demo_second_run_creates_nothing():
    seed_demo("--users", "2", "--items", "3")
    before = set(Item.objects.values_list("pk", flat=True))

    output = seed_demo("--users", "2", "--items", "3")

    assert "0 user(s) created, 0 item(s) created" in output
    assert not PASSWORD_LINE.search(output)
    assert len(demo_users()) == 2
    assert set(Item.objects.values_list("pk", flat=True)) == before


def test_seed_demo_with_more_users_and_items_tops_up():
    seed_demo("--users", "1", "--items", "2")

    output = seed_demo("--users", "2", "--items", "3")

    assert "1 user(s) created, 4 item(s) created" in output
    for user in demo_users():
        assert Item.objects.filter(owner=user).count() == 3


def test_seed_demo_reset_recreates_the_demo_users_and_items():
    seed_demo("--users", "2", "--items", "3")
    old_users = {user.pk for user in demo_users()}
    old_items = set(Item.objects.values_list("pk", flat=True))

    output = seed_demo("--users", "2", "--items", "3", "--reset")

    assert "Deleted 2 demo user(s)" in output
    assert "2 user(s) created, 6 item(s) created" in output
    assert len(PASSWORD_LINE.findall(output)) == 1
    new_users = {user.pk for user in demo_users()}
    assert len(new_users) == 2
    assert not new_users & old_users
    assert Item.objects.count() == 6
    assert not set(Item.objects.values_list("pk", flat=True)) & old_items


def test_seed_demo_reset_keeps_other_users_and_their_items(user):
    mine = baker.make("items.Item", owner=user)
    lookalikes = [
        baker.make("accounts.User", email=email)
        for email in [
            "demo@example.com",
            "demo1@example.org",
            "demo1@examplexcom",
            "xdemo1@example.com",
        ]
    ]
    seed_demo("--users", "1", "--items", "1")

    seed_demo("--users", "0", "--items", "0", "--reset")

    assert not User.objects.filter(email="demo1@example.com").exists()
    assert User.objects.filter(pk__in=[user.pk, *(u.pk for u in lookalikes)]).count() == 5
    assert list(Item.objects.all()) == [mine]


@pytest.mark.parametrize(
    "args", [("--users", "-1"), ("--items", "-1")], ids=["negative-users", "negative-items"]
)
def test_seed_demo_negative_count_is_a_command_error(args):
    with pytest.raises(CommandError, match="must be zero or more"):
        seed_demo(*args)

    assert not User.objects.exists()
    assert not Item.objects.exists()


def test_seed_demo_items_look_like_real_todos():
    seed_demo("--users", "2", "--items", "50")

    items = list(Item.objects.all())
    titles = {item.title for item in items}
    assert len(titles) > 20
    for item in items:
        assert re.fullmatch(r"[A-Z][a-z]+ [A-Za-z][A-Za-z -]*[a-z]", item.title), item.title
        assert item.description == "" or re.fullmatch(r"[A-Z][^\n]*\.", item.description)


def test_seed_demo_items_have_consistent_completion_times():
    seed_demo("--users", "5", "--items", "100")
    now = timezone.now()

    items = list(Item.objects.all())
    assert 0 < sum(item.is_completed for item in items) < len(items)
    for item in items:
        assert item.created_at <= item.updated_at <= now
        assert (item.completed_at is not None) == item.is_completed
        if item.is_completed:
            assert item.created_at <= item.completed_at <= item.updated_at, item.title


def test_seed_demo_items_are_spread_over_the_past_year():
    seed_demo("--users", "1", "--items", "50")
    now = timezone.now()

    created = [item.created_at for item in Item.objects.all()]
    assert all(now - timedelta(days=366) <= moment <= now for moment in created)
    assert max(created) - min(created) > timedelta(days=90)
