"""The roles of Keel, as Django groups with model permissions.

- member: any active user; no group, no permissions; sees and changes only their own data.
- staff: ``is_staff`` (the admin site) plus the "Staff" group: read access to everyone's
  data through the ``view_*`` permissions.
- superuser: ``is_superuser``; every permission.

STAFF_PERMISSIONS are the ones accounts grants itself (``migrations/0002_roles``). Every
owned resource grants the Staff group its own ``view_*`` permission in a data migration
of its own that calls ``grant_to_group`` (``items/migrations/0002_staff_can_view_items``;
``startresource`` generates one).
"""

STAFF_GROUP = "Staff"
STAFF_PERMISSIONS = [("accounts", "view_user")]


def grant_to_group(
    apps, group_name: str, permissions: list[tuple[str, str]], *, using: str
) -> None:
    """Data-migration helper: give a group permissions, creating both if needed.

    ``using`` is the database being migrated (``schema_editor.connection.alias``): every
    read and write goes there, never where a database router would send it (a replica).
    """
    from django.contrib.auth.management import create_permissions

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Permissions are normally created after all migrations ran; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None
    group, _ = Group.objects.using(using).get_or_create(name=group_name)
    for app_label, codename in permissions:
        group.permissions.add(
            Permission.objects.using(using).get(
                content_type__app_label=app_label, codename=codename
            )
        )
