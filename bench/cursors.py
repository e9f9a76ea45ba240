"""The URL of a deep page of the list, reached the way a client reaches it."""

from urllib.parse import urlsplit

from django.test import Client

LIST_PATH = "/api/v1/items/"


def page_path(*, access_token: str, page: int) -> str:
    """The path (and ``?cursor=``) of the ``page``-th page of the token user's item list,
    found by following ``next`` from the first page, as a client pages through it."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    path = LIST_PATH
    for number in range(1, page):
        response = client.get(path)
        assert response.status_code == 200, (number, response.status_code)
        link = response.json()["next"]
        assert link is not None, f"the list has only {number} pages, not {page}"
        parts = urlsplit(link)
        path = f"{parts.path}?{parts.query}"
    final = client.get(path)
    assert final.status_code == 200, (page, final.status_code)
    assert final.json()["results"], f"page {page} is empty"
    return path
