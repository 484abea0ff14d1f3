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


# --- deposits ---


class FinanceUserFactory(PlatformUserFactory):
    roles = with_roles(role_names.FINANCE)


class SeniorReviewerFactory(PlatformUserFactory):
    roles = with_roles(role_names.SENIOR_REVIEWERS)


class DepositPolicyFactory(DjangoModelFactory):
    class Meta:
        model = "deposits.DepositPolicy"

    name = factory.Sequence(lambda n: f"Deposit policy {n}")
    effective_from = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class DepositTierFactory(DjangoModelFactory):
    class Meta:
        model = "deposits.DepositTier"

    policy = factory.SubFactory(DepositPolicyFactory)
    category_group = Category.DepositGroup.GENERAL
    store_type = ""
    trademark_type = ""
    amount = Decimal("50000.00")


class DepositAccountFactory(DjangoModelFactory):
    """An account; `paid_in=Decimal(...)` funds it through the ledger, as a real pay-in would."""

    class Meta:
        model = "deposits.DepositAccount"
        skip_postgeneration_save = True

    merchant = factory.SubFactory(MerchantFactory)

    @factory.post_generation
    def paid_in(account, create, extracted, **kwargs):
        if create and extracted:
            from deposits import services

            services.record_pay_in(
                account=account,
                amount=extracted,
                reference=f"BANK-{account.merchant.code}",
                idempotency_key=f"factory-pay-in-{account.pk}",
            )


# --- disputes ---


class CompensationRuleFactory(DjangoModelFactory):
    class Meta:
        model = "disputes.CompensationRule"

    effective_from = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class DeadlinePolicyFactory(DjangoModelFactory):
    class Meta:
        model = "disputes.DeadlinePolicy"

    effective_from = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class ComplaintFactory(DjangoModelFactory):
    """A complaint just filed; move it on through `disputes.services`, as users would."""

    class Meta:
        model = "disputes.Complaint"

    order = factory.SubFactory(OrderFactory)
    consumer = factory.SelfAttribute("order.consumer")
    merchant = factory.SelfAttribute("order.merchant")
    kind = "after_sales"
    description = "承诺的售后服务没有兑现。"
    claimed_amount = Decimal("100.00")
    suggested_amount = factory.SelfAttribute("order.goods_amount")
    suggested_refund = Decimal("0.00")
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=48))


class OfferFactory(DjangoModelFactory):
    class Meta:
        model = "disputes.Offer"

    complaint = factory.SubFactory(ComplaintFactory)
    refund = Decimal("50.00")
    compensation = Decimal("10.00")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=72))
    made_by = factory.SubFactory(UserFactory)


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = "disputes.Message"

    complaint = factory.SubFactory(ComplaintFactory)
    author = factory.SelfAttribute("complaint.consumer")
    party = "consumer"
    body = "请尽快处理。"


PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


class EvidenceFactory(DjangoModelFactory):
    class Meta:
        model = "disputes.Evidence"

    complaint = factory.SubFactory(ComplaintFactory)
    uploaded_by = factory.SelfAttribute("complaint.consumer")
    party = "consumer"
    kind = "photo"
    file = factory.django.FileField(filename="photo.png", data=PNG_BYTES)
    content_type = "image/png"
    size = len(PNG_BYTES)
    original_name = "photo.png"


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = "disputes.Notification"

    user = factory.SubFactory(ConsumerFactory)
    complaint = factory.SubFactory(ComplaintFactory)
    event = "message"
    params = factory.LazyAttribute(lambda n: {"number": n.complaint.number})
    url = "/complaints/"


class ConsumerStrikeFactory(DjangoModelFactory):
    class Meta:
        model = "disputes.ConsumerStrike"

    complaint = factory.SubFactory(ComplaintFactory)
    consumer = factory.SelfAttribute("complaint.consumer")
