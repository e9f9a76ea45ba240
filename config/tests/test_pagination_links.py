"""Page links: written as DRF's ``replace_query_param`` writes them, from one parse."""

import pytest
from django.core import signing
from model_bakery import baker
from rest_framework.utils.urls import replace_query_param

from config.api.pagination import CURSOR_SALT, PageLinks
from config.tests.pages import cursor_of, ids_of, pages_forward
from items.tests.helpers import ITEMS_URL

URLS = [
    "http://testserver/api/v1/items/",
    "http://testserver/api/v1/items/?page_size=1",
    "http://testserver/api/v1/items/?cursor=old%3Aone&page_size=1",
    "http://testserver/api/v1/items/?search=a+b&ordering=-title&count=true&page_size=2",
    "http://testserver/api/v1/items/?z=1&a=2&cursor=x&a=3&blank=&zz=%26%3D%23",
    "http://testserver/api/v1/items/?search=caf%C3%A9+%E2%9C%93&cursor=",
    "https://example.com:8443/api/v1/items/?page_size=5#fragment",
    "http://testserver/api/v1/items/?only",
]
CURSORS = [
    signing.Signer(salt=CURSOR_SALT).sign_object({"position": ["2026-01-01T00:00:00Z", "x"]}),
    "abc:def:ghi",
    "no colon at all",
    "::",
    "café/✓?&=#%",
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("cursor", CURSORS)
def test_a_page_link_is_what_replace_query_param_writes(url, cursor):
    assert PageLinks(url, "cursor").with_cursor(cursor) == replace_query_param(
        url, "cursor", cursor
    )


def test_one_page_links_writes_each_cursor_into_the_same_url():
    links = PageLinks(URLS[3], "cursor")

    assert [links.with_cursor(cursor) for cursor in CURSORS] == [
        replace_query_param(URLS[3], "cursor", cursor) for cursor in CURSORS
    ]


@pytest.mark.django_db
def test_a_cursor_issued_compressed_still_reads(auth_client, user):
    """Cursors were issued compressed until 6 December 2026; a client may still hold one."""
    baker.make("items.Item", owner=user, _quantity=3)
    issued = cursor_of(auth_client.get(ITEMS_URL, {"page_size": 1}).json()["next"])
    signer = signing.Signer(salt=CURSOR_SALT)
    compressed = signer.sign_object(signer.unsign_object(issued), compress=True)
    assert compressed.startswith(".")  # what compress=True writes when it shortens

    by_new = auth_client.get(ITEMS_URL, {"page_size": 1, "cursor": issued})
    by_old = auth_client.get(ITEMS_URL, {"page_size": 1, "cursor": compressed})

    assert by_old.status_code == 200
    assert by_old.json()["results"] == by_new.json()["results"]


@pytest.mark.django_db
def test_a_walk_through_every_page_keeps_the_other_parameters(auth_client, user):
    baker.make("items.Item", owner=user, title="milk", _quantity=5)

    pages = pages_forward(auth_client, ITEMS_URL, {"page_size": 2, "search": "milk"})

    assert len(ids_of(pages)) == 5
    for page in pages[1:]:
        assert page.wsgi_request.GET["search"] == "milk"
