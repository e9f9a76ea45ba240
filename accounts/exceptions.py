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
