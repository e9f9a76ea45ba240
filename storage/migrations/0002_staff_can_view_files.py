from django.db import migrations

from accounts.roles import STAFF_GROUP, grant_to_group


def grant(apps, schema_editor):
    grant_to_group(
        apps, STAFF_GROUP, [("storage", "view_storedfile")], using=schema_editor.connection.alias
    )


class Migration(migrations.Migration):
    dependencies = [
        ("storage", "0001_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
