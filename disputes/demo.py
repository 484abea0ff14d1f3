"""Demo complaints in every state of the machine.

They are filed and moved through the real services. The few that show what a deadline
does have that deadline moved into the past first, then the deadline processor runs.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from deposits import services as ledger
from deposits.models import Disbursement
from merchants.models import MerchantMember, Order

from . import selectors, services
from .deadlines import process_due_complaints
from .models import Complaint

# A made-up card number that passes the Luhn check, as a real one would.
DEMO_CARD = "6222021234567890128"


def _owner(order):
    return MerchantMember.objects.get(merchant=order.merchant, role=MerchantMember.Role.OWNER).user


def _store_staff(order):
    return MerchantMember.objects.get(merchant=order.merchant, role=MerchantMember.Role.STAFF).user


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
        # By the staff member, within the ¥500 the owner lets them settle: the timeline
        # names them to both sides.
        services.make_offer(
            complaint=offered,
            actor=_store_staff(offered.order),
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

    _seed_platform_half(now)
    process_due_complaints(now)


def _staff(username):
    return get_user_model().objects.get(username=username)


def _under_review(order_number, kind, amount, description, reviewer):
    complaint, new = _file(order_number, kind, amount, description)
    if new:
        services.refuse_claim(
            complaint=complaint, actor=_owner(complaint.order), reason="不同意消费者的说法。"
        )
        services.escalate_complaint(complaint=complaint, actor=complaint.consumer)
        services.take_case(complaint=complaint, actor=reviewer)
        complaint.refresh_from_db()
    return complaint, new


def _award_in_full(complaint, reviewer, route="deposit"):
    lines = [
        services.LineInput(rule=line.rule, amount=line.amount)
        for line in selectors.suggestion_for_complaint(complaint)
    ]
    return services.decide_complaint(
        complaint=complaint,
        actor=reviewer,
        lines=lines,
        reason_code="rule_broken",
        reasoning="商家未能提供履约凭证，消费者的聊天记录与照片可以印证其说法。",
        evidence=list(complaint.evidence.all()),
        route=route,
    )


def _seed_platform_half(now):
    """One complaint in each state of the platform's half, on the books and fashion stores."""
    K = Complaint.Kind
    reviewer, senior1, senior2 = (
        _staff("reviewer@demo.test"),
        _staff("senior1@demo.test"),
        _staff("senior2@demo.test"),
    )

    asked, new = _under_review(
        "DEMO403", K.AFTER_SALES, "300.00", "承诺的赠品一直没有发。", reviewer
    )
    if new:
        services.request_info(
            complaint=asked,
            actor=reviewer,
            party="consumer",
            question="请上传商品页面关于赠品承诺的截图。",
        )

    big, new = _under_review("DEMO406", K.COUNTERFEIT, "29995.00", "鉴定报告显示为仿品。", senior1)
    if new:
        _award_in_full(big, senior1)

    pay_first, new = _under_review(
        "DEMO405", K.DESCRIPTION_MISMATCH, "1299.00", "实物与描述严重不符。", reviewer
    )
    if new:
        _award_in_full(pay_first, reviewer, route="merchant_first")

    paid, new = _under_review("DEMO408", K.AFTER_SALES, "300.00", "保修期内拒绝维修。", reviewer)
    if new:
        _award_in_full(paid, reviewer)

    rejected, new = _under_review("DEMO409", K.LATE_SHIPPING, "74.70", "发货太慢。", reviewer)
    if new:
        services.reject_complaint(
            complaint=rejected,
            actor=reviewer,
            reason_code="outside_rules",
            reasoning="订单在承诺时间内已发货，延迟发生在物流环节。",
        )

    appealed, new = _under_review("DEMO402", K.COUNTERFEIT, "645.00", "怀疑是盗版书。", reviewer)
    if new:
        services.reject_complaint(
            complaint=appealed,
            actor=reviewer,
            reason_code="insufficient_evidence",
            reasoning="未提供鉴定报告或与正版的对比照片。",
        )
        services.appeal_complaint(
            complaint=appealed,
            actor=appealed.consumer,
            reason="补充了与正版的对比照片，纸张和印刷明显不同。",
        )

    resolved, new = _under_review(
        "DEMO209", K.AFTER_SALES, "200.00", "衬衫开线，商家拒绝修补。", reviewer
    )
    if new:
        _award_in_full(resolved, reviewer)
        services.appeal_complaint(
            complaint=resolved, actor=_owner(resolved.order), reason="开线系穿着不当造成。"
        )
        services.respond_to_appeal(
            complaint=resolved, actor=resolved.consumer, response="收到两天就开线了。"
        )
        services.resolve_appeal(
            complaint=resolved,
            actor=senior2,
            outcome="revised_down",
            lines=[services.LineInput(rule="after_sales.loss", amount=Decimal("120.00"))],
            resolution="质量问题成立，但部分损失与使用有关。",
        )

    # Paid to the Alipay account the consumer chose, and sent by finance.
    window, new = _under_review("DEMO208", K.AFTER_SALES, "200.00", "退款承诺未兑现。", reviewer)
    if new:
        services.choose_payout_account(
            complaint=window,
            actor=window.consumer,
            method="alipay",
            number=window.consumer.username,
        )
        _award_in_full(window, reviewer)
        Complaint.objects.filter(pk=window.pk).update(due_at=now - timedelta(minutes=1))
        ledger.mark_disbursement_sent(
            disbursement=Disbursement.objects.get(reference=window.ledger_reference),
            external_reference="2026112722001400208",
            actor=_staff("finance@demo.test"),
        )

    # A bank card chosen while the platform reviewed: the payout is queued for finance.
    # (DEMO408's consumer chose nothing: that payout waits for their account.)
    advanced, new = _under_review(
        "DEMO308", K.AFTER_SALES, "300.00", "血压计读数不准，商家不给换。", reviewer
    )
    if new:
        services.choose_payout_account(
            complaint=advanced,
            actor=advanced.consumer,
            method="bank",
            number=DEMO_CARD,
            bank_name="招商银行",
            holder_name=advanced.consumer.display_name or "陈静",
        )
        _award_in_full(advanced, reviewer)


def _delivered(order_number):
    return Order.objects.get(order_number=order_number).delivered_at
