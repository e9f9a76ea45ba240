import uuid
from dataclasses import asdict
from typing import cast

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework_simplejwt.tokens import Token

from accounts import api_keys, cookies, email_change, mfa, serializers, services, sessions
from accounts.exceptions import InvalidToken
from accounts.filters import UserFilter
from accounts.models import ApiKey, AuthSession, User
from accounts.permissions import ApiKeyScope, UserManagementPermission
from accounts.throttling import ACCOUNT_THROTTLES, SIGNED_IN_ACCOUNT_THROTTLES
from accounts.tokens import token_session_id

ACCEPTED_DETAIL = "If an account matches, an email is on its way."
EMAIL_CHANGE_ACCEPTED_DETAIL = "A confirmation link is on its way to the new address."
# Public endpoints that still answer 401: the credential in the body is wrong.
DEAD_TOKEN = OpenApiResponse(
    description="The refresh token is invalid, expired or revoked, or its session has ended "
    "(`token_not_valid`)."
)
LOGIN_REFUSED = OpenApiResponse(
    description="No active account matches (`invalid_credentials`), or the password was "
    "right and the account has two-factor on (`mfa_required`, with a `challenge` member "
    "for `POST /api/v1/auth/login/mfa/`)."
)
SECOND_FACTOR_REFUSED = OpenApiResponse(
    description="The challenge is invalid or expired (`mfa_challenge_invalid`, "
    "`mfa_challenge_expired`: log in again), or the code is wrong, expired or already used "
    "(`mfa_code_invalid`, `mfa_code_expired`, `mfa_code_reused`, `recovery_code_used`)."
)
CSRF_REFUSED = OpenApiResponse(
    description="Cookie mode without the CSRF token, or from an untrusted origin (`csrf_failed`)."
)
MFA_STATE_CONFLICT = OpenApiResponse(
    description="Two-factor is not in the state this needs (`mfa_already_enabled`, "
    "`mfa_not_enabled`, `mfa_not_enrolling`)."
)

# The account's own endpoints refuse API keys (ApiKeyScope: they name no resource).
LOGIN_ONLY = OpenApiResponse(
    description="Made with an API key (`insufficient_scope`): this takes a login."
)

# DRF's reading of the client address (NUM_PROXIES decides how far X-Forwarded-For is
# trusted), as the throttles and the access log read it.
_client_address = BaseThrottle().get_ident


def _session_client(request) -> sessions.SessionClient:
    """Where the request comes from, for the session it starts or continues."""
    return sessions.SessionClient(
        ip=_client_address(request), user_agent=request.headers.get("User-Agent", "")
    )


def _session_id(request) -> uuid.UUID | None:
    """The session of the access token the request came with; None for other credentials."""
    token = getattr(request, "auth", None)
    return token_session_id(token) if isinstance(token, Token) else None


class _PublicAuthView(generics.GenericAPIView):
    """An account endpoint for anonymous callers (the body carries the credential)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def validated(self, request) -> dict:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class _ThrottledAuthView(_PublicAuthView):
    """Also throttled per client IP and per account (``throttle_scope``)."""

    throttle_classes = ACCOUNT_THROTTLES


class RegisterView(_ThrottledAuthView):
    serializer_class = serializers.UserRegisterSerializer
    throttle_scope = "register"

    @extend_schema(responses={201: serializers.UserSerializer})
    def post(self, request):
        user = services.user_register(**self.validated(request))
        return Response(serializers.UserSerializer(user).data, status=status.HTTP_201_CREATED)


TRANSPORT = OpenApiParameter(
    cookies.TRANSPORT_HEADER,
    str,
    OpenApiParameter.HEADER,
    enum=["cookie"],
    description="`cookie`: answer the refresh token as an HttpOnly cookie, not in the body.",
)


class LoginView(_ThrottledAuthView):
    serializer_class = serializers.LoginSerializer
    throttle_scope = "login"

    @extend_schema(
        parameters=[TRANSPORT],
        responses={200: serializers.TokenPairSerializer, 401: LOGIN_REFUSED},
    )
    def post(self, request):
        pair = services.user_login(**self.validated(request), client=_session_client(request))
        return cookies.token_pair_response(request, pair, cookie=cookies.wants_cookie(request))


class LoginMfaView(_ThrottledAuthView):
    """A two-factor login's second step: the challenge and a code, for the token pair."""

    serializer_class = serializers.LoginMfaSerializer
    throttle_scope = "mfa"

    def throttle_account(self, request) -> str | None:
        challenge = request.data.get("challenge") if hasattr(request.data, "get") else None
        return mfa.challenge_user_id(challenge) if isinstance(challenge, str) else None

    @extend_schema(
        parameters=[TRANSPORT],
        responses={200: serializers.TokenPairSerializer, 401: SECOND_FACTOR_REFUSED},
    )
    def post(self, request):
        pair = services.user_login_mfa(**self.validated(request), client=_session_client(request))
        return cookies.token_pair_response(request, pair, cookie=cookies.wants_cookie(request))


class _RefreshTokenView(_PublicAuthView):
    """Takes a refresh token from the body, or in cookie mode from the refresh cookie."""

    serializer_class = serializers.RefreshTokenOrCookieSerializer

    def refresh_token(self, request) -> tuple[str, bool]:
        """The token, and whether it came from the cookie (which passed the CSRF check)."""
        raw_token = self.validated(request).get("refresh")
        if raw_token:
            return raw_token, False
        raw_token = cookies.refresh_token_from_cookie(request)
        if raw_token is None:
            raise ValidationError(
                {"refresh": [ErrorDetail("This field is required.", code="required")]}
            )
        return raw_token, True


class TokenRefreshView(_RefreshTokenView):
    @extend_schema(
        parameters=[TRANSPORT],
        responses={200: serializers.TokenPairSerializer, 401: DEAD_TOKEN, 403: CSRF_REFUSED},
    )
    def post(self, request):
        raw_token, from_cookie = self.refresh_token(request)
        pair = services.refresh_token_rotate(raw_token=raw_token, client=_session_client(request))
        cookie = from_cookie or cookies.wants_cookie(request)
        return cookies.token_pair_response(request, pair, cookie=cookie)


class LogoutView(_RefreshTokenView):
    """Revoke the refresh token and end its session (its access tokens stop working too)."""

    @extend_schema(responses={204: None, 401: DEAD_TOKEN, 403: CSRF_REFUSED})
    def post(self, request):
        """Revoke the refresh token. In cookie mode the cookie is cleared, and a cookie
        whose token is already dead is logged out all the same (204): the browser cannot
        see it, so a 401 would leave it nothing to do."""
        raw_token, from_cookie = self.refresh_token(request)
        try:
            services.refresh_token_revoke(raw_token=raw_token)
        except InvalidToken:
            if not from_cookie:
                raise
        response = Response(status=status.HTTP_204_NO_CONTENT)
        return cookies.refresh_cookie_clear(response) if from_cookie else response


class LogoutEverywhereView(generics.GenericAPIView):
    """End every session of the account, this one included."""

    serializer_class = None

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.user_tokens_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(generics.GenericAPIView):
    serializer_class = serializers.UserSerializer

    def get(self, request):
        return Response(self.get_serializer(request.user).data)

    @extend_schema(
        description="Change `first_name` / `last_name`. An `email` is refused (400, "
        "`email_change_required` on `email`): it changes through "
        "`POST /api/v1/auth/email/change/`.",
        request=serializers.UserProfileUpdateSerializer,
        responses={200: serializers.UserSerializer},
    )
    def patch(self, request):
        serializer = serializers.UserProfileUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, data=serializer.validated_data)
        return Response(self.get_serializer(user).data)

    @extend_schema(request=serializers.UserDeleteSerializer, responses={204: None})
    def delete(self, request):
        serializer = serializers.UserDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_delete(user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(generics.GenericAPIView):
    """Change the password: every other session ends; this one goes on with a fresh pair."""

    serializer_class = serializers.PasswordChangeSerializer

    @extend_schema(parameters=[TRANSPORT], responses={200: serializers.TokenPairSerializer})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.password_change(
            user=request.user,
            **serializer.validated_data,
            session_id=_session_id(request),
            client=_session_client(request),
        )
        return cookies.token_pair_response(request, pair, cookie=cookies.wants_cookie(request))


class PasswordResetView(_ThrottledAuthView):
    serializer_class = serializers.EmailSerializer
    throttle_scope = "password_reset"

    @extend_schema(responses={202: serializers.AcceptedSerializer})
    def post(self, request):
        services.password_reset_request(**self.validated(request))
        return Response({"detail": ACCEPTED_DETAIL}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(_PublicAuthView):
    serializer_class = serializers.PasswordResetConfirmSerializer

    @extend_schema(responses={204: None})
    def post(self, request):
        services.password_reset_confirm(**self.validated(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerifyView(_PublicAuthView):
    serializer_class = serializers.EmailVerifySerializer

    @extend_schema(responses={200: serializers.UserSerializer})
    def post(self, request):
        user = services.email_verify(**self.validated(request))
        return Response(serializers.UserSerializer(user).data)


class EmailVerifyResendView(_ThrottledAuthView):
    serializer_class = serializers.EmailSerializer
    throttle_scope = "verification"

    @extend_schema(responses={202: serializers.AcceptedSerializer})
    def post(self, request):
        services.email_verification_resend(**self.validated(request))
        return Response({"detail": ACCEPTED_DETAIL}, status=status.HTTP_202_ACCEPTED)


class EmailChangeView(generics.GenericAPIView):
    """Ask to change the email: a link goes to the new address, a notice to the current one.

    Nothing changes until the link is used. Throttled per client IP and per account.
    """

    serializer_class = serializers.EmailChangeSerializer
    throttle_classes = SIGNED_IN_ACCOUNT_THROTTLES
    throttle_scope = "email_change"

    @extend_schema(
        responses={
            202: serializers.AcceptedSerializer,
            400: OpenApiResponse(
                description="`validation_error`: the password is wrong (`wrong_password` on "
                "`password`), the address is the current one (`email_unchanged` on "
                "`new_email`) or malformed; or `email_taken`: another account has it."
            ),
            403: LOGIN_ONLY,
        }
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email_change.email_change_request(
            user=request.user, **serializer.validated_data, session_id=_session_id(request)
        )
        return Response({"detail": EMAIL_CHANGE_ACCEPTED_DETAIL}, status=status.HTTP_202_ACCEPTED)


class EmailChangeConfirmView(_PublicAuthView):
    """Confirm an email change with the link's `uid` and `token` (from any browser).

    The address is set and verified; every session but the one that asked ends.
    """

    serializer_class = serializers.EmailChangeConfirmSerializer

    @extend_schema(
        responses={
            200: serializers.UserSerializer,
            400: OpenApiResponse(
                description="`email_change_token_invalid` (tampered, or used already), "
                "`email_change_token_expired`, `email_taken` (another account has the "
                "address now), or `validation_error`."
            ),
        }
    )
    def post(self, request):
        user = email_change.email_change_confirm(**self.validated(request))
        return Response(serializers.UserSerializer(user).data)


class _MfaCodeView(generics.GenericAPIView):
    """An endpoint that checks a code: throttled per client IP and per account, in the
    counters of the login's second step."""

    throttle_classes = SIGNED_IN_ACCOUNT_THROTTLES
    throttle_scope = "mfa"

    def validated(self, request) -> dict:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class MfaStatusView(generics.GenericAPIView):
    serializer_class = serializers.MfaStatusSerializer

    def get(self, request):
        """Whether two-factor is on, and how many recovery codes are left."""
        return Response(self.get_serializer(asdict(mfa.mfa_status(request.user))).data)


class TotpView(_MfaCodeView):
    serializer_class = serializers.MfaPasswordCodeSerializer

    def get_throttles(self):
        if self.request.method == "POST":  # enrolling checks no code: the usual rates
            # DRF has imported the setting's dotted paths: they are classes by now.
            defaults = cast(list[type[BaseThrottle]], api_settings.DEFAULT_THROTTLE_CLASSES)
            return [throttle() for throttle in defaults]
        return super().get_throttles()

    @extend_schema(
        request=None,
        responses={201: serializers.TotpEnrolmentSerializer, 409: MFA_STATE_CONFLICT},
    )
    def post(self, request):
        """Start enrolling an authenticator: its secret, shown once; confirm with a code."""
        device = mfa.totp_enrol(user=request.user)
        body = {"secret": device.secret, "otpauth_uri": mfa.totp_provisioning_uri(device)}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.MfaPasswordCodeSerializer,
        responses={204: None, 409: MFA_STATE_CONFLICT},
    )
    def delete(self, request):
        """Turn two-factor off: the password and a code (or a recovery code)."""
        mfa.mfa_disable(user=request.user, **self.validated(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpConfirmView(_MfaCodeView):
    serializer_class = serializers.MfaCodeSerializer

    @extend_schema(responses={200: serializers.RecoveryCodesSerializer, 409: MFA_STATE_CONFLICT})
    def post(self, request):
        """Turn two-factor on with a first code; answers ten recovery codes, shown once."""
        codes = mfa.totp_confirm(user=request.user, **self.validated(request))
        return Response({"recovery_codes": codes})


class RecoveryCodesView(_MfaCodeView):
    serializer_class = serializers.MfaPasswordCodeSerializer

    @extend_schema(responses={200: serializers.RecoveryCodesSerializer, 409: MFA_STATE_CONFLICT})
    def post(self, request):
        """Ten new recovery codes (the old ones stop working): the password and a code."""
        codes = mfa.recovery_codes_regenerate(user=request.user, **self.validated(request))
        return Response({"recovery_codes": codes})


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff-only user management, guarded by the ``accounts.*_user`` permissions."""

    serializer_class = serializers.UserAdminSerializer
    permission_classes = [IsAuthenticated, ApiKeyScope, UserManagementPermission]
    filterset_class = UserFilter

    def get_queryset(self):
        return User.objects.prefetch_related("groups")

    @extend_schema(request=None, responses={200: serializers.UserAdminSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        user = services.user_set_active(user=self.get_object(), is_active=True)
        return Response(self.get_serializer(user).data)

    @extend_schema(request=None, responses={200: serializers.UserAdminSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        user = services.user_set_active(user=self.get_object(), is_active=False)
        return Response(self.get_serializer(user).data)


class ApiKeyViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your API keys, for scripts and services: create, list, revoke.

    Managed with a login (a bearer token) only: an API key is refused here, so a leaked
    one cannot make more. Staff with ``accounts.change_apikey`` see and revoke everyone's.
    """

    serializer_class = serializers.ApiKeySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, with no user
            return ApiKey.objects.none()
        # IsAuthenticated has let the request in: its user is a User.
        return ApiKey.objects.visible_to(cast(User, self.request.user))

    @extend_schema(
        request=serializers.ApiKeyCreateSerializer,
        responses={201: serializers.ApiKeyCreatedSerializer},
    )
    def create(self, request):
        data = serializers.ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        api_key, key = api_keys.api_key_create(user=request.user, **data.validated_data)
        body = {**serializers.ApiKeySerializer(api_key).data, "key": key}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Revoke the key: it is refused from now on, and stays listed as revoked."""
        api_keys.api_key_revoke(api_key=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuthSessionViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your sessions: one per login, newest use first; end any of them.

    A session is live until it is ended or its refresh token expires; ended and expired
    ones are not listed. Like the API keys, managed with a login only: an API key is
    refused here.
    """

    serializer_class = serializers.AuthSessionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, with no user
            return AuthSession.objects.none()
        # IsAuthenticated has let the request in: its user is a User.
        return AuthSession.objects.owned_by(cast(User, self.request.user)).live()

    def get_serializer_context(self):
        return {
            **super().get_serializer_context(),
            "current_session_id": _session_id(self.request),
        }

    @extend_schema(responses={200: serializers.AuthSessionSerializer(many=True), 403: LOGIN_ONLY})
    def list(self, request):
        return super().list(request)

    @extend_schema(
        responses={
            204: None,
            403: LOGIN_ONLY,
            404: OpenApiResponse(
                description="No live session of yours has this id (`not_found`)."
            ),
        }
    )
    def destroy(self, request, pk=None):
        """End the session: its refresh and access tokens are refused from now on."""
        sessions.auth_session_end(session_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
