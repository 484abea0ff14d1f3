from django.db import migrations

from accounts.roles import grant_permissions

CASE_FILE = [
    "disputes.view_complaint",
    "disputes.view_message",
    "disputes.view_evidence",
    "disputes.view_offer",
    "disputes.view_consumerstrike",
    "disputes.view_compensationrule",
    "disputes.view_deadlinepolicy",
]

# Reviewers read the whole case file; senior reviewers also set the rules and deadlines;
# finance sees the complaints behind the money it moves. Every state change goes through
# the services, never through an admin edit form.
GRANTS = {
    "Reviewers": CASE_FILE,
    "Senior reviewers": [
        *CASE_FILE,
        "disputes.add_compensationrule",
        "disputes.change_compensationrule",
        "disputes.add_deadlinepolicy",
        "disputes.change_deadlinepolicy",
    ],
    "Finance": ["disputes.view_complaint"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0002_default_rules_and_deadlines"),
        ("accounts", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
