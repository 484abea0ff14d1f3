"""What a complaint is about, the states it passes through, the merchant's answer and why
it closed."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")


class ComplaintKind(models.TextChoices):
    COUNTERFEIT = "counterfeit", _("Counterfeit goods")
    SEVEN_DAY_RETURN = "seven_day_return", _("7-day return refused")
    AFTER_SALES = "after_sales", _("After-sales promise broken")
    DESCRIPTION_MISMATCH = "description_mismatch", _("Not as described")
    FALSE_ADVERTISING = "false_advertising", _("False advertising")
    PRICE_FRAUD = "price_fraud", _("Price fraud")
    LATE_SHIPPING = "late_shipping", _("Late shipping")


class ComplaintStatus(models.TextChoices):
    NEGOTIATING = "negotiating", _("Negotiating")
    SETTLED = "settled", _("Settled")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    UNDER_REVIEW = "under_review", _("Under platform review")
    AWAITING_INFO = "awaiting_info", _("Waiting for information")
    AWAITING_APPROVAL = "awaiting_approval", _("Waiting for approval")
    AWAITING_MERCHANT_PAYMENT = (
        "awaiting_merchant_payment",
        _("Waiting for the merchant to pay"),
    )
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")
    UNDER_APPEAL = "under_appeal", _("Under appeal")
    CLOSED = "closed", _("Closed")


class MerchantAnswer(models.TextChoices):
    NONE = "", _("No answer yet")
    ACCEPTED = "accepted", _("Accepted the claim")
    REFUSED = "refused", _("Refused")
    OFFERED = "offered", _("Made an offer")


class ClosureReason(models.TextChoices):
    NONE = "", "—"
    SETTLED_CLAIM = "settled_claim", _("The merchant accepted the claim")
    SETTLED_OFFER = "settled_offer", _("The consumer accepted the merchant's offer")
    WITHDRAWN = "withdrawn", _("Withdrawn by the consumer")
    LAPSED = "lapsed", _("Neither escalated nor settled in time")
    APPEAL_WINDOW = "appeal_window", _("Nobody appealed in time")
    APPEAL_RESOLVED = "appeal_resolved", _("The appeal was resolved")
