"""Changing an account's email: asked with the password, made by a link to the new address.

The address changes only when the link is used, re-checked for uniqueness then; the link
is signed with the state of the account it was made for, so it works once.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.exceptions import EmailChangeTokenInvalid, EmailTaken
from accounts.models import User, normalize_email
from accounts.services import _frontend_link, _send_email_on_commit, user_sessions_end_others
from accounts.tokens import email_change_token_check, email_change_token_make


def email_change_request(
    *, user: User, password: str, new_email: str, session_id: uuid.UUID | None = None
) -> None:
    """Email a confirmation link to ``new_email`` and a notice to the current address.

    Nothing changes until the link is used (``email_change_confirm``). The link names the
    session that asked (``session_id``): the one that survives the change.
    """
    if not user.check_password(password):
        raise ValidationError(
            {"password": ValidationError("The password is not correct.", code="wrong_password")}
        )
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise ValidationError(
            {
                "new_email": ValidationError(
                    "This is the account's address already.", code="email_unchanged"
                )
            }
        )
    if _email_taken(new_email, by_other_than=user):
        raise EmailTaken()
    token = email_change_token_make(user=user, new_email=new_email, session_id=session_id)
    link = _frontend_link("confirm-email-change", token)
    _send_email_on_commit("email_change_confirm", user=user, link=link, to=new_email)
    notice_link = f"{settings.FRONTEND_URL}/reset-password"
    _send_email_on_commit("email_change_notice", user=user, link=notice_link, new_email=new_email)


@transaction.atomic
def email_change_confirm(*, uid: str, token: str) -> User:
    """Make the change a link confirms: the address is set and verified (the link proves
    it is the user's), and every session but the one that asked ends."""
    change = email_change_token_check(uid=uid, token=token)
    user, now = change.user, timezone.now()
    # Re-checked now: the address may have been registered since the link was sent.
    if _email_taken(change.new_email, by_other_than=user):
        raise EmailTaken()
    try:
        # A savepoint, so a lost race leaves the transaction usable. The UPDATE applies
        # only to the state the link was checked against: of two concurrent uses of one
        # link, the second changes nothing.
        with transaction.atomic():
            changed = User.objects.filter(
                pk=user.pk, email=user.email, email_verified_at=user.email_verified_at
            ).update(email=change.new_email, email_verified_at=now)
    except IntegrityError as error:
        # Registered by another account between the check above and the UPDATE.
        raise EmailTaken() from error
    if not changed:
        raise EmailChangeTokenInvalid()
    user.email, user.email_verified_at = change.new_email, now
    user_sessions_end_others(user=user, keep=change.session_id)
    return user


def _email_taken(email: str, *, by_other_than: User) -> bool:
    return User.objects.with_email(email).exclude(pk=by_other_than.pk).exists()
