from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class KeelJWTScheme(SimpleJWTScheme):
    """Document our JWT authentication subclass as the bearer scheme it is."""

    target_class = "accounts.authentication.JWTAuthentication"
