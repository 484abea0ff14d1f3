"""Version 1 of the integration API: the django-ninja instance and its endpoints."""

from ninja import NinjaAPI

from . import errors
from .endpoints import complaints, orders, payouts

api = NinjaAPI(
    title="Deposit Claims integration API",
    version="1",
    description="Orders in, complaints read and answered, payouts reported. See docs/api.md.",
    urls_namespace="api-v1",
)
errors.install(api)
api.add_router("/orders", orders.router)
api.add_router("/complaints", complaints.router)
api.add_router("/payouts", payouts.router)
