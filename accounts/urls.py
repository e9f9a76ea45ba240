from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts import views

app_name = "accounts"

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("auth/api-keys", views.ApiKeyViewSet, basename="api-key")
router.register("auth/sessions", views.AuthSessionViewSet, basename="session")

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("auth/login/", views.LoginView.as_view(), name="login"),
    path("auth/login/mfa/", views.LoginMfaView.as_view(), name="login-mfa"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    # Logout's address under the refresh cookie's path, so cookie mode can log out too.
    path("auth/token/revoke/", views.LogoutView.as_view(), name="token-revoke"),
    path("auth/logout/everywhere/", views.LogoutEverywhereView.as_view(), name="logout-all"),
    path("auth/me/", views.MeView.as_view(), name="me"),
    path("auth/password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("auth/password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "auth/password/reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("auth/email/verify/", views.EmailVerifyView.as_view(), name="email-verify"),
    path(
        "auth/email/verify/resend/",
        views.EmailVerifyResendView.as_view(),
        name="email-verify-resend",
    ),
    path("auth/email/change/", views.EmailChangeView.as_view(), name="email-change"),
    path(
        "auth/email/change/confirm/",
        views.EmailChangeConfirmView.as_view(),
        name="email-change-confirm",
    ),
    path("auth/mfa/", views.MfaStatusView.as_view(), name="mfa"),
    path("auth/mfa/totp/", views.TotpView.as_view(), name="mfa-totp"),
    path("auth/mfa/totp/confirm/", views.TotpConfirmView.as_view(), name="mfa-totp-confirm"),
    path("auth/mfa/recovery-codes/", views.RecoveryCodesView.as_view(), name="mfa-recovery-codes"),
    *router.urls,
]
