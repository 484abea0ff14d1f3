from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DepositsConfig(AppConfig):
    name = "deposits"
    verbose_name = _("Deposits")

    def ready(self):
        from common.effective import forget_on_change

        from .models import DepositPolicy, DepositTier

        forget_on_change(DepositPolicy)
        forget_on_change(DepositTier, also=(DepositPolicy,))

        # merchants is the lower layer and cannot call deposits; it announces fact changes
        # to whoever registered, and the requirement follows them in the same transaction.
        from merchants.services import STORE_FACTS_CHANGED

        from .services import recompute_after_store_facts_change

        if recompute_after_store_facts_change not in STORE_FACTS_CHANGED:
            STORE_FACTS_CHANGED.append(recompute_after_store_facts_change)
