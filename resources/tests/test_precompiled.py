"""A member's retrieve and list pages through SQL compiled once (config.db.precompiled):
the ORM's own statements, the same rows, and the ORM wherever a request reads more than
a member's own rows."""

from datetime import timedelta

import pytest
from django.db.models.functions import Length
from django.utils import timezone
from model_bakery import baker

from accounts.models import User
from config.api.keyset import KeysetOrdering
from config.db.precompiled import NotPrecompilable, PrecompiledQuery, precompile
from items.models import Item
from items.tests.helpers import ITEMS_URL, assert_problem, item_url
from resources.models import OwnedQuerySet

pytestmark = pytest.mark.django_db

OWNER, PK = User._meta.pk, Item._meta.pk
CREATED_AT = Item._meta.get_field("created_at")


@pytest.fixture
def statements_run(monkeypatch) -> list[type]:
    """The model of every precompiled statement run, in order (authentication runs one
    on users)."""
    run: list[type] = []
    rows = PrecompiledQuery.rows

    def counted(self, **values):
        run.append(self.model)
        return rows(self, **values)

    monkeypatch.setattr(PrecompiledQuery, "rows", counted)
    return run


def lookup(owner, value):
    return Item.objects.owned_by(owner).filter(pk=value).order_by()


def test_a_precompiled_statement_is_the_orms_for_the_same_values(user):
    item = baker.make(Item, owner=user)
    statement = precompile(lookup, "default", owner=OWNER, value=PK)

    sql, params = lookup(user.pk, item.pk).query.sql_with_params()

    assert statement.sql == sql
    assert statement.params_for(owner=user.pk, value=item.pk) == list(params)
    assert statement.rows(owner=user.pk, value=item.pk) == [item]


def test_its_rows_are_the_orms_instances_value_for_value_and_type_for_type(user):
    # SQLite stores UUIDs, booleans and datetimes as text and integers: its converters
    # must run as the ORM's do.
    baker.make(Item, owner=user, is_completed=True, completed_at=timezone.now(), _quantity=2)
    baker.make(Item, owner=user, description="")
    statement = precompile(
        lambda owner: Item.objects.owned_by(owner).order_by("created_at", "id"),
        "default",
        owner=OWNER,
    )

    rows = statement.rows(owner=user.pk)

    orm = list(Item.objects.owned_by(user.pk).order_by("created_at", "id"))
    assert [_typed_values(row) for row in rows] == [_typed_values(row) for row in orm]
    assert all(row._state.db == "default" and not row._state.adding for row in rows)


def test_its_rows_carry_the_querysets_annotations(user):
    annotated = precompile(
        lambda owner: (
            Item.objects.owned_by(owner).annotate(title_length=Length("title")).order_by()
        ),
        "default",
        owner=OWNER,
    )
    baker.make(Item, owner=user, title="four")

    (row,) = annotated.rows(owner=user.pk)

    assert row.title_length == 4


def _typed_values(instance: Item) -> dict[str, tuple[type, object]]:
    return {
        field.attname: (type(value := getattr(instance, field.attname)), value)
        for field in Item._meta.concrete_fields
    }


def test_a_precompiled_statement_finds_nothing_of_another_owner(user, other_user):
    item = baker.make(Item, owner=other_user)
    statement = precompile(lookup, "default", owner=OWNER, value=PK)

    assert statement.rows(owner=user.pk, value=item.pk) == []


def test_a_value_compared_several_times_fills_every_place_it_went(user):
    # A keyset page after (created_at, id) compares created_at three times.
    rows = baker.make(Item, owner=user, _quantity=4)
    ordering = KeysetOrdering.of(Item.objects.owned_by(user.pk))

    def page(owner, key0, key1):
        after = ordering.rows_after(Item.objects.owned_by(owner), [key0, key1])
        return ordering.ordered(after)[:21]

    statement = precompile(page, "default", owner=OWNER, key0=CREATED_AT, key1=PK)
    start = sorted(rows, key=lambda row: (row.created_at, row.pk))[-1]
    sql, params = page(user.pk, start.created_at, start.pk).query.sql_with_params()

    assert statement.sql == sql
    assert statement.params_for(owner=user.pk, key0=start.created_at, key1=start.pk) == list(
        params
    )
    assert [s.name for s in statement.slots].count("key0") == 3


@pytest.mark.parametrize(
    ("build", "field"),
    [
        # A boolean has no value no row holds: a marker could equal a constant.
        (lambda value: Item.objects.filter(is_completed=value), "is_completed"),
        # The value reaches no parameter.
        (lambda value: Item.objects.all(), "id"),
        (lambda value: Item.objects.filter(pk=value).none(), "id"),
        # raw() reads the rows of one model.
        (lambda value: Item.objects.select_related("owner").filter(pk=value), "id"),
    ],
    ids=["boolean", "unused", "none", "select-related"],
)
def test_what_cannot_be_filled_from_markers_is_refused(build, field):
    with pytest.raises(NotPrecompilable):
        precompile(build, "default", value=Item._meta.get_field(field))


def test_a_member_retrieve_runs_the_precompiled_lookup(auth_client, user, statements_run):
    item = baker.make(Item, owner=user, title="Mine")

    response = auth_client.get(item_url(item))

    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Mine"
    assert statements_run.count(Item) == 1


def test_a_member_retrieve_of_another_users_item_is_404(auth_client, other_user, statements_run):
    item = baker.make(Item, owner=other_user)

    response = auth_client.get(item_url(item))

    assert_problem(response, 404, "not_found")
    assert statements_run.count(Item) == 1


def test_a_member_retrieve_of_a_malformed_id_is_404(auth_client, statements_run):
    response = auth_client.get(item_url("not-a-uuid"))

    assert_problem(response, 404, "not_found")


def test_a_retrieve_with_a_filter_goes_through_the_orm_and_applies_it(
    auth_client, user, statements_run
):
    # DRF filters a detail URL's queryset too: an open item is not among completed ones.
    item = baker.make(Item, owner=user, is_completed=False)

    response = auth_client.get(item_url(item), {"is_completed": "true"})

    assert_problem(response, 404, "not_found")
    assert Item not in statements_run


def test_staff_reads_go_through_the_orm(client_for, staff_user, user, statements_run):
    item = baker.make(Item, owner=user)

    assert client_for(staff_user).get(item_url(item)).status_code == 200
    assert client_for(staff_user).get(ITEMS_URL).status_code == 200
    assert Item not in statements_run


def test_writes_go_through_the_orm(auth_client, user, statements_run):
    item = baker.make(Item, owner=user)

    response = auth_client.patch(item_url(item), {"title": "Renamed"}, format="json")

    assert response.status_code == 200, response.content
    assert Item not in statements_run


def walk(client, url: str, link: str) -> list[list[str]]:
    pages = []
    while url:
        body = client.get(url).json()
        pages.append([row["id"] for row in body["results"]])
        url = body[link]
    return pages


def test_every_page_forwards_and_back_is_the_orms(auth_client, user, statements_run):
    # Ties on created_at: the id decides, on both paths alike.
    now = timezone.now()
    for n in range(7):
        baker.make(Item, owner=user, created_at=now - timedelta(seconds=n // 2))
    expected = [
        str(pk)
        for pk in Item.objects.filter(owner=user)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    ]

    forwards = walk(auth_client, f"{ITEMS_URL}?page_size=2", "next")
    last_page = auth_client.get(f"{ITEMS_URL}?page_size=2").json()
    for _ in range(len(forwards) - 1):
        last_page = auth_client.get(last_page["next"]).json()
    backwards = walk(auth_client, last_page["previous"], "previous")

    assert [pk for page in forwards for pk in page] == expected
    assert [pk for page in reversed(backwards) for pk in page] == expected[:6]
    # Each page read from the database was precompiled (the second walk to the last page
    # asked for the same URLs again: served from the response cache).
    assert statements_run.count(Item) == len(forwards) + len(backwards)


def test_a_filtered_or_reordered_list_goes_through_the_orm(auth_client, user, statements_run):
    baker.make(Item, owner=user, _quantity=3)

    assert len(auth_client.get(ITEMS_URL, {"ordering": "title"}).json()["results"]) == 3
    assert len(auth_client.get(ITEMS_URL, {"search": "no-such-words"}).json()["results"]) == 0
    assert Item not in statements_run


def test_a_resources_own_visible_to_scopes_its_precompiled_reads(
    auth_client, user, statements_run
):
    # StoredFileQuerySet.visible_to shows active files only: a pending upload is neither
    # listed nor found, on the precompiled path as on the ORM's.
    from storage.models import StoredFile

    pending = baker.make(StoredFile, owner=user, status=StoredFile.Status.PENDING)

    listed = auth_client.get("/api/v1/files/")
    found = auth_client.get(f"/api/v1/files/{pending.pk}/")

    assert listed.json()["results"] == []
    assert_problem(found, 404, "not_found")
    assert statements_run.count(StoredFile) == 2


def test_a_visible_to_asking_for_another_permission_reads_through_the_orm(
    client_for, user, monkeypatch, statements_run
):
    # The compiled statement is shared by every member: a scope that depends on what
    # one member holds (here: who may see pending uploads) cannot be compiled.
    from resources import views
    from storage.models import StoredFile, StoredFileQuerySet

    def visible_to(self, viewer):
        if viewer.has_perm("storage.view_pending_uploads"):
            return self.filter(owner__any=[viewer.pk])
        return self.filter(owner__any=[viewer.pk], status=StoredFile.Status.ACTIVE)

    monkeypatch.setattr(StoredFileQuerySet, "visible_to", visible_to)
    views._member_lookup.cache_clear()
    monkeypatch.setattr("config.api.pagination._PAGE_STATEMENTS", {})
    pending = baker.make(StoredFile, owner=user, status=StoredFile.Status.PENDING)

    listed = client_for(user).get("/api/v1/files/")
    found = client_for(user).get(f"/api/v1/files/{pending.pk}/")

    assert listed.json()["results"] == []
    assert_problem(found, 404, "not_found")
    assert StoredFile not in statements_run
    views._member_lookup.cache_clear()


@pytest.fixture
def scopings(monkeypatch) -> list[object]:
    """Every ``visible_to`` an owned queryset is asked for, by whom."""
    asked: list[object] = []
    visible_to = OwnedQuerySet.visible_to

    def counted(self, viewer):
        asked.append(viewer)
        return visible_to(self, viewer)

    monkeypatch.setattr(OwnedQuerySet, "visible_to", counted)
    return asked


@pytest.fixture
def nothing_kept(settings, monkeypatch):
    """No response kept (every list reaches the paginator), no page SQL compiled yet."""
    settings.RESPONSE_CACHE_SECONDS = 0
    monkeypatch.setattr("config.api.pagination._PAGE_STATEMENTS", {})
    monkeypatch.setattr("config.api.pagination._SOURCE_SHAPES", {})


def test_a_members_list_page_builds_no_queryset_once_its_sql_is_compiled(
    auth_client, user, scopings, nothing_kept, statements_run
):
    baker.make(Item, owner=user, _quantity=3)
    # Compiles the first page's SQL and the next page's (a cursor: another statement).
    auth_client.get(auth_client.get(ITEMS_URL, {"page_size": 2}).json()["next"])
    assert scopings  # compiling (and the first shape worked out) asked for the scoping
    scopings.clear()
    statements_run.clear()

    first = auth_client.get(ITEMS_URL, {"page_size": 2})
    second = auth_client.get(first.json()["next"])

    assert (first.status_code, second.status_code) == (200, 200)
    assert len(first.json()["results"]) + len(second.json()["results"]) == 3
    assert statements_run.count(Item) == 2  # each page read by its compiled SQL
    assert scopings == []


def test_a_members_count_builds_the_queryset_as_the_user(
    auth_client, user, scopings, nothing_kept
):
    baker.make(Item, owner=user, _quantity=3)
    auth_client.get(ITEMS_URL)
    scopings.clear()

    response = auth_client.get(ITEMS_URL, {"count": "true"})

    assert response.json()["count"] == 3
    assert scopings == [user]
