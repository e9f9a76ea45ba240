from rest_framework.permissions import SAFE_METHODS, BasePermission

_PERMISSION_FOR_METHOD = {
    "PUT": "items.change_item",
    "PATCH": "items.change_item",
    "DELETE": "items.delete_item",
}


class IsOwnerOrHasModelPermission(BasePermission):
    """Owners may do anything to their items; others need the matching model permission."""

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS or obj.owner_id == request.user.pk:
            return True
        needed = _PERMISSION_FOR_METHOD.get(request.method)
        return needed is not None and request.user.has_perm(needed)
