from django.db import migrations

from accounts.roles import STAFF_GROUP, STAFF_PERMISSIONS, grant_to_group


def create_roles(apps, schema_editor):
    grant_to_group(apps, STAFF_GROUP, STAFF_PERMISSIONS, using=schema_editor.connection.alias)


def remove_roles(apps, schema_editor):
    groups = apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias)
    groups.filter(name=STAFF_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
