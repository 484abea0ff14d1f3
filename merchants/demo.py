"""Demo stores, their logins and orders in every condition a complaint can start from."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from accounts import roles
from accounts.demo import DEMO_PASSWORD, ensure_user

from .models import Category, Merchant, MerchantMember, Order


@dataclass(frozen=True)
class DemoStore:
    code: str
    name: str
    company: str
    store_type: str
    trademark_type: str
    categories: tuple[str, ...]
    annual_sales: Decimal
    owner: tuple[str, str]
    staff: tuple[str, str]
    # What the owner lets the staff member do: each store shows another set of grants.
    staff_grants: dict


STORES = (
    DemoStore(
        "youpin-digital",
        "优品数码旗舰店",
        "深圳优品电子科技有限公司",
        "flagship",
        "R",
        ("digital",),
        Decimal("86000000.00"),
        ("digital.owner@demo.test", "周立"),
        ("digital.staff@demo.test", "吴倩"),
        {"may_answer": True, "offer_limit": Decimal("500.00"), "may_see_deposit": False},
    ),
    DemoStore(
        "yazhi-fashion",
        "雅致服饰专卖店",
        "杭州雅致服饰有限公司",
        "specialty",
        "TM",
        ("apparel",),
        Decimal("12500000.00"),
        ("fashion.owner@demo.test", "郑雅"),
        ("fashion.staff@demo.test", "孙悦"),
        {"may_answer": True, "offer_limit": Decimal("2000.00"), "may_see_deposit": True},
    ),
    DemoStore(
        "kangjian-medical",
        "康健医疗器械专营店",
        "广州康健医疗器械有限公司",
        "franchise",
        "R",
        ("medical-devices", "otc-drugs"),
        Decimal("30400000.00"),
        ("medical.owner@demo.test", "冯康"),
        ("medical.staff@demo.test", "何琳"),
        {"may_answer": False, "offer_limit": None, "may_see_deposit": False},
    ),
    DemoStore(
        "bowen-books",
        "博文图书旗舰店",
        "北京博文图书有限公司",
        "flagship",
        "R",
        ("books-av",),
        Decimal("5600000.00"),
        ("books.owner@demo.test", "陈博"),
        ("books.staff@demo.test", "林文"),
        {"may_answer": True, "offer_limit": None, "may_see_deposit": False},
    ),
)

CONSUMERS = (
    ("consumer@demo.test", "李娜", True),
    ("13800138000", "王强", True),
    ("chen.jing@demo.test", "陈静", True),
    ("zhao.min@demo.test", "赵敏", False),  # imported, not yet claimed: no password
)

PLATFORM = (
    ("reviewer@demo.test", "审核员 刘洋", (roles.REVIEWERS,), False),
    ("senior1@demo.test", "高级审核 张伟", (roles.REVIEWERS, roles.SENIOR_REVIEWERS), False),
    ("senior2@demo.test", "高级审核 黄蕾", (roles.REVIEWERS, roles.SENIOR_REVIEWERS), False),
    ("finance@demo.test", "财务 许敏", (roles.FINANCE,), False),
    ("admin@demo.test", "平台管理员", (), True),
)

# (suffix, item, goods, postage, refunded, hours since payment, shipped after h,
#  delivered after h, completed after h) — None: not (yet) happened.
ORDER_SHAPES = (
    (
        "01",
        "paid 72 h ago, still unshipped",
        Decimal("399.00"),
        Decimal("0.00"),
        Decimal("0"),
        72,
        None,
        None,
        None,
    ),
    (
        "02",
        "paid 20 h ago, not shipped yet",
        Decimal("129.00"),
        Decimal("8.00"),
        Decimal("0"),
        20,
        None,
        None,
        None,
    ),
    (
        "03",
        "shipped, on its way",
        Decimal("2599.00"),
        Decimal("0.00"),
        Decimal("0"),
        60,
        30,
        None,
        None,
    ),
    (
        "04",
        "delivered yesterday",
        Decimal("899.00"),
        Decimal("12.00"),
        Decimal("0"),
        96,
        20,
        72,
        None,
    ),
    (
        "05",
        "delivered 10 days ago, completed",
        Decimal("1299.00"),
        Decimal("0.00"),
        Decimal("0"),
        24 * 13,
        24,
        72,
        24 * 5,
    ),
    (
        "06",
        "completed 60 days ago",
        Decimal("5999.00"),
        Decimal("0.00"),
        Decimal("0"),
        24 * 66,
        20,
        70,
        24 * 6,
    ),
    (
        "07",
        "completed 120 days ago",
        Decimal("459.00"),
        Decimal("10.00"),
        Decimal("0"),
        24 * 126,
        20,
        70,
        24 * 6,
    ),
    (
        "08",
        "partly refunded",
        Decimal("688.00"),
        Decimal("0.00"),
        Decimal("188.00"),
        24 * 8,
        10,
        60,
        24 * 4,
    ),
    (
        "09",
        "shipped late",
        Decimal("249.00"),
        Decimal("6.00"),
        Decimal("0"),
        24 * 9,
        80,
        120,
        48,
    ),
)

ITEMS = {
    "youpin-digital": ("无线降噪耳机", "智能手表", "65W 快充充电器"),
    "yazhi-fashion": ("真丝连衣裙", "羊绒大衣", "纯棉衬衫"),
    "kangjian-medical": ("电子血压计", "医用外科口罩（50只）", "家用制氧机"),
    "bowen-books": ("《中国历史》精装全套", "儿童绘本礼盒", "黑胶唱片典藏版"),
}


def seed_people():
    consumers = [
        ensure_user(
            username=u,
            display_name=n,
            role_names=(roles.CONSUMERS,),
            password=DEMO_PASSWORD if claimed else None,
        )
        for u, n, claimed in CONSUMERS
    ]
    for username, name, role_names, superuser in PLATFORM:
        ensure_user(
            username=username,
            display_name=name,
            role_names=role_names,
            is_staff=True,
            is_superuser=superuser,
        )
    return consumers


def seed_stores():
    merchants = []
    for store in STORES:
        merchant, created = Merchant.objects.get_or_create(
            code=store.code,
            defaults={
                "name": store.name,
                "company": store.company,
                "store_type": store.store_type,
                "trademark_type": store.trademark_type,
                "annual_sales": store.annual_sales,
            },
        )
        if created:
            merchant.categories.set(Category.objects.filter(code__in=store.categories))
        for (username, name), role, grants in (
            (store.owner, "owner", {}),
            (store.staff, "staff", store.staff_grants),
        ):
            user = ensure_user(
                username=username, display_name=name, role_names=(roles.MERCHANT_STAFF,)
            )
            MerchantMember.objects.get_or_create(
                user=user, defaults={"merchant": merchant, "role": role, **grants}
            )
        merchants.append(merchant)
    return merchants


def seed_orders(*, merchants, consumers, now):
    """Each store gets every order shape, spread over the claimed consumers."""
    claimed = [c for c in consumers if c.has_usable_password()]
    unclaimed = [c for c in consumers if not c.has_usable_password()]
    for m_index, merchant in enumerate(merchants):
        items = ITEMS[merchant.code]
        for s_index, (
            suffix,
            _label,
            goods,
            postage,
            refunded,
            age,
            ship_h,
            deliver_h,
            complete_h,
        ) in enumerate(ORDER_SHAPES):
            paid_at = now - timedelta(hours=age)
            shipped_at = paid_at + timedelta(hours=ship_h) if ship_h is not None else None
            delivered_at = paid_at + timedelta(hours=deliver_h) if deliver_h is not None else None
            completed_at = (
                delivered_at + timedelta(hours=complete_h) if complete_h is not None else None
            )
            Order.objects.get_or_create(
                order_number=f"DEMO{m_index + 1}{suffix}",
                defaults={
                    "consumer": claimed[(m_index + s_index) % len(claimed)],
                    "merchant": merchant,
                    "item_title": items[s_index % len(items)],
                    "goods_amount": goods,
                    "postage": postage,
                    "refunded_amount": refunded,
                    "paid_at": paid_at,
                    "shipped_at": shipped_at,
                    "delivered_at": delivered_at,
                    "completed_at": completed_at,
                },
            )
        for consumer in unclaimed:
            Order.objects.get_or_create(
                order_number=f"DEMO{m_index + 1}99",
                defaults={
                    "consumer": consumer,
                    "merchant": merchant,
                    "item_title": items[0],
                    "goods_amount": Decimal("99.00"),
                    "paid_at": now - timedelta(days=5),
                    "shipped_at": now - timedelta(days=4),
                    "delivered_at": now - timedelta(days=2),
                },
            )


def finance_user():
    """The demo finance login, who records the demo pay-ins."""
    return get_user_model().objects.get(username="finance@demo.test")
