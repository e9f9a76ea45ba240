from rest_framework_simplejwt import authentication

from config.logging import bind_user


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's authentication, also putting the user id on the request's log lines."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            bind_user(result[0].pk)
        return result
