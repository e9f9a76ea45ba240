from rest_framework.permissions import BasePermission

# Reading users needs the view permission; every other action changes a user.
_READ_ACTIONS = {"list", "retrieve"}


class UserManagementPermission(BasePermission):
    """Staff may read users with ``accounts.view_user`` and change them with ``change_user``."""

    def has_permission(self, request, view) -> bool:
        needed = "accounts.view_user" if view.action in _READ_ACTIONS else "accounts.change_user"
        return request.user.has_perm(needed)
