"""Every transition of a complaint's state: pure state changes (django-fsm), logged by
django-fsm-log; the services do everything else."""

from django_fsm import RETURN_VALUE, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from .. import permissions as can
from .complaint_states import ZERO
from .complaint_states import ComplaintStatus as Status


class ComplaintTransitions:
    """The transitions of `Complaint.status`, mixed into the model."""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.NEGOTIATING,
        target=Status.SETTLED,
        permission=can.accept_for_merchant,
        custom={"admin": False},
    )
    def accept_claim(self, *, reopen_until, by=None, description=None):
        self.merchant_answer = self.MerchantAnswer.ACCEPTED
        self.merchant_answered_at = self.merchant_answered_at or self.now
        self._settle(self.claimed_amount, self.ClosureReason.SETTLED_CLAIM, reopen_until)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.NEGOTIATING,
        target=Status.NEGOTIATING,
        permission=can.act_for_merchant,
        conditions=[can.merchant_may_still_answer],
        custom={"admin": False},
    )
    def refuse(self, *, reason, lapses_at, by=None, description=None):
        self._answer(self.MerchantAnswer.REFUSED, lapses_at)
        self.refusal_reason = reason
        self.due_at = self.lapses_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.NEGOTIATING,
        target=Status.NEGOTIATING,
        permission=can.offer_for_merchant,
        conditions=[can.merchant_may_still_answer],
        custom={"admin": False},
    )
    def make_offer(self, *, offer_expires_at, lapses_at, by=None, description=None):
        self._answer(self.MerchantAnswer.OFFERED, lapses_at)
        self.due_at = min(offer_expires_at, self.lapses_at)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.NEGOTIATING,
        target=Status.SETTLED,
        permission=can.act_as_consumer,
        conditions=[can.has_open_offer],
        custom={"admin": False},
    )
    def accept_offer(self, *, amount, reopen_until, by=None, description=None):
        self._settle(amount, self.ClosureReason.SETTLED_OFFER, reopen_until)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.NEGOTIATING,
        target=Status.NEGOTIATING,
        permission=can.act_as_consumer,
        conditions=[can.has_open_offer],
        custom={"admin": False},
    )
    def decline_offer(self, *, by=None, description=None):
        self.due_at = self.lapses_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.NEGOTIATING,
        target=Status.NEGOTIATING,
        permission=can.act_as_system,
        custom={"admin": False},
    )
    def expire_offer(self, *, by=None, description=None):
        self.due_at = self.lapses_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=[Status.NEGOTIATING, Status.UNDER_REVIEW, Status.AWAITING_INFO],
        target=Status.WITHDRAWN,
        permission=can.act_as_consumer,
        custom={"admin": False},
    )
    def withdraw(self, *, by=None, description=None):
        self._close(self.ClosureReason.WITHDRAWN)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.NEGOTIATING,
        target=Status.UNDER_REVIEW,
        permission=can.escalate,
        conditions=[can.may_escalate_now],
        custom={"admin": False},
    )
    def escalate(self, *, decision_due_at, by_system=False, by=None, description=None):
        self.escalated_at = self.now
        self.escalated_by_system = by_system
        self.decision_due_at = decision_due_at
        self.due_at = decision_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.NEGOTIATING,
        target=Status.CLOSED,
        permission=can.act_as_system,
        custom={"admin": False},
    )
    def lapse(self, *, by=None, description=None):
        self._close(self.ClosureReason.LAPSED)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.SETTLED,
        target=Status.UNDER_REVIEW,
        permission=can.act_as_consumer,
        conditions=[can.within_reopen_window],
        custom={"admin": False},
    )
    def reopen(self, *, decision_due_at, by=None, description=None):
        self.escalated_at = self.now
        self.decision_due_at = decision_due_at
        self.closure_reason = self.ClosureReason.NONE
        self.reopen_until = None
        self.due_at = decision_due_at

    # --- the platform's half ------------------------------------------------------------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=[Status.UNDER_REVIEW, Status.AWAITING_INFO],
        target=RETURN_VALUE(Status.UNDER_REVIEW, Status.AWAITING_INFO),
        permission=can.is_reviewer,
        custom={"admin": False},
    )
    def take(self, *, reviewer, by=None, description=None):
        self.assigned_reviewer = reviewer
        return self.status

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=[Status.UNDER_REVIEW, Status.AWAITING_INFO],
        target=Status.AWAITING_INFO,
        permission=can.is_assigned_reviewer,
        custom={"admin": False},
    )
    def request_info(self, *, due_at, by=None, description=None):
        waiting = self.due_at if self.status == self.Status.AWAITING_INFO else None
        self.due_at = min(d for d in (waiting, due_at) if d is not None)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.AWAITING_INFO,
        target=Status.UNDER_REVIEW,
        permission=can.act_as_party_or_system,
        conditions=[can.no_open_info_request],
        custom={"admin": False},
    )
    def resume_review(self, *, lapsed=False, by=None, description=None):
        self.info_lapsed = self.info_lapsed or lapsed
        self.due_at = self.decision_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=[Status.UNDER_REVIEW, Status.AWAITING_INFO, Status.AWAITING_APPROVAL],
        target=RETURN_VALUE(Status.UNDER_REVIEW, Status.AWAITING_INFO, Status.AWAITING_APPROVAL),
        permission=can.act_as_system,
        conditions=[can.decision_late],
        custom={"admin": False},
    )
    def flag_overdue(self, *, by=None, description=None):
        self.decision_overdue = True
        return self.status

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.UNDER_REVIEW,
        target=RETURN_VALUE(
            Status.AWAITING_APPROVAL, Status.AWAITING_MERCHANT_PAYMENT, Status.PAID
        ),
        permission=can.is_assigned_reviewer,
        custom={"admin": False},
    )
    def decide(
        self,
        *,
        needs_approval,
        pay_first,
        pay_first_due_at,
        appeal_until,
        by=None,
        description=None,
    ):
        if needs_approval:
            return self.Status.AWAITING_APPROVAL
        return self._route(pay_first, pay_first_due_at, appeal_until)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.AWAITING_APPROVAL,
        target=RETURN_VALUE(Status.AWAITING_MERCHANT_PAYMENT, Status.PAID),
        permission=can.is_approving_senior,
        custom={"admin": False},
    )
    def approve(self, *, pay_first, pay_first_due_at, appeal_until, by=None, description=None):
        return self._route(pay_first, pay_first_due_at, appeal_until)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.AWAITING_APPROVAL,
        target=Status.UNDER_REVIEW,
        permission=can.is_approving_senior,
        custom={"admin": False},
    )
    def send_back(self, *, by=None, description=None):
        self.due_at = self.decision_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.AWAITING_MERCHANT_PAYMENT,
        target=Status.PAID,
        permission=can.act_for_merchant,
        conditions=[can.pay_first_open],
        custom={"admin": False},
    )
    def confirm_payment(self, *, appeal_until, by=None, description=None):
        self._paid(appeal_until)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.AWAITING_MERCHANT_PAYMENT,
        target=Status.PAID,
        permission=can.act_as_system,
        conditions=[can.pay_first_lapsed],
        custom={"admin": False},
    )
    def charge_deposit(self, *, appeal_until, by=None, description=None):
        self._paid(appeal_until)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.UNDER_REVIEW,
        target=Status.REJECTED,
        permission=can.is_assigned_reviewer,
        custom={"admin": False},
    )
    def reject(self, *, appeal_until, by=None, description=None):
        self.rejected_at = self.now
        self.held_amount = ZERO
        self.due_at = appeal_until

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=[Status.PAID, Status.REJECTED],
        target=Status.UNDER_APPEAL,
        permission=can.act_as_party,
        conditions=[can.within_appeal_window, can.not_appealed_yet],
        custom={"admin": False},
    )
    def appeal(self, *, response_due_at, by=None, description=None):
        self.due_at = response_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=Status.UNDER_APPEAL,
        target=Status.CLOSED,
        permission=can.is_resolving_senior,
        conditions=[can.appeal_ready],
        custom={"admin": False},
    )
    def resolve_appeal(self, *, by=None, description=None):
        self._close(self.ClosureReason.APPEAL_RESOLVED)

    @fsm_log_by
    @fsm_log_description
    @transition(
        field="status",
        source=[Status.PAID, Status.REJECTED],
        target=Status.CLOSED,
        permission=can.act_as_system,
        conditions=[can.appeal_window_over],
        custom={"admin": False},
    )
    def close(self, *, by=None, description=None):
        self._close(self.ClosureReason.APPEAL_WINDOW)

    def _route(self, pay_first, pay_first_due_at, appeal_until):
        if pay_first:
            self.due_at = pay_first_due_at
            return self.Status.AWAITING_MERCHANT_PAYMENT
        self._paid(appeal_until)
        return self.Status.PAID

    def _paid(self, appeal_until):
        self.paid_at = self.now
        self.held_amount = ZERO
        self.due_at = appeal_until

    def _answer(self, answer, lapses_at):
        self.merchant_answer = answer
        if not self.merchant_answered_at:
            self.merchant_answered_at = self.now
            self.lapses_at = lapses_at

    def _settle(self, amount, reason, reopen_until):
        self.settled_amount = amount
        self.settled_at = self.now
        self.reopen_until = reopen_until
        self.closure_reason = reason
        self.due_at = None

    def _close(self, reason):
        self.closure_reason = reason
        self.closed_at = self.now
        self.due_at = None
