from django.db import migrations

from accounts.roles import grant_permissions

# Least privilege: the console roles read stores and orders; nobody edits orders, which
# mirror the marketplace's order system. Consumers and merchant staff never use the console.
GRANTS = {
    "Reviewers": [
        "merchants.view_merchant",
        "merchants.view_merchantmember",
        "merchants.view_category",
        "merchants.view_order",
    ],
    "Senior reviewers": [
        "merchants.view_merchant",
        "merchants.view_merchantmember",
        "merchants.view_category",
        "merchants.view_order",
    ],
    "Finance": ["merchants.view_merchant", "merchants.view_order"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("merchants", "0002_default_categories"), ("accounts", "0002_role_groups")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
