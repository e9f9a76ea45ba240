"""Guards for the Django internals accounts/authentication.py leans on.

Each test fails loudly if a Django upgrade changes what the authentication fast path
relies on, instead of letting it silently slow down or grant the wrong permissions.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db.models.sql.query import Query
from django.utils import timezone
from model_bakery import baker

from accounts.authentication import (
    PERMISSION_CACHE_ATTRIBUTES,
    forget_permissions,
    user_for_authentication,
)
from accounts.models import AuthSession, User

pytestmark = pytest.mark.django_db


def test_query_still_compiles_to_sql_with_params():
    assert callable(getattr(Query, "sql_with_params", None))


@pytest.mark.parametrize("with_role", [False, True])
def test_precompiled_user_query_returns_what_the_orm_query_returns(user, with_role):
    if with_role:
        user.groups.add(Group.objects.get(name="Staff"))
    expected = User.objects.for_authentication().get(pk=user.pk)

    found = user_for_authentication(str(user.pk))

    assert (found.pk, found.email, found.password, found.is_active, found.has_roles) == (
        expected.pk,
        expected.email,
        expected.password,
        expected.is_active,
        with_role,
    )


@pytest.mark.parametrize(
    ("whose", "ended", "live"),
    [("own", False, True), ("own", True, False), ("other", False, False)],
)
def test_precompiled_user_query_tells_whether_the_session_is_live(
    user, other_user, whose, ended, live
):
    session = baker.make(
        AuthSession,
        user=user if whose == "own" else other_user,
        expires_at=timezone.now() + timedelta(days=1),
        ended_at=timezone.now() if ended else None,
    )
    expected = User.objects.for_authentication(session_id=session.pk).get(pk=user.pk)

    found = user_for_authentication(str(user.pk), session_id=session.pk)

    assert (found.pk, found.has_roles, found.session_live) == (user.pk, False, live)
    assert expected.session_live is live
    # And without a session (a token from before sessions), the same user, live.
    assert bool(user_for_authentication(str(user.pk)).session_live) is True


def test_precompiled_user_query_of_unknown_id_raises_does_not_exist():
    with pytest.raises(User.DoesNotExist):
        user_for_authentication("00000000-0000-0000-0000-000000000001")


def test_forgotten_permissions_cost_no_query_and_grant_nothing(user, django_assert_num_queries):
    loaded = user_for_authentication(str(user.pk))
    forget_permissions(loaded)

    with django_assert_num_queries(0):
        assert not loaded.has_perm("items.view_item")
        assert loaded.get_all_permissions() == set()


@pytest.mark.parametrize(
    ("attribute", "read"),
    [
        ("_perm_cache", lambda user: user.get_all_permissions()),
        ("_user_perm_cache", lambda user: user.get_user_permissions()),
        ("_group_perm_cache", lambda user: user.get_group_permissions()),
    ],
)
def test_model_backend_still_answers_from_each_permission_cache(
    user, attribute, read, django_assert_num_queries
):
    # Filling one cache by hand must change the answer: proof the backend still reads
    # the attribute forget_permissions fills, under that name.
    assert attribute in PERMISSION_CACHE_ATTRIBUTES
    loaded = user_for_authentication(str(user.pk))
    setattr(loaded, attribute, {"items.view_item"})

    with django_assert_num_queries(0):
        assert read(loaded) == {"items.view_item"}
