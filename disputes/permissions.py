"""Who may take each transition, and when: the `permission` and `conditions` of the machine.

A permission receives the complaint and the acting user; the deadline processor acts as
`SYSTEM`. Conditions read the complaint as of `complaint.now`, which the services set to
the moment they act on, so that deadlines are judged at one instant.
"""

from accounts import roles


class SystemActor:
    """The deadline processor: it is nobody, and only system transitions accept it."""

    is_system = True
    is_authenticated = False
    pk = id = None

    def __str__(self):
        return "system"


SYSTEM = SystemActor()


def is_system(user) -> bool:
    return getattr(user, "is_system", False)


def act_as_consumer(complaint, user) -> bool:
    return not is_system(user) and user.is_authenticated and user.pk == complaint.consumer_id


def store_membership(complaint, user):
    """The user's membership of the complaint's store, or None (anyone else, the system)."""
    if is_system(user) or not user.is_authenticated:
        return None
    membership = getattr(user, "merchant_membership", None)
    if membership is None or membership.merchant_id != complaint.merchant_id:
        return None
    return membership


def act_for_merchant(complaint, user) -> bool:
    """A member of the complaint's store whom the owner lets answer complaints (the owner
    always): every merchant step but reading goes through here."""
    membership = store_membership(complaint, user)
    return membership is not None and membership.can_answer


def offer_for_merchant(complaint, user) -> bool:
    """A member who may make offers; how much each offer may be, the service judges."""
    membership = store_membership(complaint, user)
    return membership is not None and membership.can_settle


def accept_for_merchant(complaint, user) -> bool:
    """Accepting a claim commits the store to paying the claimed amount: it needs the grant
    to settle at least that much, as an offer of that amount would."""
    membership = store_membership(complaint, user)
    return membership is not None and membership.may_settle(complaint.claimed_amount)


def act_as_system(complaint, user) -> bool:
    return is_system(user)


def escalate(complaint, user) -> bool:
    return is_system(user) or act_as_consumer(complaint, user)


def _is_reviewer(user) -> bool:
    if is_system(user) or not (user.is_authenticated and user.is_staff):
        return False
    return bool(roles.user_roles(user) & {roles.REVIEWERS, roles.SENIOR_REVIEWERS})


def _is_senior(user) -> bool:
    return _is_reviewer(user) and roles.has_role(user, roles.SENIOR_REVIEWERS)


def is_reviewer(complaint, user) -> bool:
    return _is_reviewer(user)


def is_assigned_reviewer(complaint, user) -> bool:
    return _is_reviewer(user) and complaint.assigned_reviewer_id == user.pk


def is_approving_senior(complaint, user) -> bool:
    """Four eyes: a senior reviewer who did not make the decision waiting for approval."""
    if not _is_senior(user):
        return False
    pending = complaint.pending_decision
    return pending is not None and pending.decided_by_id != user.pk


def is_resolving_senior(complaint, user) -> bool:
    """An appeal goes to a senior reviewer who neither decided nor approved the complaint."""
    if not _is_senior(user):
        return False
    involved = {d.decided_by_id for d in complaint.decisions.all()} | {
        d.approved_by_id for d in complaint.decisions.all()
    }
    return user.pk not in involved


def act_as_party(complaint, user) -> bool:
    return act_as_consumer(complaint, user) or act_for_merchant(complaint, user)


def act_as_party_or_system(complaint, user) -> bool:
    return is_system(user) or act_as_party(complaint, user)


# --- conditions -------------------------------------------------------------------------


def merchant_silent_past_deadline(complaint) -> bool:
    return (
        not complaint.merchant_answer
        and complaint.due_at is not None
        and complaint.due_at <= complaint.now
    )


def may_escalate_now(complaint) -> bool:
    """After a refusal, a declined or expired offer, or the merchant's silence past 48 h."""
    if complaint.merchant_answer == complaint.MerchantAnswer.REFUSED:
        return True
    if complaint.merchant_answer == complaint.MerchantAnswer.OFFERED:
        return complaint.open_offer is None
    return merchant_silent_past_deadline(complaint)


def has_open_offer(complaint) -> bool:
    offer = complaint.open_offer
    return offer is not None and offer.expires_at > complaint.now


def has_no_open_offer(complaint) -> bool:
    return complaint.open_offer is None


def merchant_may_still_answer(complaint) -> bool:
    return complaint.merchant_answer != complaint.MerchantAnswer.REFUSED and has_no_open_offer(
        complaint
    )


def within_reopen_window(complaint) -> bool:
    return complaint.reopen_until is not None and complaint.now < complaint.reopen_until


def no_open_info_request(complaint) -> bool:
    return not any(r.is_open for r in complaint.info_requests.all())


def pay_first_open(complaint) -> bool:
    """The merchant's 72 h to pay first: at `due_at` the deposit is charged instead."""
    return complaint.due_at is not None and complaint.now < complaint.due_at


def pay_first_lapsed(complaint) -> bool:
    return complaint.due_at is not None and complaint.due_at <= complaint.now


def within_appeal_window(complaint) -> bool:
    return complaint.due_at is not None and complaint.now < complaint.due_at


def appeal_window_over(complaint) -> bool:
    return complaint.due_at is not None and complaint.due_at <= complaint.now


def not_appealed_yet(complaint) -> bool:
    return not hasattr(complaint, "appeal_record")


def appeal_ready(complaint) -> bool:
    appeal = getattr(complaint, "appeal_record", None)
    return appeal is not None and appeal.ready_for_resolution


def decision_late(complaint) -> bool:
    """The decision target passed and the case is not flagged yet."""
    return (
        not complaint.decision_overdue
        and complaint.decision_due_at is not None
        and complaint.decision_due_at <= complaint.now
    )
