from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.exceptions import InsufficientScope
from accounts.models import ApiKey

# Reading users needs the view permission; every other action changes a user.
_READ_ACTIONS = {"list", "retrieve"}


class UserManagementPermission(BasePermission):
    """Staff may read users with ``accounts.view_user`` and change them with ``change_user``."""

    def has_permission(self, request, view) -> bool:
        needed = "accounts.view_user" if view.action in _READ_ACTIONS else "accounts.change_user"
        return request.user.has_perm(needed)


class ApiKeyScope(BasePermission):
    """A request made with an API key reaches only the resources its scopes name."""

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True
        resource = getattr(view, "api_scope", None)
        access = "read" if request.method in SAFE_METHODS else "write"
        if resource is None or not request.auth.allows(f"{resource}:{access}"):
            raise InsufficientScope()
        return True
