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
        if request.method in SAFE_METHODS or obj.owner_id == request.user.pk:
            return True
        action = self.actions_by_method.get(request.method)
        return action is not None and request.user.has_perm(model_permission(type(obj), action))
