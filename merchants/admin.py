from django.contrib import admin

from .models import Category, Merchant, MerchantMember, Order


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "deposit_group")
    list_filter = ("deposit_group",)
    search_fields = ("code", "name", "name_en")


class MerchantMemberInline(admin.TabularInline):
    model = MerchantMember
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "company", "store_type", "trademark_type", "status")
    list_filter = ("status", "store_type", "trademark_type", "mall_flagship", "categories")
    search_fields = ("name", "code", "company")
    filter_horizontal = ("categories",)
    inlines = [MerchantMemberInline]


@admin.register(MerchantMember)
class MerchantMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "merchant", "role", "added_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__display_name", "merchant__name", "merchant__code")
    list_select_related = ("user", "merchant")
    autocomplete_fields = ("user", "merchant")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("order_number", "merchant", "consumer", "item_title", "goods_amount", "paid_at")
    list_filter = ("merchant__store_type", "paid_at", "completed_at")
    search_fields = ("order_number", "item_title", "consumer__username", "merchant__name")
    list_select_related = ("merchant", "consumer")
    date_hierarchy = "paid_at"
    raw_id_fields = ("consumer", "merchant")

    # Orders mirror the marketplace's order system and change only through import_orders.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
