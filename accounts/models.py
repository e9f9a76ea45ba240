import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserQuerySet(models.QuerySet["User"]):
    def with_email(self, email: str) -> "UserQuerySet":
        """Users whose email matches, ignoring case (emails are stored lower-cased)."""
        return self.filter(email=normalize_email(email))

    def for_authentication(self, *, session_id: uuid.UUID | None = None) -> "UserQuerySet":
        """Users annotated with ``has_roles``: whether any group or permission is theirs, and
        ``session_live``: whether ``session_id`` names a session of theirs not ended (true
        when it names none: a token issued before sessions existed)."""
        live: models.Value | models.Exists = models.Value(True)
        if session_id is not None:
            live = models.Exists(
                AuthSession.objects.filter(
                    pk=session_id, user=models.OuterRef("pk"), ended_at__isnull=True
                )
            )
        return self.annotate(has_roles=holds_roles(models.OuterRef("pk")), session_live=live)

    # These two write users without sending signals: they say so to the auth cache.

    def update(self, **fields: Any) -> int:
        changed = list(self.values_list("pk", flat=True))
        updated = super().update(**fields)
        _users_changed(changed)
        return updated

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        objs = list(objs)
        updated = super().bulk_update(objs, fields, batch_size=batch_size)
        _users_changed([user.pk for user in objs])
        return updated


def _users_changed(user_ids: list) -> None:
    from accounts.auth_cache import users_changed  # it imports the settings' cache

    users_changed(user_ids)


def holds_roles(user_id: models.OuterRef) -> models.Q:
    """Whether the user ``user_id`` points at holds any group or permission."""
    groups = User.groups.through.objects.filter(user_id=user_id)
    permissions = User.user_permissions.through.objects.filter(user_id=user_id)
    return models.Exists(groups) | models.Exists(permissions)


# Bound to a name first: the django-stubs plugin reads the manager's QuerySet methods
# from a ``from_queryset`` call only in an assignment, not in a class's bases.
_UserManagerBase = BaseUserManager.from_queryset(UserQuerySet)


class UserManager(_UserManagerBase["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return normalize_email(email or "")

    def get_by_natural_key(self, username: str | None) -> "User":
        # The login's one query also says whether the account has two-factor on.
        confirmed = TotpDevice.objects.filter(
            user=models.OuterRef("pk"), confirmed_at__isnull=False
        )
        return self.annotate(mfa_on=models.Exists(confirmed)).get(
            email=self.normalize_email(username)
        )

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        if not email:
            raise ValueError("Users must have an email address.")
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


def normalize_email(email: str) -> str:
    # The whole address is lower-cased, not only the domain: Ann@X.io and ann@x.io
    # must be one account, and an exact match keeps the login lookup on the index.
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Designates whether the user can log into the admin site."
    )
    email_verified_at = models.DateTimeField(null=True, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        # The orderings staff list users by (email has its unique index), with the id that
        # breaks their ties in the keyset pages (config.api.keyset).
        indexes = [
            models.Index(fields=["date_joined", "id"], name="user_date_joined"),
            models.Index(fields=["last_login", "id"], name="user_last_login"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="user_email_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def owned_by(self, user: "User") -> "ApiKeyQuerySet":
        return self.filter(user=user)

    def visible_to(self, user: "User") -> "ApiKeyQuerySet":
        """A user's own keys; every key for staff who may change them."""
        return self if user.has_perm("accounts.change_apikey") else self.owned_by(user)


class ApiKey(models.Model):
    """A machine client's credential: it authenticates as ``user``, limited to ``scopes``.

    The key itself (``keel_<prefix>.<secret>``) is shown once, on creation: only the
    public ``prefix`` (indexed, to find the row) and a SHA-256 digest of the secret are
    stored. The secret is 256 random bits, so a fast digest is as safe as a slow hash.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_digest = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # Ends with the id, the tie-break of the list's keyset pages (config.api.keyset).
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="apikey_user_created")]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def throttle_ident(self) -> str:
        """Its own throttle bucket (config.api.throttling.MachineClientThrottle)."""
        return str(self.pk)

    def allows(self, scope: str) -> bool:
        """Whether the key holds ``scope`` (``<resource>:read|write``); write implies read."""
        resource, _, access = scope.partition(":")
        return scope in self.scopes or (access == "read" and f"{resource}:write" in self.scopes)


class AuthSessionQuerySet(models.QuerySet["AuthSession"]):
    def owned_by(self, user: "User") -> "AuthSessionQuerySet":
        return self.filter(user=user)

    def live(self) -> "AuthSessionQuerySet":
        """Sessions not ended whose newest refresh token has not expired."""
        return self.filter(ended_at__isnull=True, expires_at__gt=timezone.now())


class AuthSession(models.Model):
    """One login on one device: the family of refresh tokens rotated from it.

    Every token of the family, refresh and access, carries the session's id in its
    ``sid`` claim (``accounts.tokens.SESSION_ID_CLAIM``); rotating keeps it. Ending the
    session refuses its refresh tokens and its access tokens at once. ``expires_at`` is
    when its newest refresh token expires: the session is over then, ended or not.
    """

    USER_AGENT_MAX_LENGTH = 256

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_sessions")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_MAX_LENGTH, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = AuthSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-last_used_at", "id"]
        indexes = [
            # A user's sessions in the order they are listed; only the ones not ended.
            models.Index(
                fields=["user", "-last_used_at"],
                condition=models.Q(ended_at__isnull=True),
                name="authsession_user_live",
            ),
            # The periodic clean-up deletes by expiry.
            models.Index(fields=["expires_at"], name="authsession_expires"),
        ]
        verbose_name = "session"

    def __str__(self) -> str:
        return f"session {self.pk} ({self.ip or 'unknown IP'})"


class TotpDevice(models.Model):
    """A user's authenticator app: the shared secret, and the last time step it was used for.

    Pending until ``confirmed_at`` (the user has shown a code from it); only a confirmed
    device makes login ask for a second factor. A code is refused for any step at or
    before ``last_used_step``, so each one works once.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "TOTP device"

    def __str__(self) -> str:
        return f"TOTP device of {self.user_id}"


class RecoveryCode(models.Model):
    """A single-use code for when the authenticator is lost, stored only as a keyed digest."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="recoverycode_user_digest")
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"
