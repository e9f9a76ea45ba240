"""The accounts services called directly, as the admin, commands and tasks call them."""

import threading
from dataclasses import asdict
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from model_bakery import baker
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.models import User
from accounts.tests.helpers import NEW_PASSWORD, PASSWORD
from accounts.tokens import (
    InvalidToken,
    ResetTokenInvalid,
    email_verification_token_make,
    password_reset_token_make,
)

pytestmark = pytest.mark.django_db


def _codes(error: ValidationError) -> dict[str, list[str | None]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def _is_revoked(raw_refresh: str) -> bool:
    jti = RefreshToken(raw_refresh, verify=False)["jti"]
    return BlacklistedToken.objects.filter(token__jti=jti).exists()


# --- Registration -------------------------------------------------------------------------


def test_user_register_normalizes_email_and_sends_verification_after_commit(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        user = services.user_register(email=" New@Example.com", password=PASSWORD)
    assert user.email == "new@example.com"
    assert user.check_password(PASSWORD)
    assert mailoutbox == []
    assert callbacks

    for callback in callbacks:
        callback()

    assert [message.to for message in mailoutbox] == [["new@example.com"]]


def test_user_register_losing_a_race_for_the_email_answers_like_a_taken_address(
    user, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    # The other registration commits between our check and our INSERT.
    lookups = []
    real_with_email = type(User.objects).with_email

    def with_email_missing_once(manager, email):
        lookups.append(email)
        return User.objects.none() if len(lookups) == 1 else real_with_email(manager, email)

    monkeypatch.setattr(User, "validate_unique", lambda self, exclude=None: None)
    monkeypatch.setattr(type(User.objects), "with_email", with_email_missing_once)

    with django_capture_on_commit_callbacks(execute=True):
        stand_in = services.user_register(email=user.email, password="another long passphrase")

    assert stand_in.email == user.email
    assert stand_in.pk != user.pk
    assert User.objects.filter(email=user.email).count() == 1
    assert [m.subject for m in mailoutbox] == ["Someone tried to register with your Keel address"]


def test_user_register_existing_email_in_other_case_saves_nothing(
    user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        stand_in = services.user_register(email="ANN@EXAMPLE.COM", password=PASSWORD)

    assert stand_in.email == "ann@example.com"
    assert not User.objects.filter(pk=stand_in.pk).exists()
    assert [m.to for m in mailoutbox] == [["ann@example.com"]]


def test_email_verification_resend_skips_verified_and_inactive_accounts(
    user, other_user, mailoutbox, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
    User.objects.filter(pk=other_user.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.email_verification_resend(email=user.email)
        services.email_verification_resend(email=other_user.email)
        services.email_verification_resend(email="nobody@example.com")
    assert callbacks == []
    assert mailoutbox == []


def test_email_verify_sets_the_verification_time(user):
    before = timezone.now()
    verified = services.email_verify(**asdict(email_verification_token_make(user=user)))
    user.refresh_from_db()
    assert verified == user
    assert user.email_verified_at >= before


# --- Tokens -------------------------------------------------------------------------------


def test_user_login_returns_a_pair_recorded_as_outstanding(user):
    pair = services.user_login(email="Ann@Example.com", password=PASSWORD)
    assert OutstandingToken.objects.filter(user=user).count() == 1
    assert not _is_revoked(pair.refresh)


def test_user_login_wrong_password_raises_invalid_credentials(user):
    with pytest.raises(services.InvalidCredentials):
        services.user_login(email=user.email, password="wrong")
    assert services.InvalidCredentials.status_code == 401


def test_refresh_token_rotate_works_exactly_once(user):
    old = services.token_pair_issue(user=user)
    new = services.refresh_token_rotate(raw_token=old.refresh)
    assert new.refresh != old.refresh
    assert _is_revoked(old.refresh)
    assert not _is_revoked(new.refresh)
    with pytest.raises(InvalidToken):
        services.refresh_token_rotate(raw_token=old.refresh)


def test_refresh_token_rotate_of_deleted_user_raises_invalid_token(user):
    refresh = services.token_pair_issue(user=user).refresh
    User.objects.filter(pk=user.pk).delete()  # skips the service: no revocation first
    with pytest.raises(InvalidToken):
        services.refresh_token_rotate(raw_token=refresh)


def test_user_tokens_revoke_all_revokes_only_usable_tokens_of_that_user(user, other_user):
    usable = [services.token_pair_issue(user=user).refresh for _ in range(2)]
    already = services.token_pair_issue(user=user).refresh
    services.refresh_token_revoke(raw_token=already)
    expired = baker.make(
        OutstandingToken,
        user=user,
        jti="expired-jti",
        token="x",
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    bystander = services.token_pair_issue(user=other_user).refresh

    assert services.user_tokens_revoke_all(user=user) == 2

    assert all(_is_revoked(raw) for raw in usable)
    assert not BlacklistedToken.objects.filter(token=expired).exists()
    assert not _is_revoked(bystander)
    assert services.user_tokens_revoke_all(user=user) == 0


# --- Passwords ----------------------------------------------------------------------------


def test_password_change_wrong_current_password_raises_and_changes_nothing(user):
    pair = services.token_pair_issue(user=user)
    with pytest.raises(ValidationError) as caught:
        services.password_change(user=user, current_password="wrong", new_password=NEW_PASSWORD)
    assert _codes(caught.value) == {"current_password": ["wrong_password"]}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not _is_revoked(pair.refresh)


def test_password_change_revokes_old_sessions_and_issues_a_new_one(user):
    old = services.token_pair_issue(user=user)
    new = services.password_change(user=user, current_password=PASSWORD, new_password=NEW_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _is_revoked(old.refresh)
    assert not _is_revoked(new.refresh)


def test_password_reset_confirm_used_token_raises_invalid(user):
    link = password_reset_token_make(user=user)
    services.password_reset_confirm(uid=link.uid, token=link.token, new_password=NEW_PASSWORD)
    with pytest.raises(ResetTokenInvalid):
        services.password_reset_confirm(uid=link.uid, token=link.token, new_password=PASSWORD)


def test_password_reset_request_for_unknown_email_schedules_nothing(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        services.password_reset_request(email="nobody@example.com")
    assert callbacks == []


# --- Profile, deletion, activation --------------------------------------------------------


def test_user_update_profile_changes_only_names(user):
    services.user_update_profile(
        user=user,
        data={"first_name": "Ann", "email": "x@example.com", "is_superuser": True},
    )
    user.refresh_from_db()
    assert user.first_name == "Ann"
    assert user.email == "ann@example.com"
    assert not user.is_superuser


def test_user_delete_wrong_password_raises_and_keeps_the_user(user):
    with pytest.raises(ValidationError) as caught:
        services.user_delete(user=user, password="wrong")
    assert _codes(caught.value) == {"password": ["wrong_password"]}
    assert User.objects.filter(pk=user.pk).exists()


def test_user_delete_removes_the_user_and_revokes_its_tokens(user):
    pair = services.token_pair_issue(user=user)
    services.user_delete(user=user, password=PASSWORD)
    assert not User.objects.filter(email="ann@example.com").exists()
    assert _is_revoked(pair.refresh)


def test_user_set_active_false_revokes_and_true_does_not_restore_tokens(user):
    pair = services.token_pair_issue(user=user)
    services.user_set_active(user=user, is_active=False)
    assert _is_revoked(pair.refresh)
    services.user_set_active(user=user, is_active=True)
    user.refresh_from_db()
    assert user.is_active
    assert _is_revoked(pair.refresh)


# --- Superuser ----------------------------------------------------------------------------


def test_superuser_ensure_validates_the_password():
    with pytest.raises(ValidationError) as caught:
        services.superuser_ensure(email="root@example.com", password="root")
    assert "password_too_short" in _codes(caught.value)["password"]
    assert not User.objects.exists()


def test_superuser_ensure_matches_an_existing_email_in_any_case(user):
    ensured, created = services.superuser_ensure(email="ANN@example.com", password="ignored")
    assert (ensured, created) == (user, False)
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (True, True)
    assert user.check_password(PASSWORD)


# --- Concurrency (needs row locks: PostgreSQL) --------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs row-level locks between connections"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_refresh_token_rotate_concurrent_second_use_waits_and_is_rejected(user):
    raw = services.token_pair_issue(user=user).refresh
    outcome = {}

    def rotate_in_other_connection():
        try:
            services.refresh_token_rotate(raw_token=raw)
            outcome["result"] = "rotated"
        except InvalidToken:
            outcome["result"] = "rejected"
        finally:
            connection.close()

    with transaction.atomic():
        services.refresh_token_rotate(raw_token=raw)
        second = threading.Thread(target=rotate_in_other_connection)
        second.start()
        second.join(timeout=0.5)
        # Still waiting for this transaction's lock on the token row.
        assert second.is_alive()
    second.join(timeout=10)

    assert outcome == {"result": "rejected"}
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1
