from django.db import migrations

from accounts.roles import grant_permissions

# Least privilege. Finance moves money in and out; senior reviewers set the policy and
# correct the ledger; reviewers read the deposit behind the claims they decide.
GRANTS = {
    "Finance": [
        "deposits.view_depositaccount",
        "deposits.view_ledgerentry",
        "deposits.view_disbursement",
        "deposits.record_pay_in",
        "deposits.send_disbursement",
    ],
    "Senior reviewers": [
        "deposits.add_depositpolicy",
        "deposits.change_depositpolicy",
        "deposits.view_depositpolicy",
        "deposits.add_deposittier",
        "deposits.change_deposittier",
        "deposits.delete_deposittier",
        "deposits.view_deposittier",
        "deposits.view_depositaccount",
        "deposits.view_ledgerentry",
        "deposits.view_disbursement",
        "deposits.adjust_ledger",
    ],
    "Reviewers": ["deposits.view_depositaccount", "deposits.view_ledgerentry"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("deposits", "0002_default_policy"), ("accounts", "0002_role_groups")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
