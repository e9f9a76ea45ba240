"""The kit's write helpers: conditional writes, lost races, validation."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from model_bakery import baker

from config.api.exceptions import PreconditionFailed
from items.models import Item
from resources.models import entity_tag
from resources.services import (
    resource_delete,
    resource_for_write,
    resource_update,
    resource_validate,
)

pytestmark = pytest.mark.django_db


def test_resource_for_write_without_tags_returns_the_instance_as_is(
    user, django_assert_num_queries
):
    item = baker.make(Item, owner=user)

    with django_assert_num_queries(0):
        assert resource_for_write(item) is item


def test_resource_for_write_with_the_current_tag_returns_the_stored_row(user):
    item = baker.make(Item, owner=user, title="Stored")
    tag = entity_tag(item)
    item.title = "Changed in memory only"

    assert resource_for_write(item, if_match=[tag]).title == "Stored"


def test_resource_for_write_with_a_stale_tag_is_precondition_failed(user):
    item = baker.make(Item, owner=user)
    tag = entity_tag(item)
    Item.objects.filter(pk=item.pk).update(title="Changed by someone else")

    with pytest.raises(PreconditionFailed):
        resource_for_write(item, if_match=[tag])


def test_resource_for_write_of_a_row_deleted_meanwhile_is_404(user):
    item = baker.make(Item, owner=user)
    Item.objects.filter(pk=item.pk).delete()

    with pytest.raises(Http404):
        resource_for_write(item, if_match=["*"])


def test_resource_update_writes_the_fields_and_bumps_updated_at(user):
    item = baker.make(Item, owner=user, title="Old")
    before = item.updated_at

    resource_update(instance=item, data={"title": "New"})

    stored = Item.objects.get(pk=item.pk)
    assert stored.title == "New"
    assert stored.updated_at > before
    assert stored.updated_at == item.updated_at


def test_resource_update_of_a_row_deleted_meanwhile_is_404(user):
    item = baker.make(Item, owner=user)
    Item.objects.filter(pk=item.pk).delete()

    with pytest.raises(Http404):
        resource_update(instance=item, data={"title": "New"})


def test_resource_update_with_an_invalid_value_writes_nothing(user):
    item = baker.make(Item, owner=user, title="Old")

    with pytest.raises(ValidationError):
        resource_update(instance=item, data={"title": "x" * 201})
    assert Item.objects.get(pk=item.pk).title == "Old"


def test_resource_delete_of_a_row_deleted_meanwhile_is_404(user):
    item = baker.make(Item, owner=user)
    loser = Item.objects.get(pk=item.pk)
    resource_delete(instance=item)

    with pytest.raises(Http404):
        resource_delete(instance=loser)


def test_resource_validate_costs_no_query_for_a_new_row(user, django_assert_num_queries):
    item = Item(owner=user, title="Fine")

    with django_assert_num_queries(0):
        resource_validate(item)
