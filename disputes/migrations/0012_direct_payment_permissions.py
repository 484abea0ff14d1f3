from django.db import migrations

from accounts.roles import grant_permissions

# A settlement the merchant records as paid directly is read by every platform role: the
# reviewers weigh it when the consumer reports it unpaid, finance when money is traced.
GRANTS = {
    "Reviewers": ["disputes.view_directpayment"],
    "Senior reviewers": ["disputes.view_directpayment"],
    "Finance": ["disputes.view_directpayment"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0011_appeal_responded_by"),
        ("accounts", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
