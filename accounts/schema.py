from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class KeelJWTScheme(SimpleJWTScheme):
    """Document our JWT authentication subclass as the bearer scheme it is."""

    target_class = "accounts.authentication.JWTAuthentication"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """``Authorization: Api-Key <key>``, for scripts and services (accounts.api_keys)."""

    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Api-Key <key>`: a key made under /api/v1/auth/api-keys/, limited to its "
                "scopes (`items:read`, `files:write`, …). Resources only; the account's own "
                "endpoints refuse it (403 `insufficient_scope`)."
            ),
        }
