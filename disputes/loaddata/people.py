"""Logins, stores and how many complaints each store gets."""

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import User
from deposits.models import DepositAccount
from deposits.policy import policy_in_force, required_under
from merchants.models import Category, Merchant

from .base import PASSWORD, YEAR, q
from .texts import BRANDS, CATEGORY_GROUPS, CITIES, GIVEN, STORE_SUFFIX, SURNAMES
from .world import Sizes, World


def chinese_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))


def people_rows(world: World, rng: random.Random) -> dict:
    """Every login of the data set, with one password hash and the role groups."""
    names, now = world.names, world.now
    password = make_password(PASSWORD)  # once: hashing is deliberately slow
    groups = _role_groups()
    rows = defaultdict(list)

    def user(pk, username, display_name, joined, *role_names, staff=False):
        rows[User].append(
            {
                "id": pk,
                "password": password,
                "username": username,
                "email": username,
                "display_name": display_name,
                "is_staff": staff,
                "is_active": True,
                "date_joined": joined,
            }
        )
        rows[User.groups.through].extend(
            {"user_id": pk, "group_id": groups[name]} for name in role_names
        )

    for i in range(1, world.sizes.consumers + 1):
        joined = now - timedelta(days=rng.uniform(500, 2500))
        user(world.consumer_id(i), names.consumer(i), chinese_name(rng), joined, roles.CONSUMERS)
    joined = now - 2 * YEAR
    for k, pk in enumerate(world.reviewers, 1):
        name = f"审核员 {chinese_name(rng)}"
        user(pk, names.reviewer(k), name, joined, roles.REVIEWERS, staff=True)
    for k, pk in enumerate(world.seniors, 1):
        name = f"高级审核 {chinese_name(rng)}"
        user(pk, names.senior(k), name, joined, roles.REVIEWERS, roles.SENIOR_REVIEWERS, staff=True)
    user(
        world.finance,
        names.finance(),
        f"财务 {chinese_name(rng)}",
        joined,
        roles.FINANCE,
        staff=True,
    )
    for store in world.stores:
        owner, staff = world.store_users(store.j)
        for pk, username in ((owner, names.owner(store.j)), (staff, names.staff(store.j))):
            user(pk, username, chinese_name(rng), store.created_at, roles.MERCHANT_STAFF)
    return rows


def _role_groups() -> dict[str, int]:
    # The data migrations create them; a flushed test database may have lost them.
    return {name: Group.objects.get_or_create(name=name)[0].pk for name in roles.ALL_ROLES}


@dataclass
class Store:
    j: int
    id: int
    account_id: int
    code: str
    name: str
    company: str
    store_type: str
    mall_flagship: bool
    trademark_type: str
    categories: list
    annual_sales: Decimal
    required: Decimal
    created_at: object
    complaints: int
    first_index: int


def plan_stores(world: World, rng: random.Random) -> list[Store]:
    """Every store: its facts, its required deposit, how many complaints it gets."""
    counts = complaints_per_store(world.sizes, rng)
    by_group = defaultdict(list)
    for category in Category.objects.all():
        by_group[category.deposit_group].append(category)
    policy = policy_in_force(world.now)
    stores, first_index = [], 0
    first_store = world.take_ids(Merchant, world.sizes.stores)
    first_account = world.take_ids(DepositAccount, world.sizes.stores)
    for j, complaints in enumerate(counts, 1):
        store = _store(world, rng, j, by_group, policy)
        store.id, store.account_id = first_store + j - 1, first_account + j - 1
        store.complaints, store.first_index = complaints, first_index
        first_index += complaints
        stores.append(store)
    return stores


def _store(world: World, rng: random.Random, j: int, by_group, policy) -> Store:
    group = rng.choices(*zip(*CATEGORY_GROUPS, strict=True))[0]
    choices = by_group.get(group) or by_group.get("general") or []
    categories = rng.sample(choices, min(len(choices), rng.choice((1, 1, 2))))
    store_type = rng.choices(("flagship", "specialty", "franchise"), (50, 25, 25))[0]
    facts = SimpleNamespace(
        store_type=store_type,
        trademark_type="R" if rng.random() < 0.8 else "TM",
        mall_flagship=store_type == "flagship" and rng.random() < 0.05,
        annual_sales=q(Decimal(math.exp(rng.uniform(math.log(2e5), math.log(5e8))))),
        categories=SimpleNamespace(all=lambda: categories),
    )
    brand = rng.choice(BRANDS)
    label = categories[0].name if categories else "百货"
    return Store(
        j=j,
        id=0,
        account_id=0,
        code=world.names.store(j),
        name=f"{brand}{label}{STORE_SUFFIX[store_type]}",
        company=f"{rng.choice(CITIES)}{brand}商贸有限公司",
        store_type=store_type,
        mall_flagship=facts.mall_flagship,
        trademark_type=facts.trademark_type,
        categories=categories,
        annual_sales=facts.annual_sales,
        # Funded with what the policy requires (or ¥50,000 when no policy applies).
        required=required_under(policy, facts) or Decimal("50000.00"),
        created_at=world.now - timedelta(days=rng.uniform(500, 1800)),
        complaints=0,
        first_index=0,
    )


def complaints_per_store(sizes: Sizes, rng: random.Random) -> list[int]:
    """The busy store's share, the rest spread unevenly (log-normal) over the others."""
    rest = sizes.complaints - sizes.busy_store_complaints
    others = sizes.stores - 1
    if others == 0:
        return [sizes.complaints]
    weights = [rng.lognormvariate(0, 0.8) for _ in range(others)]
    scale = rest / sum(weights)
    counts = [int(w * scale) for w in weights]
    for k in range(rest - sum(counts)):
        counts[k % others] += 1
    return [sizes.busy_store_complaints, *counts]
