from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def open_complaints_block_exit(merchant):
    from .models import Complaint
    from .selectors import LIVE_STATUSES

    if Complaint.objects.filter(merchant=merchant, status__in=LIVE_STATUSES).exists():
        return _("The store still has open complaints.")
    return None


def forget_store_notices(member):
    """A member removed from a store keeps no window into its complaints: the notices they
    were sent about them go (the complaints' own history keeps what they did)."""
    from .models import Notification

    Notification.objects.filter(
        user_id=member.user_id, complaint__merchant_id=member.merchant_id
    ).delete()


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("Complaints")

    def ready(self):
        from common.effective import forget_on_change
        from deposits.services import EXIT_BLOCKERS
        from merchants.services import STAFF_REMOVED

        from . import page_versions
        from .models import CompensationRule, DeadlinePolicy, Holiday

        for model in (CompensationRule, DeadlinePolicy, Holiday):
            forget_on_change(model)

        page_versions.connect()

        if open_complaints_block_exit not in EXIT_BLOCKERS:
            EXIT_BLOCKERS.append(open_complaints_block_exit)

        if forget_store_notices not in STAFF_REMOVED:
            STAFF_REMOVED.append(forget_store_notices)
