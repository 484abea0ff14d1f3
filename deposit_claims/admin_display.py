"""Money in the console as on the public pages: ¥1,234.50, signed where it is a change."""

from django.contrib import admin
from django.utils.html import format_html

from deposit_claims.templatetags.ui import money, signed_money


def money_column(field_name: str, description, *, signed: bool = False):
    """An admin list/detail column showing `field_name` as money, right-aligned by admin.css."""
    show = signed_money if signed else money

    @admin.display(description=description, ordering=field_name)
    def column(self, obj):
        return format_html('<span class="money">{}</span>', show(getattr(obj, field_name)))

    column.__name__ = f"{field_name}_money"
    return column
