from rest_framework.permissions import SAFE_METHODS, BasePermission

from resources.models import model_permission


class OwnerOrModelPermission(BasePermission):
    """Owners may change their objects; anyone else needs the model's change/delete permission.

    Reading is decided earlier, by ``visible_to``: what a user may not read is a 404.
    Like DRF's ``DjangoModelPermissions.perms_map``, the table names the model's own
    permission codenames per method; an action that changes an object (``POST`` on a
    detail route) needs ``change``.
    """

    actions_by_method = {"POST": "change", "PUT": "change", "PATCH": "change", "DELETE": "delete"}

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        action = self.actions_by_method.get(request.method)
        return action is not None and may_write(request.user, obj, action)


def may_write(user, obj, action: str) -> bool:
    """Whether ``user`` may ``change`` or ``delete`` ``obj``: its owner, or with the permission.

    The one rule of REST's ``OwnerOrModelPermission`` and the GraphQL mutations alike.
    """
    return obj.owner_id == user.pk or user.has_perm(model_permission(type(obj), action))
