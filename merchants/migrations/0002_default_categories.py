from django.db import migrations

# (code, Chinese name, English name, deposit group) — the groups of PRODUCT.md's tiers.
CATEGORIES = [
    ("apparel", "服饰鞋包", "Apparel, shoes and bags", "general"),
    ("digital", "数码家电", "Electronics and appliances", "general"),
    ("beauty", "美妆个护", "Beauty and personal care", "general"),
    ("food", "食品生鲜", "Food and groceries", "general"),
    ("home", "家居家装", "Home and furnishing", "general"),
    ("books-av", "图书音像", "Books and audio-video", "books_av"),
    ("local-services", "生活服务", "Local services", "services"),
    ("e-tickets", "电子票务", "E-tickets", "services"),
    ("games", "游戏点卡", "Games and game cards", "services"),
    ("telecom-topup", "话费充值", "Telecom top-up", "services"),
    ("travel", "旅游度假", "Travel", "services"),
    ("otc-drugs", "OTC药品", "OTC drugs", "medical"),
    ("medical-devices", "医疗器械", "Medical devices", "medical"),
    ("health-services", "医疗健康服务", "Health services", "medical"),
    ("new-cars", "新车", "New cars", "cars"),
    ("used-cars", "二手车", "Used cars", "cars"),
]


def create_categories(apps, schema_editor):
    Category = apps.get_model("merchants", "Category")
    for code, name, name_en, group in CATEGORIES:
        Category.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "deposit_group": group}
        )


class Migration(migrations.Migration):
    dependencies = [("merchants", "0001_initial")]

    operations = [migrations.RunPython(create_categories, migrations.RunPython.noop)]
