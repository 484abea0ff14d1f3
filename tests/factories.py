"""A factory for every model. Each app's section keeps to itself."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts import roles as role_names
from accounts.models import User
from merchants.models import Category, Merchant, MerchantMember, Order

# --- accounts ---


def with_roles(*default_roles):
    """A post-generation hook adding groups; `roles=[...]` at call time overrides the default."""

    @factory.post_generation
    def roles(user, create, extracted, **kwargs):
        names = default_roles if extracted is None else extracted
        if create and names:
            user.groups.add(*Group.objects.filter(name__in=names))

    return roles


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.LazyAttribute(lambda u: u.username if "@" in u.username else "")
    display_name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password("pass-1234-word")
    roles = with_roles()


class ConsumerFactory(UserFactory):
    roles = with_roles(role_names.CONSUMERS)


class PlatformUserFactory(UserFactory):
    is_staff = True
    roles = with_roles(role_names.REVIEWERS)


# --- merchants ---


class CategoryFactory(DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"类目{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    deposit_group = Category.DepositGroup.GENERAL


class MerchantFactory(DjangoModelFactory[Merchant]):
    class Meta:
        model = Merchant
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"store-{n}")
    name = factory.Sequence(lambda n: f"测试旗舰店{n}")
    company = factory.Faker("company", locale="zh_CN")
    store_type = Merchant.StoreType.FLAGSHIP
    trademark_type = Merchant.TrademarkType.REGISTERED
    annual_sales = Decimal("1000000.00")


class MerchantMemberFactory(DjangoModelFactory[MerchantMember]):
    class Meta:
        model = MerchantMember

    user = factory.SubFactory(UserFactory, roles=(role_names.MERCHANT_STAFF,))
    merchant = factory.SubFactory(MerchantFactory)
    role = MerchantMember.Role.STAFF


class OrderFactory(DjangoModelFactory[Order]):
    class Meta:
        model = Order

    order_number = factory.Sequence(lambda n: f"ORD{100000 + n}")
    consumer = factory.SubFactory(ConsumerFactory)
    merchant = factory.SubFactory(MerchantFactory)
    item_title = "纯棉T恤"
    goods_amount = Decimal("199.00")
    postage = Decimal("10.00")
    paid_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    shipped_at = factory.LazyAttribute(lambda o: o.paid_at + timedelta(hours=20))
    delivered_at = factory.LazyAttribute(lambda o: o.shipped_at + timedelta(days=2))
    completed_at = factory.LazyAttribute(lambda o: o.delivered_at + timedelta(days=1))
