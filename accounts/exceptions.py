"""The accounts app's domain errors; ``config.api.errors`` turns them into problem responses."""

from config.api.exceptions import ApplicationError


class InvalidCredentials(ApplicationError):
    status_code = 401
    code = "invalid_credentials"
    # One message for unknown email, wrong password and inactive account, so the
    # answer never tells whether an account exists.
    default_detail = "No active account matches this email and password."


class InvalidToken(ApplicationError):
    status_code = 401
    code = "token_not_valid"
    default_detail = "The token is invalid, expired or revoked."


class ResetTokenInvalid(ApplicationError):
    code = "reset_token_invalid"
    default_detail = "This password reset link is invalid or has already been used."


class ResetTokenExpired(ApplicationError):
    code = "reset_token_expired"
    default_detail = "This password reset link has expired; request a new one."


class VerificationTokenInvalid(ApplicationError):
    code = "verification_token_invalid"
    default_detail = "This verification link is invalid."


class VerificationTokenExpired(ApplicationError):
    code = "verification_token_expired"
    default_detail = "This verification link has expired; request a new one."


class EmailChangeTokenInvalid(ApplicationError):
    code = "email_change_token_invalid"
    default_detail = "This email change link is invalid or has already been used."


class EmailChangeTokenExpired(ApplicationError):
    code = "email_change_token_expired"
    default_detail = "This email change link has expired; ask for the change again."


class EmailTaken(ApplicationError):
    code = "email_taken"
    default_detail = "Another account has this email address."


class ApiKeyInvalid(ApplicationError):
    status_code = 401
    code = "api_key_invalid"
    default_detail = "This API key is malformed or unknown."


class ApiKeyRevoked(ApplicationError):
    status_code = 401
    code = "api_key_revoked"
    default_detail = "This API key was revoked."


class ApiKeyExpired(ApplicationError):
    status_code = 401
    code = "api_key_expired"
    default_detail = "This API key has expired."


class ApiKeyUserInactive(ApplicationError):
    status_code = 401
    code = "user_inactive"
    default_detail = "The account this API key belongs to is deactivated."


class InsufficientScope(ApplicationError):
    status_code = 403
    code = "insufficient_scope"
    default_detail = "This API key's scopes do not allow this request."


class MfaRequired(ApplicationError):
    status_code = 401
    code = "mfa_required"
    default_detail = (
        "This account has two-factor authentication: send the challenge and a code to "
        "/api/v1/auth/login/mfa/."
    )

    def __init__(self, *, challenge: str):
        super().__init__(members={"challenge": challenge})


class MfaChallengeInvalid(ApplicationError):
    status_code = 401
    code = "mfa_challenge_invalid"
    default_detail = "This login challenge is invalid; log in again."


class MfaChallengeExpired(ApplicationError):
    status_code = 401
    code = "mfa_challenge_expired"
    default_detail = "This login challenge has expired; log in again."


class MfaCodeInvalid(ApplicationError):
    status_code = 401
    code = "mfa_code_invalid"
    default_detail = "This code is not valid for this account."


class MfaCodeExpired(ApplicationError):
    status_code = 401
    code = "mfa_code_expired"
    default_detail = "This code has expired; enter the one your authenticator shows now."


class MfaCodeReused(ApplicationError):
    status_code = 401
    code = "mfa_code_reused"
    default_detail = "This code has already been used; wait for the next one."


class RecoveryCodeUsed(ApplicationError):
    status_code = 401
    code = "recovery_code_used"
    default_detail = "This recovery code has already been used."


class MfaAlreadyEnabled(ApplicationError):
    status_code = 409
    code = "mfa_already_enabled"
    default_detail = "Two-factor authentication is already on; disable it first."


class MfaNotEnabled(ApplicationError):
    status_code = 409
    code = "mfa_not_enabled"
    default_detail = "Two-factor authentication is not on for this account."


class MfaNotEnrolling(ApplicationError):
    status_code = 409
    code = "mfa_not_enrolling"
    default_detail = (
        "There is no authenticator to confirm: start with POST /api/v1/auth/mfa/totp/."
    )


class CsrfFailed(ApplicationError):
    status_code = 403
    code = "csrf_failed"
    default_detail = "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken."
