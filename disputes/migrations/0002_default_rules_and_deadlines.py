from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import migrations

# In force for every order ever paid: PRODUCT.md's defaults, carried by the model fields.
SINCE = datetime(2000, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))


def create_defaults(apps, schema_editor):
    for model_name in ("CompensationRule", "DeadlinePolicy"):
        apps.get_model("disputes", model_name).objects.get_or_create(effective_from=SINCE)


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
