"""Demo complaints in every state the negotiation half of the machine reaches.

They are filed and moved through the real services. The few that show what a deadline
does have that deadline moved into the past first, then the deadline processor runs.
"""

from datetime import timedelta
from decimal import Decimal

from merchants.models import MerchantMember, Order

from . import services
from .deadlines import process_due_complaints
from .models import Complaint


def _owner(order):
    return MerchantMember.objects.get(merchant=order.merchant, role=MerchantMember.Role.OWNER).user


def _file(order_number, kind, amount, description, **extra):
    order = Order.objects.select_related("merchant", "consumer").get(order_number=order_number)
    existing = Complaint.objects.filter(order=order, kind=kind).first()
    if existing:
        return existing, False
    complaint = services.file_complaint(
        order=order,
        consumer=order.consumer,
        kind=kind,
        description=description,
        claimed_amount=Decimal(amount),
        **extra,
    )
    return complaint, True


def _overdue(complaint, *, field, now):
    Complaint.objects.filter(pk=complaint.pk).update(
        **{field: now - timedelta(minutes=1), "due_at": now - timedelta(minutes=1)}
    )


def seed_complaints(*, now) -> None:
    K = Complaint.Kind
    _file("DEMO101", K.LATE_SHIPPING, "119.70", "付款三天了还没发货，客服一直说在排单。")

    refused, new = _file(
        "DEMO104",
        K.SEVEN_DAY_RETURN,
        "899.00",
        "收到后不想要了，申请七天无理由退货被商家拒绝。",
        return_requested_at=_delivered("DEMO104") + timedelta(hours=20),
    )
    if new:
        services.refuse_claim(
            complaint=refused,
            actor=_owner(refused.order),
            reason="商品已拆封激活，不支持七天无理由退货。",
        )

    offered, new = _file(
        "DEMO105",
        K.DESCRIPTION_MISMATCH,
        "1299.00",
        "页面写的是银色，收到的是灰色，续航也远低于宣传。",
    )
    if new:
        services.make_offer(
            complaint=offered,
            actor=_owner(offered.order),
            refund=Decimal("200.00"),
            compensation_amount=Decimal("50.00"),
            note="可以补偿差价和一张优惠券，无需退货。",
        )

    escalated, new = _file("DEMO106", K.COUNTERFEIT, "29995.00", "鉴定机构出具报告，确认不是正品。")
    if new:
        services.refuse_claim(
            complaint=escalated,
            actor=_owner(escalated.order),
            reason="我司商品均为正品，有进货凭证。",
        )
        services.escalate_complaint(complaint=escalated, actor=escalated.consumer)

    accepted, new = _file("DEMO108", K.AFTER_SALES, "300.00", "承诺的免费上门安装一直没有人来。")
    if new:
        services.accept_claim(complaint=accepted, actor=_owner(accepted.order))

    settled, new = _file("DEMO109", K.LATE_SHIPPING, "74.70", "承诺48小时发货，实际80小时后才发。")
    if new:
        services.make_offer(
            complaint=settled,
            actor=_owner(settled.order),
            refund=Decimal("0.00"),
            compensation_amount=Decimal("60.00"),
        )
        services.accept_offer(complaint=settled, actor=settled.consumer)

    silent, new = _file("DEMO201", K.LATE_SHIPPING, "119.70", "下单三天，商家没有任何回复。")
    if new:
        _overdue(silent, field="due_at", now=now)

    withdrawn, new = _file(
        "DEMO204",
        K.SEVEN_DAY_RETURN,
        "899.00",
        "想退货。",
        return_requested_at=_delivered("DEMO204") + timedelta(hours=2),
    )
    if new:
        services.withdraw_complaint(complaint=withdrawn, actor=withdrawn.consumer)

    lapsing, new = _file("DEMO205", K.DESCRIPTION_MISMATCH, "1299.00", "尺码与描述不符。")
    if new:
        services.refuse_claim(
            complaint=lapsing, actor=_owner(lapsing.order), reason="尺码表已在详情页注明。"
        )
        _overdue(lapsing, field="lapses_at", now=now)

    soon, new = _file(
        "DEMO404", K.FALSE_ADVERTISING, "800.00", "宣传“全网最低价”，实际其他店便宜很多。"
    )
    if new:
        Complaint.objects.filter(pk=soon.pk).update(due_at=now + timedelta(hours=10))

    process_due_complaints(now)


def _delivered(order_number):
    return Order.objects.get(order_number=order_number).delivered_at
