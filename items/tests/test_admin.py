import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from items.models import Item
from items.tests.helpers import LONG_AGO, stored

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:items_item_changelist")
ADD = reverse("admin:items_item_add")


def change_url(item: Item) -> str:
    return reverse("admin:items_item_change", args=[item.pk])


# --- changelist -----------------------------------------------------------------------


def test_item_admin_changelist_lists_items_with_their_owners(admin_client, user, other_user):
    baker.make("items.Item", owner=user, title="Buy milk")
    baker.make("items.Item", owner=other_user, title="Call Sam")

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    content = response.content.decode()
    for text in ("Buy milk", "Call Sam", user.email, other_user.email):
        assert text in content


def test_item_admin_changelist_queries_do_not_grow_with_rows(admin_client, user, other_user):
    baker.make("items.Item", owner=user)
    with CaptureQueriesContext(connection) as one_row:
        assert admin_client.get(CHANGELIST).status_code == 200
    for number in range(10):
        owner = baker.make("accounts.User", email=f"owner{number}@example.com")
        baker.make("items.Item", owner=owner)

    with CaptureQueriesContext(connection) as many_rows:
        response = admin_client.get(CHANGELIST)

    assert response.context["cl"].result_count == 11
    assert len(many_rows.captured_queries) == len(one_row.captured_queries)


@pytest.mark.parametrize(("value", "expected"), [("1", "Done"), ("0", "Open")])
def test_item_admin_changelist_filters_by_is_completed(admin_client, user, value, expected):
    baker.make("items.Item", owner=user, title="Done", is_completed=True, completed_at=LONG_AGO)
    baker.make("items.Item", owner=user, title="Open")

    response = admin_client.get(CHANGELIST, {"is_completed__exact": value})

    assert [item.title for item in response.context["cl"].result_list] == [expected]


def test_item_admin_changelist_searches_titles(admin_client, user):
    baker.make("items.Item", owner=user, title="Buy milk")
    baker.make("items.Item", owner=user, title="Call Sam")

    response = admin_client.get(CHANGELIST, {"q": "milk"})

    assert [item.title for item in response.context["cl"].result_list] == ["Buy milk"]


def test_item_admin_changelist_searches_owner_emails(admin_client, user, other_user):
    baker.make("items.Item", owner=user, title="Ann's")
    baker.make("items.Item", owner=other_user, title="Bob's")

    response = admin_client.get(CHANGELIST, {"q": "bob@"})

    assert [item.title for item in response.context["cl"].result_list] == ["Bob's"]


def test_item_admin_changelist_for_staff_is_read_only(client, staff_user, user):
    baker.make("items.Item", owner=user, title="Buy milk")
    client.force_login(staff_user)

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert client.get(ADD).status_code == 403


def test_item_admin_changelist_for_member_is_refused(client, user):
    client.force_login(user)

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- add ------------------------------------------------------------------------------


def test_item_admin_add_creates_an_open_item_through_the_service(admin_client, user):
    response = admin_client.post(
        ADD, {"owner": str(user.pk), "title": "  Buy milk  ", "description": "Two litres"}
    )

    assert response.status_code == 302
    item = Item.objects.get()
    assert (item.owner_id, item.title, item.description) == (user.pk, "Buy milk", "Two litres")
    assert (item.is_completed, item.completed_at) == (False, None)


def test_item_admin_add_completed_sets_completed_at(admin_client, user):
    before = timezone.now()

    response = admin_client.post(
        ADD, {"owner": str(user.pk), "title": "Buy milk", "is_completed": "on"}
    )

    assert response.status_code == 302
    item = Item.objects.get()
    assert item.is_completed is True
    assert before <= item.completed_at <= timezone.now()


def test_item_admin_add_then_continue_editing_opens_the_new_item(admin_client, user):
    response = admin_client.post(
        ADD, {"owner": str(user.pk), "title": "Buy milk", "_continue": "1"}
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(Item.objects.get())


@pytest.mark.parametrize(
    "fields",
    [{"title": "   "}, {"title": "x" * 201}, {"title": "ok", "description": "x" * 5001}],
    ids=["blank-title", "long-title", "long-description"],
)
def test_item_admin_add_invalid_shows_the_form_and_stores_nothing(admin_client, user, fields):
    response = admin_client.post(ADD, {"owner": str(user.pk), **fields})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Item.objects.exists()


# --- change ---------------------------------------------------------------------------


def test_item_admin_change_page_shows_owner_read_only(admin_client, user, other_user):
    item = baker.make("items.Item", owner=user)

    response = admin_client.get(change_url(item))

    assert response.status_code == 200
    assert "owner" not in response.context["adminform"].form.fields
    assert user.email in response.content.decode()


def test_item_admin_change_cannot_move_the_item_to_another_owner(admin_client, user, other_user):
    item = baker.make("items.Item", owner=user, title="Old")

    response = admin_client.post(
        change_url(item), {"owner": str(other_user.pk), "title": "New", "description": ""}
    )

    assert response.status_code == 302
    assert stored(item)["owner_id"] == user.pk
    assert stored(item)["title"] == "New"


def test_item_admin_change_completing_sets_completed_at(admin_client, user):
    item = baker.make("items.Item", owner=user, title="Buy milk")
    before = timezone.now()

    response = admin_client.post(
        change_url(item), {"title": "Buy milk", "description": "", "is_completed": "on"}
    )

    assert response.status_code == 302
    row = stored(item)
    assert row["is_completed"] is True
    assert before <= row["completed_at"] <= timezone.now()


def test_item_admin_change_reopening_clears_completed_at(admin_client, user):
    item = baker.make(
        "items.Item", owner=user, title="Buy milk", is_completed=True, completed_at=LONG_AGO
    )

    response = admin_client.post(change_url(item), {"title": "Buy milk", "description": ""})

    assert response.status_code == 302
    assert (stored(item)["is_completed"], stored(item)["completed_at"]) == (False, None)


def test_item_admin_change_of_other_fields_keeps_completed_at(admin_client, user):
    item = baker.make(
        "items.Item", owner=user, title="Old", is_completed=True, completed_at=LONG_AGO
    )

    response = admin_client.post(
        change_url(item), {"title": " New ", "description": "More", "is_completed": "on"}
    )

    assert response.status_code == 302
    row = stored(item)
    assert (row["title"], row["description"]) == ("New", "More")
    assert row["completed_at"] == LONG_AGO


def test_item_admin_delete_removes_the_item(admin_client, user):
    item, kept = baker.make("items.Item", owner=user, _quantity=2)

    response = admin_client.post(
        reverse("admin:items_item_delete", args=[item.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert list(Item.objects.all()) == [kept]


# --- action and autocomplete ----------------------------------------------------------


def test_item_admin_mark_completed_action_completes_the_selected_items(admin_client, user):
    selected = baker.make("items.Item", owner=user, _quantity=2)
    already = baker.make("items.Item", owner=user, is_completed=True, completed_at=LONG_AGO)
    untouched = baker.make("items.Item", owner=user)

    response = admin_client.post(
        CHANGELIST,
        {
            "action": "mark_completed",
            "_selected_action": [str(item.pk) for item in [*selected, already]],
        },
    )

    assert response.status_code == 302
    for item in selected:
        assert stored(item)["is_completed"] is True
        assert stored(item)["completed_at"] is not None
    assert stored(already)["completed_at"] == LONG_AGO
    assert stored(untouched)["is_completed"] is False
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert messages == ["Marked 2 item(s) completed."]


def offered_actions(response) -> set[str]:
    changelist = response.context["cl"]
    return set(changelist.model_admin.get_actions(response.wsgi_request))


def test_item_admin_mark_completed_action_is_offered_to_superuser(admin_client):
    assert "mark_completed" in offered_actions(admin_client.get(CHANGELIST))


def test_item_admin_mark_completed_action_is_refused_to_staff(client, staff_user, user):
    # The Staff group may view items but not change them.
    item = baker.make("items.Item", owner=user)
    client.force_login(staff_user)

    response = client.post(
        CHANGELIST, {"action": "mark_completed", "_selected_action": [str(item.pk)]}
    )

    assert response.status_code == 200
    assert "mark_completed" not in offered_actions(response)
    assert stored(item)["is_completed"] is False


def test_item_admin_owner_autocomplete_finds_users_by_email(admin_client, user, other_user):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "items", "model_name": "item", "field_name": "owner", "term": "ann"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "results": [{"id": str(user.pk), "text": user.email}],
        "pagination": {"more": False},
    }
