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

    def for_authentication(self) -> "UserQuerySet":
        """Users annotated with ``has_roles``: whether any group or permission is theirs."""
        return self.annotate(has_roles=holds_roles(models.OuterRef("pk")))


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
        return self.get(email=self.normalize_email(username))

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
