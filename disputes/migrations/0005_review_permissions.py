from django.db import migrations

from accounts.roles import grant_permissions

DECISIONS = ["disputes.view_decision", "disputes.view_awardline"]
REVIEW_RECORDS = [
    *DECISIONS,
    "disputes.view_inforequest",
    "disputes.view_appeal",
    "disputes.view_holiday",
]

# Decisions, requests and appeals are written only by the complaint services, so every
# platform role reads them. Senior reviewers keep the public-holiday list the decision
# target counts working days with; finance sees the awards behind the payouts it sends.
GRANTS = {
    "Reviewers": REVIEW_RECORDS,
    "Senior reviewers": [
        *REVIEW_RECORDS,
        "disputes.add_holiday",
        "disputes.change_holiday",
        "disputes.delete_holiday",
    ],
    "Finance": DECISIONS,
}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0004_platform_review"),
        ("accounts", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
