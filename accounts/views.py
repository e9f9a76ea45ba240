import uuid
from dataclasses import asdict
from typing import cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework_simplejwt.tokens import Token

from accounts import api_keys, email_change, serializers, services, sessions
from accounts.filters import UserFilter
from accounts.models import ApiKey, AuthSession, User
from accounts.permissions import ApiKeyScope, UserManagementPermission
from accounts.throttling import ACCOUNT_THROTTLES, SIGNED_IN_ACCOUNT_THROTTLES
from accounts.tokens import token_session_id

ACCEPTED_DETAIL = "If an account matches, an email is on its way."
EMAIL_CHANGE_ACCEPTED_DETAIL = "A confirmation link is on its way to the new address."
# Public endpoints that still answer 401: the credential in the body is wrong.
WRONG_CREDENTIALS = OpenApiResponse(
    description="No active account matches (`invalid_credentials`)."
)
DEAD_TOKEN = OpenApiResponse(
    description="The refresh token is invalid, expired or revoked, or its session has ended "
    "(`token_not_valid`)."
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


class LoginView(_ThrottledAuthView):
    serializer_class = serializers.LoginSerializer
    throttle_scope = "login"

    @extend_schema(responses={200: serializers.TokenPairSerializer, 401: WRONG_CREDENTIALS})
    def post(self, request):
        pair = services.user_login(**self.validated(request), client=_session_client(request))
        return Response(asdict(pair))


class TokenRefreshView(_PublicAuthView):
    serializer_class = serializers.RefreshTokenSerializer

    @extend_schema(responses={200: serializers.TokenPairSerializer, 401: DEAD_TOKEN})
    def post(self, request):
        raw_token = self.validated(request)["refresh"]
        pair = services.refresh_token_rotate(raw_token=raw_token, client=_session_client(request))
        return Response(asdict(pair))


class LogoutView(_PublicAuthView):
    """Revoke the refresh token and end its session (its access tokens stop working too)."""

    serializer_class = serializers.RefreshTokenSerializer

    @extend_schema(responses={204: None, 401: DEAD_TOKEN})
    def post(self, request):
        services.refresh_token_revoke(raw_token=self.validated(request)["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


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

    @extend_schema(responses={200: serializers.TokenPairSerializer})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.password_change(
            user=request.user,
            **serializer.validated_data,
            session_id=_session_id(request),
            client=_session_client(request),
        )
        return Response(asdict(pair))


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
