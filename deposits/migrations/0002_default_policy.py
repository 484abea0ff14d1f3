from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import migrations

# The defaults of PRODUCT.md. A category group's tiers replace the general ones for that
# group; the highest applicable amount wins. (group, store type, trademark, mall flagship, ¥)
DEFAULT_TIERS = [
    ("general", "flagship", "R", False, "50000"),
    ("general", "flagship", "TM", False, "100000"),
    ("general", "specialty", "R", False, "50000"),
    ("general", "specialty", "TM", False, "100000"),
    ("general", "franchise", "R", False, "100000"),
    ("general", "franchise", "TM", False, "150000"),
    ("general", "flagship", "", True, "150000"),
    ("books_av", "flagship", "", False, "50000"),
    ("books_av", "specialty", "", False, "50000"),
    ("books_av", "franchise", "", False, "100000"),
    ("services", "", "", False, "10000"),
    ("medical", "", "", False, "300000"),
    ("cars", "", "", False, "100000"),
]
# In force since before any store opened, so there is nothing to recompute when it loads.
SINCE = datetime(2000, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))


def create_default_policy(apps, schema_editor):
    DepositPolicy = apps.get_model("deposits", "DepositPolicy")
    DepositTier = apps.get_model("deposits", "DepositTier")
    policy, created = DepositPolicy.objects.get_or_create(
        effective_from=SINCE, defaults={"name": "Default tiers", "applied_at": SINCE}
    )
    if created:
        DepositTier.objects.bulk_create(
            DepositTier(
                policy=policy,
                category_group=group,
                store_type=store_type,
                trademark_type=trademark,
                mall_flagship_only=mall_flagship,
                amount=Decimal(amount),
            )
            for group, store_type, trademark, mall_flagship, amount in DEFAULT_TIERS
        )


class Migration(migrations.Migration):
    dependencies = [("deposits", "0001_initial")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
