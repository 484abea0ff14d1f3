from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def open_complaints_block_exit(merchant):
    from .models import Complaint
    from .selectors import LIVE_STATUSES

    if Complaint.objects.filter(merchant=merchant, status__in=LIVE_STATUSES).exists():
        return _("The store still has open complaints.")
    return None


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("Complaints")

    def ready(self):
        from common.effective import forget_on_change
        from deposits.services import EXIT_BLOCKERS

        from . import page_versions
        from .models import CompensationRule, DeadlinePolicy, Holiday

        for model in (CompensationRule, DeadlinePolicy, Holiday):
            forget_on_change(model)

        page_versions.connect()

        if open_complaints_block_exit not in EXIT_BLOCKERS:
            EXIT_BLOCKERS.append(open_complaints_block_exit)
