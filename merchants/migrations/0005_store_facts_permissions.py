from django.db import migrations

from accounts.roles import grant_permissions

# Store facts set the required deposit, so only senior reviewers change them, as they set
# the deposit policy. Reviewers read the history on the store page; finance keeps to
# stores and orders.
GRANTS = {
    "Senior reviewers": ["merchants.change_store_facts", "merchants.view_storefactchange"],
    "Reviewers": ["merchants.view_storefactchange"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("merchants", "0004_store_fact_change"), ("accounts", "0002_role_groups")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
