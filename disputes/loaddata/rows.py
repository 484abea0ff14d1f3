"""The rows a story, a store and its deposit leave behind."""

import random
from datetime import timedelta

from django.conf import settings
from django.utils import translation
from django_fsm_log.models import StateLog

from deposits.models import DepositAccount, Disbursement, LedgerEntry
from merchants.models import Merchant, MerchantMember, Order

from ..models import (
    Appeal,
    AwardLine,
    Complaint,
    ConsumerStrike,
    Decision,
    Evidence,
    InfoRequest,
    Notification,
    Offer,
)
from .base import DAY, PLACEHOLDER, PNG, ZERO, _hours, price
from .deposit import Deposit
from .people import Store
from .story import Story
from .texts import CATALOG, GENERIC_ITEMS
from .world import World


def story_rows(world: World, story: Story, rows) -> None:
    """Every row one complaint leaves: its order, itself, and all that happened to it."""
    c, rng = story.c, story.rng
    rows[Order].append(story.order)
    rows[Complaint].append(c.__dict__)
    for evidence in story.evidence:
        evidence.update(
            complaint_id=c.id, file=PLACEHOLDER, content_type="image/png", size=len(PNG)
        )
        rows[Evidence].append(evidence)
    for offer in story.offers:
        rows[Offer].append({**offer, "complaint_id": c.id})
    for request in story.requests:
        rows[InfoRequest].append({**request, "complaint_id": c.id})
    for decision in story.decisions:
        _decision_rows(decision, c, rows)
    if story.appeal:
        appeal = story.appeal
        rows[Appeal].append({**appeal, "complaint_id": c.id})
        rows[AwardLine].extend(_line_row(line, appeal_id=appeal["id"]) for line in appeal["lines"])
    if story.strike:
        rows[ConsumerStrike].append({**story.strike, "complaint_id": c.id})
    rows[StateLog].extend(
        {
            "timestamp": at,
            "by_id": by,
            "source_state": source,
            "state": target,
            "transition": name,
            "content_type_id": world.complaint_type,
            "object_id": c.id,
            "description": description,
        }
        for at, name, source, target, by, description in story.events
    )
    _notification_rows(world, story, rng, rows)


def _decision_rows(decision: dict, c: Complaint, rows) -> None:
    rows[Decision].append({**decision, "complaint_id": c.id})
    rows[AwardLine].extend(
        _line_row(line, decision_id=decision["id"]) for line in decision["lines"]
    )
    rows[Decision.evidence_relied_on.through].extend(
        {"decision_id": decision["id"], "evidence_id": evidence["id"]}
        for evidence in decision["evidence"]
    )


def _line_row(line: dict, **owner) -> dict:
    entry = line["ledger_entry"]
    # The explanations are rendered for the whole group at once (explain_lines).
    return {**line, **owner, "ledger_entry_id": entry["id"] if entry else None}


def explain_lines(lines: list[dict]) -> None:
    """AwardLine.explain for many lines: each explanation in every language of the site,
    switching language once per language rather than once per line."""
    for line in lines:
        line["explanations"] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for line in lines:
                line["explanations"][code] = str(line["explanation"])[:300]


def _notification_rows(world: World, story: Story, rng: random.Random, rows) -> None:
    """The store's owner was told of the filing (the staff's copy is left out: the table
    would be the largest of all); the consumer's latest notice is kept."""
    c = story.c
    merchant_url = world.urls.merchant.replace("NUMBER", c.number)
    filed = {
        "number": c.number,
        "item": story.order["item_title"],
        "due": story.t0 + world.answer_time,
    }
    owner = story.merchant_users[0]
    rows[Notification].append(
        _notification(world, owner, c, "filed", filed, merchant_url, story.t0, rng)
    )
    if story.notes:
        at, event, params = story.notes[-1]
        url = world.urls.consumer.replace("NUMBER", c.number)
        params = {"number": c.number, **params}
        rows[Notification].append(
            _notification(world, c.consumer_id, c, event, params, url, at, rng)
        )


def _notification(world, user, c, event, params, url, at, rng) -> dict:
    age = world.now - at
    read = rng.random() < (0.9 if age > 3 * DAY else 0.3)
    return {
        "user_id": user,
        "complaint_id": c.id,
        "event": event,
        "params": {key: _storable(value) for key, value in params.items()},
        "url": url,
        "created_at": at,
        "read_at": at + min(_hours(rng, 0.1, 48), age) if read else None,
    }


def _storable(value) -> str:
    """As disputes.notifications stores a parameter: times in ISO format, the rest as text."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def store_rows(world: World, store: Store, deposit: Deposit, rows) -> None:
    restricted = deposit.restricted_since is not None
    rows[Merchant].append(
        {
            "id": store.id,
            "code": store.code,
            "name": store.name,
            "company": store.company,
            "store_type": store.store_type,
            "mall_flagship": store.mall_flagship,
            "trademark_type": store.trademark_type,
            "annual_sales": store.annual_sales,
            "status": Merchant.Status.RESTRICTED if restricted else Merchant.Status.ACTIVE,
            "created_at": store.created_at,
        }
    )
    rows[Merchant.categories.through].extend(
        {"merchant_id": store.id, "category_id": category.pk} for category in store.categories
    )
    owner, staff = world.store_users(store.j)
    for user, role in ((owner, MerchantMember.Role.OWNER), (staff, MerchantMember.Role.STAFF)):
        rows[MerchantMember].append(
            {"user_id": user, "merchant_id": store.id, "role": role, "added_at": store.created_at}
        )
    rows[DepositAccount].append(deposit.account_row())
    rows[LedgerEntry].extend(deposit.entries)
    rows[Disbursement].extend(deposit.disbursements)


def other_orders(world: World, store: Store, rng: random.Random, rows) -> None:
    """Orders nobody complained about: a quarter as many again as the complaints."""
    for _order in range(round(store.complaints * 0.25)):
        paid = world.now - timedelta(days=rng.uniform(3, 365))
        category = rng.choice(store.categories) if store.categories else None
        item, low, high = rng.choice(
            CATALOG.get(category.code, GENERIC_ITEMS) if category else GENERIC_ITEMS
        )
        shipped = paid + _hours(rng, 2, 40)
        delivered = shipped + _hours(rng, 12, 96)
        rows[Order].append(
            {
                "id": world.take_ids(Order),
                "order_number": world.order_number(),
                "consumer_id": world.consumer_id(rng.randrange(world.sizes.consumers) + 1),
                "merchant_id": store.id,
                "item_title": item,
                "goods_amount": price(rng, low, high),
                "postage": ZERO,
                "refunded_amount": ZERO,
                "paid_at": paid,
                "ship_by": None,
                "shipped_at": shipped,
                "delivered_at": delivered,
                "completed_at": delivered + _hours(rng, 24, 240)
                if delivered < world.now - 10 * DAY
                else None,
            }
        )
