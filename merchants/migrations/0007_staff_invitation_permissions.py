from django.db import migrations

from accounts.roles import grant_permissions

# Reviewers read a store's staff on its page in the console, invitations included (who
# invited whom, with which grants); owners alone invite, in the seller dashboard.
GRANTS = {
    "Reviewers": ["merchants.view_staffinvitation"],
    "Senior reviewers": ["merchants.view_staffinvitation"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0006_staff_grants_and_invitations"),
        ("accounts", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
