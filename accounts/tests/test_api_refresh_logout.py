"""Refreshing and revoking tokens over HTTP."""

import pytest
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.models import User
from accounts.tests.helpers import LOGOUT, REFRESH, assert_problem, error_pairs

pytestmark = pytest.mark.django_db


def test_refresh_of_deactivated_user_is_rejected(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert_problem(api_client.post(REFRESH, {"refresh": refresh}), 401, "token_not_valid")


def test_refresh_with_an_access_token_is_rejected(api_client, user):
    access = services.token_pair_issue(user=user).access
    assert_problem(api_client.post(REFRESH, {"refresh": access}), 401, "token_not_valid")


@pytest.mark.parametrize("raw", ["garbage", "a.b.c", "x" * 4096])
def test_refresh_with_malformed_token_is_rejected(api_client, raw):
    assert_problem(api_client.post(REFRESH, {"refresh": raw}), 401, "token_not_valid")


def test_refresh_with_blank_or_oversized_token_is_validation_error(api_client):
    blank = assert_problem(api_client.post(REFRESH, {"refresh": ""}), 400, "validation_error")
    assert error_pairs(blank) == [("refresh", "blank")]
    huge = assert_problem(
        api_client.post(REFRESH, {"refresh": "x" * 4097}), 400, "validation_error"
    )
    assert error_pairs(huge) == [("refresh", "max_length")]


def test_refresh_token_not_recorded_as_issued_is_rejected(api_client, user):
    refresh = RefreshToken.for_user(user)
    # The signature is valid, but no row says this server handed the token out.
    OutstandingToken.objects.filter(jti=refresh["jti"]).delete()
    assert_problem(api_client.post(REFRESH, {"refresh": str(refresh)}), 401, "token_not_valid")


def test_logout_twice_with_one_refresh_token_is_rejected(api_client, user):
    refresh = services.token_pair_issue(user=user).refresh
    assert api_client.post(LOGOUT, {"refresh": refresh}).status_code == 204
    assert_problem(api_client.post(LOGOUT, {"refresh": refresh}), 401, "token_not_valid")


def test_logout_revokes_only_that_session(api_client, user):
    this_session = services.token_pair_issue(user=user).refresh
    other_session = services.token_pair_issue(user=user).refresh
    assert api_client.post(LOGOUT, {"refresh": this_session}).status_code == 204
    assert api_client.post(REFRESH, {"refresh": other_session}).status_code == 200
