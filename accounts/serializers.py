from collections.abc import Mapping
from datetime import datetime

from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework import serializers

from accounts.api_keys import api_scopes
from accounts.models import ApiKey, AuthSession, User
from config.api.serializers import InputSerializer

# Passwords are length-checked here only to bound the work of hashing them; the real
# rules are Django's password validators, applied in the services.
PASSWORD_MAX_LENGTH = 256


class PasswordField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("max_length", PASSWORD_MAX_LENGTH)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "email_verified", "date_joined"]
        read_only_fields = fields


class UserAdminSerializer(serializers.ModelSerializer):
    """What staff see of a user through the users API."""

    groups: "serializers.SlugRelatedField[Group]" = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name"
    )

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "email_verified",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields


class UserRegisterSerializer(InputSerializer):
    email = serializers.EmailField(max_length=254)
    password = PasswordField()
    first_name = serializers.CharField(max_length=150, required=False, default="")
    last_name = serializers.CharField(max_length=150, required=False, default="")


class UserProfileUpdateSerializer(InputSerializer):
    """The names; the email changes through its own endpoint, which confirms the address."""

    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        # Refused, not ignored: a client sending it would otherwise believe it changed.
        if isinstance(self.initial_data, Mapping) and "email" in self.initial_data:
            raise serializers.ValidationError(
                {
                    "email": serializers.ErrorDetail(
                        "Change the email with POST /api/v1/auth/email/change/ (it asks "
                        "for your password and a confirmation from the new address).",
                        code="email_change_required",
                    )
                }
            )
        return attrs


class UserDeleteSerializer(InputSerializer):
    password = PasswordField()


class LoginSerializer(InputSerializer):
    email = serializers.CharField(max_length=254)
    password = PasswordField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(
        read_only=True,
        required=False,
        help_text="Absent in cookie mode (`X-Keel-Token-Transport: cookie`): it is the "
        "`keel_refresh` cookie instead.",
    )


class RefreshTokenSerializer(InputSerializer):
    refresh = serializers.CharField(max_length=4096)


class RefreshTokenOrCookieSerializer(InputSerializer):
    refresh = serializers.CharField(
        max_length=4096,
        required=False,
        help_text="The refresh token; omit it in cookie mode, where the `keel_refresh` "
        "cookie carries it (with the CSRF token as `X-CSRFToken`).",
    )


class PasswordChangeSerializer(InputSerializer):
    current_password = PasswordField()
    new_password = PasswordField()


class EmailSerializer(InputSerializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(InputSerializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=256)
    new_password = PasswordField()


class EmailChangeSerializer(InputSerializer):
    password = PasswordField()
    new_email = serializers.EmailField(max_length=254)


class EmailChangeConfirmSerializer(InputSerializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=1024)


class EmailVerifySerializer(InputSerializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=512)


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)


class ApiKeySerializer(serializers.ModelSerializer):
    """A key as listed: never its secret."""

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
        ]
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    """A key just created: with the key itself, shown this once."""

    key = serializers.CharField(read_only=True, help_text="The key: shown only in this answer.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyCreateSerializer(InputSerializer):
    def get_fields(self):
        # Built per instance: the scopes are known once every resource is loaded (and so
        # the schema lists them).
        return {
            "name": serializers.CharField(max_length=100),
            "scopes": serializers.ListField(
                child=serializers.ChoiceField(choices=api_scopes()),
                min_length=1,
                max_length=100,
                help_text="`<resource>:read` or `<resource>:write`; write implies read.",
            ),
            "expires_at": serializers.DateTimeField(required=False, allow_null=True, default=None),
        }

    def validate_expires_at(self, expires_at: datetime | None) -> datetime | None:
        if expires_at is not None and expires_at <= timezone.now():
            raise serializers.ValidationError("Must be in the future.", code="past")
        return expires_at


class AuthSessionSerializer(serializers.ModelSerializer):
    """A session as its owner sees it; ``current`` marks the one the request came with."""

    current = serializers.SerializerMethodField(
        help_text="Whether this is the session of the access token of this request."
    )

    class Meta:
        model = AuthSession
        fields = ["id", "created_at", "last_used_at", "ip", "user_agent", "current"]
        read_only_fields = fields

    def get_current(self, session: AuthSession) -> bool:
        return session.pk == self.context.get("current_session_id")


# --- Two-factor authentication -----------------------------------------------------------

# A TOTP code (6 digits) or a recovery code (``abcde-fghjk``), with room for spaces.
MFA_CODE_MAX_LENGTH = 32


class MfaCodeField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MFA_CODE_MAX_LENGTH)
        kwargs.setdefault(
            "help_text", "The 6-digit code the authenticator shows now, or a recovery code."
        )
        super().__init__(**kwargs)


class MfaStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(read_only=True)
    confirmed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    recovery_codes_remaining = serializers.IntegerField(read_only=True)


class TotpEnrolmentSerializer(serializers.Serializer):
    secret = serializers.CharField(
        read_only=True, help_text="The base32 shared secret, for typing into the app."
    )
    otpauth_uri = serializers.CharField(
        read_only=True, help_text="The `otpauth://totp/…` URI, to show as a QR code."
    )


class MfaCodeSerializer(InputSerializer):
    code = MfaCodeField()


class MfaPasswordCodeSerializer(InputSerializer):
    password = PasswordField()
    code = MfaCodeField()


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Ten single-use codes, shown only in this answer: keep them safe.",
    )


class LoginMfaSerializer(InputSerializer):
    challenge = serializers.CharField(max_length=512)
    code = MfaCodeField()
