"""Every write reaches its owner's sockets after commit, as the REST API shows the object."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from model_bakery import baker

from items import services as item_services
from items.models import Item
from realtime.tests.helpers import authenticated_socket, next_event, run

pytestmark = pytest.mark.django_db

ITEMS_URL = "/api/v1/items/"
FILES_URL = "/api/v1/files/"


def assert_event(event: dict, event_type: str, data: dict) -> None:
    assert event.keys() == {"type", "id", "at", "data"}
    assert event["type"] == event_type
    uuid.UUID(event["id"])
    at = timezone.datetime.fromisoformat(event["at"])
    assert timezone.now() - timedelta(seconds=10) < at <= timezone.now()
    assert event["data"] == data


def test_item_created_updated_and_deleted_reach_the_owner_with_the_rest_body(
    auth_client, user, rest
):
    async def scenario():
        async with authenticated_socket(user) as socket:
            created = await rest(auth_client.post, ITEMS_URL, {"title": "Milk"}, format="json")
            events = [await next_event(socket)]
            url = f"{ITEMS_URL}{created.json()['id']}/"
            updated = await rest(auth_client.patch, url, {"is_completed": True}, format="json")
            events.append(await next_event(socket))
            shown = await rest(auth_client.get, url)
            deleted = await rest(auth_client.delete, url)
            events.append(await next_event(socket))
            return created, updated, shown, deleted, events

    created, updated, shown, deleted, events = run(scenario)

    assert (created.status_code, updated.status_code, deleted.status_code) == (201, 200, 204)
    assert_event(events[0], "item.created", created.json())
    assert_event(events[1], "item.updated", updated.json())
    assert_event(events[2], "item.deleted", shown.json())
    assert len({event["id"] for event in events}) == 3


def test_file_created_and_deleted_reach_the_owner_with_the_rest_body(auth_client, user, rest):
    upload = SimpleUploadedFile("notes.txt", b"Quarterly report.\n", "text/plain")

    async def scenario():
        async with authenticated_socket(user) as socket:
            created = await rest(auth_client.post, FILES_URL, {"file": upload}, format="multipart")
            events = [await next_event(socket)]
            url = f"{FILES_URL}{created.json()['id']}/"
            shown = await rest(auth_client.get, url)
            deleted = await rest(auth_client.delete, url)
            events.append(await next_event(socket))
            return created, shown, deleted, events

    created, shown, deleted, events = run(scenario)

    assert (created.status_code, deleted.status_code) == (201, 204)
    assert_event(events[0], "file.created", created.json())
    assert_event(events[1], "file.deleted", shown.json())


def test_another_users_and_staffs_sockets_get_none_of_the_owners_events(
    client_for, user, other_user, staff_user, rest
):
    async def scenario():
        async with (
            authenticated_socket(user) as owners,
            authenticated_socket(other_user) as others,
            authenticated_socket(staff_user) as staffs,
        ):
            await rest(client_for(user).post, ITEMS_URL, {"title": "Mine"}, format="json")
            event = await next_event(owners)
            return event, await others.receive_nothing(0.3), await staffs.receive_nothing(0.1)

    event, other_got_nothing, staff_got_nothing = run(scenario)

    assert event["type"] == "item.created"
    assert other_got_nothing
    assert staff_got_nothing


def test_every_socket_of_the_owner_gets_the_event(auth_client, user, rest):
    async def scenario():
        async with authenticated_socket(user) as first, authenticated_socket(user) as second:
            await rest(auth_client.post, ITEMS_URL, {"title": "Both"}, format="json")
            return await next_event(first), await next_event(second)

    first, second = run(scenario)

    assert first["data"]["title"] == second["data"]["title"] == "Both"
    assert first["id"] == second["id"]


def test_a_write_by_staff_in_the_admin_reaches_the_owner_not_the_staff(
    admin_client, superuser, user, rest
):
    item = baker.make(Item, owner=user, title="Old")
    change_url = f"/admin/items/item/{item.pk}/change/"

    async def scenario():
        async with authenticated_socket(user) as owners, authenticated_socket(superuser) as staffs:
            body = {"owner": str(user.pk), "title": "Renamed by staff", "description": ""}
            response = await rest(admin_client.post, change_url, body)
            return response, await next_event(owners), await staffs.receive_nothing(0.3)

    response, event, staff_got_nothing = run(scenario)

    assert response.status_code == 302
    assert event["type"] == "item.updated"
    assert event["data"]["title"] == "Renamed by staff"
    assert staff_got_nothing


def test_a_write_rolled_back_sends_nothing(user):
    item = baker.make(Item, owner=user, title="Kept")

    async def scenario():
        async with authenticated_socket(user) as socket:
            await rolled_back_update()
            return await socket.receive_nothing(0.3)

    def update_then_fail():
        with transaction.atomic():
            item_services.item_update(item=item, data={"title": "Never committed"})
            raise RuntimeError("the request failed after the write")

    async def rolled_back_update():
        from asgiref.sync import sync_to_async

        with pytest.raises(RuntimeError):
            await sync_to_async(update_then_fail)()

    assert run(scenario)
    assert Item.objects.get(pk=item.pk).title == "Kept"


def test_a_refused_write_sends_nothing(auth_client, user, rest):
    item = baker.make(Item, owner=user)
    url = f"{ITEMS_URL}{item.pk}/"

    async def scenario():
        async with authenticated_socket(user) as socket:
            response = await rest(
                auth_client.patch, url, {"title": "x"}, format="json", HTTP_IF_MATCH='"stale"'
            )
            return response, await socket.receive_nothing(0.3)

    response, got_nothing = run(scenario)

    assert response.status_code == 412
    assert got_nothing


def test_a_write_of_the_owner_before_the_socket_authenticated_is_not_replayed(
    auth_client, user, rest
):
    async def scenario():
        await rest(auth_client.post, ITEMS_URL, {"title": "Before"}, format="json")
        async with authenticated_socket(user) as socket:
            return await socket.receive_nothing(0.3)

    assert run(scenario)
