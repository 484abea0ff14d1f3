from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from django.core import checks
        from django.db.models.signals import post_save
        from django_fsm.signals import post_transition

        from . import encryption, receivers

        post_transition.connect(
            receivers.complaint_status_changed, dispatch_uid="webhooks_complaint_status"
        )
        post_save.connect(
            receivers.disbursement_saved,
            sender="deposits.Disbursement",
            dispatch_uid="webhooks_disbursement_saved",
        )
        checks.register(encryption.check_keys, checks.Tags.security)
        checks.register(encryption.check_production_keys, checks.Tags.security, deploy=True)
