from django.core.exceptions import ValidationError
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User
from config.logging import bind_user


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's bearer authentication, in one query, tagging the request's logs.

    The user is loaded with a hint of whether they hold any group or permission; a
    member holding none gets an empty permission cache, so ``has_perm`` checks in
    ``visible_to`` cost no query on the hot path. Nothing is cached across requests,
    so a role change takes effect on the next request.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            bind_user(result[0].pk)
        return result

    def get_user(self, validated_token) -> User:
        try:
            user = User.objects.get_for_authentication(validated_token[api_settings.USER_ID_CLAIM])
        except (KeyError, ValueError, ValidationError) as error:
            raise InvalidToken("Token contained no recognizable user identification") from error
        except User.DoesNotExist as error:
            raise AuthenticationFailed("User not found", code="user_not_found") from error
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        revoke_claim = validated_token.get(api_settings.REVOKE_TOKEN_CLAIM)
        if revoke_claim != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                "The user's password has been changed.", code="password_changed"
            )
        if not user.has_roles:
            user.forget_permissions()
        return user
