"""The consumer's payouts as their complaint page tells them: where each one stands
(waiting for an account, queued, sent, failed and sent again) and where it goes, masked."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from accounts.masking import mask_identifier
from common.dates import local_datetime
from deposits.destinations import ALIPAY
from deposits.models import Disbursement

Status = Disbursement.Status

# The status badge's colour family (static/css/app.css, docs/UI.md): waiting for a party
# violet, the platform acting amber, paid green, failed red.
BADGES = {
    Status.AWAITING_ACCOUNT: "badge-violet",
    Status.PENDING: "badge-amber",
    Status.SENT: "badge-green",
    Status.FAILED: "badge-red",
}


def destination_label(destination) -> str:
    """支付宝 a***@example.com / 招商银行 银行卡 **** 0123: never a whole number."""
    if destination.method == ALIPAY:
        return str(_("Alipay %(account)s") % {"account": destination.number_masked})
    return str(
        _("%(bank)s card %(account)s")
        % {"bank": destination.bank_name, "account": destination.number_masked}
    ).strip()


@dataclass(frozen=True)
class Progress:
    amount: Decimal
    status: str
    label: str
    badge: str
    text: str
    deadline: datetime | None = None


def progress_of(payout: Disbursement, consumer) -> Progress:
    """One payout, in the words its consumer reads."""
    status = payout.status
    if status == Status.AWAITING_ACCOUNT:
        label = _("Waiting for your account")
        text = _(
            "Choose where we send it by %(due)s. Otherwise it goes to the Alipay account of "
            "your login, %(login)s."
        ) % {
            "due": local_datetime(payout.account_due_at),
            "login": mask_identifier(consumer.username),
        }
    elif status == Status.SENT:
        label = _("Sent")
        text = _("Sent on %(date)s to %(account)s. Transfer reference: %(reference)s.") % {
            "date": local_datetime(payout.sent_at),
            "account": destination_label(payout.destination),
            "reference": payout.external_reference,
        }
    elif status == Status.FAILED:
        label = _("Transfer failed")
        text = _(
            "The transfer to %(account)s failed: %(reason)s. Check the account, change it "
            "below if it is wrong; the platform sends the money again."
        ) % {
            "account": destination_label(payout.destination),
            "reason": payout.failure_reason,
        }
    else:
        label = _("Queued")
        account = destination_label(payout.destination)
        if payout.attempts > 1:
            label = _("Queued again")
            text = _(
                "An earlier transfer failed; the platform is sending it again to %(account)s "
                "(attempt %(attempt)s)."
            ) % {"account": account, "attempt": payout.attempts}
        elif payout.destination_fell_back:
            text = _(
                "No account was chosen in time, so the platform is sending it to the Alipay "
                "account of your login, %(account)s. You can still choose another account "
                "until it is sent."
            ) % {"account": account}
        else:
            text = _("The platform is sending it to %(account)s.") % {"account": account}
    return Progress(
        amount=payout.amount,
        status=status,
        label=str(label),
        badge=BADGES[status],
        text=str(text),
        deadline=payout.account_due_at if status == Status.AWAITING_ACCOUNT else None,
    )


def waiting_for_account(payouts) -> list[Disbursement]:
    return [payout for payout in payouts if payout.status == Status.AWAITING_ACCOUNT]
