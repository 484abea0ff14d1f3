from django.db import migrations

from accounts.roles import grant_permissions

# Senior reviewers see who is locked out of logging in and lift a lockout (delete the
# attempt); superusers can anyway.
GRANTS = {
    "Senior reviewers": [
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accessfailurelog",
    ],
}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_people_name_prefix_index"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
