"""Who a user is changed: forget their cached identity (``accounts.auth_cache``).

Connected in ``AccountsConfig.ready``. Saves and deletions of users send Django's signals
from every path (services, the admin, ``QuerySet.delete``); ``UserQuerySet.update`` and
``bulk_update``, which send none, call ``users_changed`` themselves.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.auth_cache import roles_changed, users_changed
from accounts.models import User

_MEMBERSHIP_CHANGES = {"post_add", "post_remove", "pre_clear"}


def user_saved_or_deleted(sender, instance: User, **kwargs) -> None:
    users_changed([instance.pk])


def user_roles_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """A user's groups or own permissions changed, from either side of the relation."""
    if action not in _MEMBERSHIP_CHANGES:
        return
    if not reverse:
        users_changed([instance.pk])
    elif pk_set is not None:
        users_changed(pk_set)
    else:  # a group or permission cleared of all its users: they are read first
        users_changed(instance.user_set.values_list("pk", flat=True))


def group_permissions_changed(sender, action: str, **kwargs) -> None:
    if action in _MEMBERSHIP_CHANGES:
        roles_changed()


def role_deleted(sender, **kwargs) -> None:
    # The memberships go with it, by cascade, without m2m signals.
    roles_changed()


def connect() -> None:
    post_save.connect(user_saved_or_deleted, sender=User, dispatch_uid="auth_cache.user_saved")
    post_delete.connect(user_saved_or_deleted, sender=User, dispatch_uid="auth_cache.user_deleted")
    for relation in (User.groups.through, User.user_permissions.through):
        m2m_changed.connect(
            user_roles_changed, sender=relation, dispatch_uid=f"auth_cache.{relation.__name__}"
        )
    m2m_changed.connect(
        group_permissions_changed,
        sender=Group.permissions.through,
        dispatch_uid="auth_cache.group_permissions",
    )
    for model in (Group, Permission):
        post_delete.connect(
            role_deleted, sender=model, dispatch_uid=f"auth_cache.{model.__name__}"
        )
