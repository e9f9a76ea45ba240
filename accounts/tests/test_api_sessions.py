"""Sessions over HTTP: each login is one, listed with where it is used from, ended one by one."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.models import AuthSession, User
from accounts.tests.helpers import (
    LOGIN,
    LOGOUT,
    LOGOUT_EVERYWHERE,
    ME,
    NEW_PASSWORD,
    PASSWORD,
    PASSWORD_CHANGE,
    PASSWORD_RESET_CONFIRM,
    REFRESH,
    SESSIONS,
    assert_problem,
    bearer,
    claims,
    login,
)
from accounts.tokens import password_reset_token_make
from config.tests.helpers import iso, result_ids

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CURL = "curl/8.11.0"


def session_url(session_id) -> str:
    return f"{SESSIONS}{session_id}/"


def anonymous() -> APIClient:
    return APIClient(raise_request_exception=False)


def refresh(pair: dict, **request_meta) -> dict:
    response = anonymous().post(REFRESH, {"refresh": pair["refresh"]}, **request_meta)
    assert response.status_code == 200, response.content
    return response.json()


# --- a session per login ------------------------------------------------------------------


def test_login_starts_a_session_listed_with_the_clients_address_and_user_agent(user):
    pair = login(user.email, REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT=FIREFOX)

    response = bearer(pair["access"]).get(SESSIONS)

    assert response.status_code == 200
    session = AuthSession.objects.get()
    assert response.json() == {
        "count": None,  # lists count only when asked (?count=true)
        "next": None,
        "previous": None,
        "results": [
            {
                "id": str(session.pk),
                "created_at": iso(session.created_at),
                "last_used_at": iso(session.last_used_at),
                "ip": "203.0.113.7",
                "user_agent": FIREFOX,
                "current": True,
            }
        ],
    }
    assert claims(pair["refresh"])["sid"] == claims(pair["access"])["sid"] == str(session.pk)


def test_a_long_user_agent_is_cut_to_the_stored_length(user):
    login(user.email, HTTP_USER_AGENT="x" * 5000)

    assert AuthSession.objects.get().user_agent == "x" * AuthSession.USER_AGENT_MAX_LENGTH


def test_behind_a_proxy_the_session_has_the_forwarded_client_address(user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    login(user.email, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4, 203.0.113.9")

    assert AuthSession.objects.get().ip == "203.0.113.9"


def test_a_forwarded_address_that_is_no_address_is_stored_as_unknown(user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    login(user.email, HTTP_X_FORWARDED_FOR="not-an-address")

    assert AuthSession.objects.get().ip is None


def test_each_login_is_its_own_session_and_the_one_asking_is_marked_current(user, other_user):
    first = login(user.email, HTTP_USER_AGENT=FIREFOX)
    second = login(user.email, HTTP_USER_AGENT=CURL)
    login(other_user.email)

    listed = bearer(first["access"]).get(SESSIONS).json()["results"]

    # Newest use first: the second login, then the first.
    assert [(s["user_agent"], s["current"]) for s in listed] == [(CURL, False), (FIREFOX, True)]
    assert listed[0]["id"] == claims(second["access"])["sid"]


# --- rotation keeps the session ----------------------------------------------------------


def test_refresh_keeps_the_session_and_records_its_latest_use(user):
    pair = login(user.email, REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT=FIREFOX)
    AuthSession.objects.update(last_used_at=timezone.now() - timedelta(hours=1))
    before = AuthSession.objects.get()

    rotated = refresh(pair, REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT=CURL)

    session = AuthSession.objects.get()
    assert claims(rotated["refresh"])["sid"] == claims(rotated["access"])["sid"] == str(session.pk)
    assert session.created_at == before.created_at
    assert session.last_used_at > before.last_used_at
    assert (session.ip, session.user_agent) == ("198.51.100.4", CURL)
    assert session.expires_at == datetime.fromtimestamp(claims(rotated["refresh"])["exp"], tz=UTC)


def test_refresh_of_an_ended_session_is_refused(user):
    pair = login(user.email)
    AuthSession.objects.update(ended_at=timezone.now())

    response = anonymous().post(REFRESH, {"refresh": pair["refresh"]})

    assert_problem(response, 401, "token_not_valid")


def test_refresh_of_a_session_that_is_gone_is_refused(user):
    pair = login(user.email)
    AuthSession.objects.all().delete()

    assert_problem(anonymous().post(REFRESH, {"refresh": pair["refresh"]}), 401, "token_not_valid")


def test_a_refresh_token_from_before_sessions_gets_a_session_on_its_next_rotation(user):
    # Issued the way tokens were before sessions: no sid claim.
    legacy = RefreshToken.for_user(user)
    assert "sid" not in legacy.payload

    rotated = refresh({"refresh": str(legacy)}, HTTP_USER_AGENT=CURL)

    session = AuthSession.objects.get()
    assert (session.user, session.user_agent) == (user, CURL)
    assert claims(rotated["refresh"])["sid"] == str(session.pk)
    assert claims(refresh(rotated)["refresh"])["sid"] == str(session.pk)
    assert AuthSession.objects.count() == 1


# --- ending sessions ---------------------------------------------------------------------


def test_ending_a_session_refuses_its_refresh_and_access_tokens_at_once(user):
    mine, other = login(user.email), login(user.email)
    other_id = claims(other["access"])["sid"]

    response = bearer(mine["access"]).delete(session_url(other_id))

    assert response.status_code == 204
    assert response.content == b""
    assert result_ids(bearer(mine["access"]).get(SESSIONS)) == [claims(mine["access"])["sid"]]
    assert_problem(bearer(other["access"]).get(ME), 401, "session_ended")
    assert_problem(
        anonymous().post(REFRESH, {"refresh": other["refresh"]}), 401, "token_not_valid"
    )
    assert refresh(mine)


def test_ending_the_current_session_signs_it_out(user):
    pair = login(user.email)
    client = bearer(pair["access"])

    assert client.delete(session_url(claims(pair["access"])["sid"])).status_code == 204

    assert_problem(client.get(SESSIONS), 401, "session_ended")


@pytest.mark.parametrize("session_id", [str(uuid.uuid4()), "not-a-uuid", "1"])
def test_ending_an_unknown_or_malformed_session_is_404(user, session_id):
    client = bearer(login(user.email)["access"])

    assert_problem(client.delete(session_url(session_id)), 404, "not_found")


def test_another_users_session_is_404_and_stays(user, other_user):
    theirs = login(other_user.email)

    response = bearer(login(user.email)["access"]).delete(
        session_url(claims(theirs["access"])["sid"])
    )

    assert_problem(response, 404, "not_found")
    assert refresh(theirs)


def test_an_ended_session_is_no_longer_listed_nor_endable(user):
    mine, other = login(user.email), login(user.email)
    client = bearer(mine["access"])
    url = session_url(claims(other["access"])["sid"])
    assert client.delete(url).status_code == 204

    assert_problem(client.delete(url), 404, "not_found")
    assert client.get(SESSIONS, {"count": "true"}).json()["count"] == 1


def test_an_expired_session_is_not_listed(user):
    pair = login(user.email)
    baker.make(AuthSession, user=user, expires_at=timezone.now() - timedelta(seconds=1))

    assert result_ids(bearer(pair["access"]).get(SESSIONS)) == [claims(pair["access"])["sid"]]


def test_logout_ends_its_session_only(user):
    leaving, staying = login(user.email), login(user.email)

    assert anonymous().post(LOGOUT, {"refresh": leaving["refresh"]}).status_code == 204

    assert_problem(bearer(leaving["access"]).get(ME), 401, "session_ended")
    assert result_ids(bearer(staying["access"]).get(SESSIONS)) == [
        claims(staying["access"])["sid"]
    ]


def test_logout_everywhere_ends_every_session_of_the_user_only(user, other_user):
    pairs = [login(user.email) for _ in range(2)]
    bystander = login(other_user.email)

    assert bearer(pairs[0]["access"]).post(LOGOUT_EVERYWHERE).status_code == 204

    assert not AuthSession.objects.filter(user=user).live().exists()
    for pair in pairs:
        assert_problem(bearer(pair["access"]).get(ME), 401, "session_ended")
    assert bearer(bystander["access"]).get(SESSIONS, {"count": "true"}).json()["count"] == 1


def test_password_change_continues_the_callers_session_and_ends_the_others(user):
    mine, other = login(user.email), login(user.email)

    response = bearer(mine["access"]).post(
        PASSWORD_CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 200
    fresh = response.json()
    assert claims(fresh["access"])["sid"] == claims(mine["access"])["sid"]
    assert result_ids(bearer(fresh["access"]).get(SESSIONS)) == [claims(mine["access"])["sid"]]
    assert_problem(
        anonymous().post(REFRESH, {"refresh": other["refresh"]}), 401, "token_not_valid"
    )
    assert refresh(fresh)


def test_password_change_with_a_token_from_before_sessions_starts_a_session(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")

    response = api_client.post(
        PASSWORD_CHANGE,
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        HTTP_USER_AGENT=CURL,
    )

    assert response.status_code == 200
    session = AuthSession.objects.get()
    assert (claims(response.json()["access"])["sid"], session.user_agent) == (
        str(session.pk),
        CURL,
    )


def test_password_reset_deactivation_and_deletion_end_every_session(user, other_user):
    reset = login(user.email)
    token = password_reset_token_make(user=user)
    confirm = {"uid": token.uid, "token": token.token, "new_password": NEW_PASSWORD}
    assert anonymous().post(PASSWORD_RESET_CONFIRM, confirm).status_code == 204
    assert_problem(
        anonymous().post(REFRESH, {"refresh": reset["refresh"]}), 401, "token_not_valid"
    )
    assert not AuthSession.objects.filter(user=user).live().exists()

    deactivated = login(other_user.email)
    services.user_set_active(user=other_user, is_active=False)
    assert AuthSession.objects.get(pk=claims(deactivated["access"])["sid"]).ended_at is not None

    services.user_remove(user=User.objects.get(pk=other_user.pk))
    assert not AuthSession.objects.filter(user_id=other_user.pk).exists()


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "delete"])
def test_sessions_need_a_login(api_client, method):
    path = SESSIONS if method == "get" else session_url(uuid.uuid4())

    assert_problem(getattr(api_client, method)(path), 401, "not_authenticated")


@pytest.mark.parametrize("method", ["get", "delete"])
def test_sessions_refuse_an_api_key(user, method):
    pair = login(user.email)
    created = bearer(pair["access"]).post(
        "/api/v1/auth/api-keys/", {"name": "script", "scopes": ["items:write"]}
    )
    client = anonymous()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {created.json()['key']}")
    path = SESSIONS if method == "get" else session_url(claims(pair["access"])["sid"])

    assert_problem(getattr(client, method)(path), 403, "insufficient_scope")
    assert AuthSession.objects.get().ended_at is None


# --- cost --------------------------------------------------------------------------------------


TABLE = re.compile(r'(?:FROM|INTO|UPDATE) "(\w+)"')


def _own_table(sql: str) -> str:
    """The statement's own table, not one of a subquery (an EXISTS in its columns)."""
    for match in TABLE.finditer(sql):
        prefix = sql[: match.start()]
        if prefix.count("(") == prefix.count(")"):
            return match.group(1)
    raise AssertionError(sql)


def statements(captured) -> list[str]:
    """Each statement run as ``<verb> <table>``, without the savepoints of transactions."""
    return [
        f"{sql.split()[0]} {_own_table(sql)}"
        for sql in (query["sql"] for query in captured.captured_queries)
        if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_login_costs_one_insert_more_than_before_sessions(
    api_client, user, django_assert_num_queries
):
    login(user.email)  # the first login upgrades nothing more, and fills per-process caches

    with django_assert_num_queries(3) as captured:
        response = api_client.post(LOGIN, {"email": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert statements(captured) == [
        "SELECT accounts_user",
        "INSERT token_blacklist_outstandingtoken",
        "INSERT accounts_authsession",
    ]


def test_refresh_costs_one_update_more_than_before_sessions(
    api_client, user, django_assert_num_queries
):
    pair = login(user.email)

    with django_assert_num_queries(8) as captured:
        response = api_client.post(REFRESH, {"refresh": pair["refresh"]})

    assert response.status_code == 200
    assert statements(captured) == [
        "SELECT token_blacklist_blacklistedtoken",  # simplejwt's check, decoding the token
        "SELECT token_blacklist_outstandingtoken",  # the token's row, locked, with its user
        "SELECT token_blacklist_blacklistedtoken",
        "INSERT token_blacklist_blacklistedtoken",
        "UPDATE accounts_authsession",
        "INSERT token_blacklist_outstandingtoken",
    ]


def test_listing_sessions_costs_the_same_queries_for_one_or_many(user, django_assert_num_queries):
    client = bearer(login(user.email)["access"])
    client.get(ME)  # the user is read once, then kept (accounts.auth_cache)
    with django_assert_num_queries(2):  # the count and the page
        assert client.get(SESSIONS, {"count": "true"}).json()["count"] == 1

    baker.make(AuthSession, user=user, expires_at=timezone.now() + timedelta(days=1), _quantity=9)

    with django_assert_num_queries(2):  # the count and the page
        assert client.get(SESSIONS, {"count": "true"}).json()["count"] == 10


def test_an_access_token_of_a_session_costs_no_extra_query(user, django_assert_num_queries):
    client = bearer(login(user.email)["access"])

    with django_assert_num_queries(1):
        assert client.get(ME).status_code == 200


# --- upkeep and the admin ----------------------------------------------------------------------


def test_the_periodic_cleanup_deletes_sessions_past_their_expiry_ended_or_not(user):
    live = login(user.email)
    ended = login(user.email)
    bearer(live["access"]).delete(session_url(claims(ended["access"])["sid"]))
    past = timezone.now() - timedelta(seconds=1)
    expired = baker.make(AuthSession, user=user, expires_at=past, _quantity=2)
    AuthSession.objects.filter(pk=expired[1].pk).update(ended_at=past)

    call_command("run_periodic_jobs", "--only", "flush expired sessions")

    assert set(AuthSession.objects.values_list("pk", flat=True)) == {
        uuid.UUID(claims(live["access"])["sid"]),
        uuid.UUID(claims(ended["access"])["sid"]),
    }


def test_the_admin_shows_a_users_sessions_read_only(admin_client, user):
    login(user.email, REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT=FIREFOX)

    page = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "203.0.113.7" in html
    assert FIREFOX in html
    assert 'name="auth_sessions-0-user_agent"' not in html
