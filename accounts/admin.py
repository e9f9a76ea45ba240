import math
from collections.abc import Sequence

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError

from accounts import api_keys, mfa, services
from accounts.models import ApiKey, AuthSession, User
from accounts.serializers import MFA_CODE_MAX_LENGTH
from accounts.throttling import AccountThrottle, AdminAccountThrottle, ClientIPThrottle
from config.api.exceptions import ApplicationError


class _LoginThrottleView:
    """The API login's throttle scope: admin and API attempts share their counters."""

    throttle_scope = "login"


class _MfaThrottleView:
    throttle_scope = "mfa"

    def __init__(self, user: User):
        self.user = user

    def throttle_account(self, request) -> str:
        return str(self.user.pk)


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login, held to the API login's rules.

    Throttled by the very counters of ``POST /api/v1/auth/login/`` (per client IP and per
    account), so the admin is no way around them; a throttled attempt is refused before
    the password is even checked. Staff with an authenticator give its code (or a
    recovery code) too, and with ``MFA_REQUIRED_FOR_STAFF`` staff without one are refused.
    """

    otp_code = forms.CharField(
        label="Two-factor code",
        required=False,
        max_length=MFA_CODE_MAX_LENGTH,
        help_text="If you have turned on two-factor authentication.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def clean(self):
        _refuse_if_throttled(
            self.request, [ClientIPThrottle(), AdminAccountThrottle()], _LoginThrottleView
        )
        cleaned = super().clean()
        if self.user_cache is not None:
            self._check_second_factor(self.user_cache)
        return cleaned

    def _check_second_factor(self, user: User) -> None:
        if not mfa.mfa_enabled(user):
            if settings.MFA_REQUIRED_FOR_STAFF:
                raise ValidationError(
                    "This admin requires two-factor authentication: turn it on for your "
                    "account first (POST /api/v1/auth/mfa/totp/).",
                    code="mfa_not_enabled",
                )
            return
        code = self.cleaned_data.get("otp_code", "")
        if not code:
            raise ValidationError("Enter the code from your authenticator.", code="mfa_required")
        _refuse_if_throttled(self.request, [AccountThrottle()], _MfaThrottleView(user))
        try:
            mfa.second_factor_verify(user=user, code=code)
        except ApplicationError as error:
            raise ValidationError(error.detail, code=error.code) from error


def _refuse_if_throttled(request, throttles: list, view: object) -> None:
    refused = [throttle for throttle in throttles if not throttle.allow_request(request, view)]
    if refused:
        wait = math.ceil(max(throttle.wait() for throttle in refused))
        raise ValidationError(
            "Too many login attempts. Try again in %(wait)d seconds.",
            code="throttled",
            params={"wait": wait},
        )


admin.site.login_form = AdminLoginForm


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class EmailVerifiedFilter(admin.SimpleListFilter):
    title = "email verified"
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in {"yes", "no"}:
            return queryset.filter(email_verified_at__isnull=self.value() == "no")
        return queryset


SESSION_FIELDS = ("created_at", "last_used_at", "ip", "user_agent", "expires_at", "ended_at")


class AuthSessionInline(admin.TabularInline):
    """The user's sessions, newest use first, to look at: they are ended through the API."""

    model = AuthSession
    fields = readonly_fields = SESSION_FIELDS
    extra = 0
    can_delete = False
    verbose_name_plural = "sessions (ended and expired ones until their clean-up)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = [
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "email_verified",
        "date_joined",
    ]
    list_filter = ["is_active", "is_staff", "is_superuser", EmailVerifiedFilter, "groups"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    readonly_fields = ["id", "date_joined", "last_login"]
    actions = ["deactivate_and_revoke_tokens", "reset_two_factor"]
    inlines = [AuthSessionInline]
    fieldsets = [
        (None, {"fields": ["id", "email", "password", "two_factor"]}),
        ("Profile", {"fields": ["first_name", "last_name", "email_verified_at"]}),
        (
            "Role",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["date_joined", "last_login"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "usable_password", "password1", "password2"],
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Staff who may only view get the password's state, not the "Reset password"
        # button of Django's widget, which would lead them to a 403.
        return [
            (name, {**options, "fields": [_viewable(field) for field in options["fields"]]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "password_state", "two_factor"]

    @admin.display(description="two-factor")
    def two_factor(self, user: User) -> str:
        status = mfa.mfa_status(user)
        if not status.enabled:
            return "off"
        left = status.recovery_codes_remaining
        return f"on since {status.confirmed_at:%Y-%m-%d}, {left} recovery codes left"

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a user being added has no sessions

    @admin.display(description="password")
    def password_state(self, user: User) -> str:
        return "set" if user.has_usable_password() else "not set (no password login)"

    def delete_model(self, request, obj):
        services.user_remove(user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.user_remove(user=user)

    @admin.display(boolean=True, description="verified")
    def email_verified(self, user: User) -> bool:
        return user.email_verified

    @admin.action(description="Deactivate and revoke their tokens", permissions=["change"])
    def deactivate_and_revoke_tokens(self, request, queryset):
        for user in queryset:
            services.user_set_active(user=user, is_active=False)
        self.message_user(
            request,
            f"Deactivated {len(queryset)} user(s) and revoked their tokens.",
            messages.SUCCESS,
        )

    @admin.action(
        description="Turn off two-factor (lost authenticator and recovery codes)",
        permissions=["change"],
    )
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            mfa.mfa_reset(user=user)
        self.message_user(
            request, f"Turned off two-factor for {len(queryset)} user(s).", messages.SUCCESS
        )


def _viewable(field: str | Sequence[str]) -> str | Sequence[str]:
    """A fieldset entry (a field, or a row of them) as view-only staff see it."""
    return "password_state" if field == "password" else field


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made through the API (the key is shown once there); staff see and revoke."""

    list_display = ["prefix", "name", "user", "scopes", "created_at", "last_used_at",
                    "expires_at", "revoked_at"]  # fmt: skip
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["prefix", "name", "user__email"]
    list_select_related = ["user"]
    readonly_fields = [
        field.name for field in ApiKey._meta.fields if field.name not in {"name", "secret_digest"}
    ]
    exclude = ["secret_digest"]
    actions = ["revoke"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_keys.api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {len(queryset)} API key(s).", messages.SUCCESS)
