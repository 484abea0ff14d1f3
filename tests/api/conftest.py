"""Clients of the integration API and a way to call it as they would."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import cache

from api.models import Scope
from api.services import create_client
from deposits import services as deposit_services
from deposits.destinations import Destination
from deposits.models import Disbursement
from tests.factories import ConsumerFactory, DepositAccountFactory, MerchantFactory, UserFactory


@dataclass
class Caller:
    """A client of the API and its key, calling through Django's test client."""

    client: object
    secret: str
    http: object

    def _headers(self, headers):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.secret}", **(headers or {})}

    def get(self, path, params=None, **headers):
        return self.http.get(path, params or {}, **self._headers(headers))

    def post(self, path, body=None, **headers):
        return self.http.post(
            path, body or {}, content_type="application/json", **self._headers(headers)
        )

    def put(self, path, body=None, **headers):
        return self.http.put(
            path, body or {}, content_type="application/json", **self._headers(headers)
        )

    def upload(self, path, data, **headers):
        return self.http.post(path, data, **self._headers(headers))

    def with_http(self, http) -> "Caller":
        return Caller(client=self.client, secret=self.secret, http=http)


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def store(db):
    return MerchantFactory()


@pytest.fixture
def other_store(db):
    return MerchantFactory()


def make_caller(http, superuser, *, name, scopes, merchant=None, **grants) -> Caller:
    client, issued = create_client(
        actor=superuser,
        name=name,
        contact_email=f"{name.lower().replace(' ', '-')}@example.test",
        scopes=scopes,
        merchant=merchant,
        **grants,
    )
    return Caller(client=client, secret=issued.secret, http=http)


@pytest.fixture
def store_erp(client, superuser, store):
    """The store's ERP: reads and answers its complaints, offers up to ¥100."""
    return make_caller(
        client,
        superuser,
        name="Store ERP",
        scopes=[Scope.COMPLAINTS_READ, Scope.COMPLAINTS_WRITE],
        merchant=store,
        offer_limit=Decimal("100.00"),
    )


@pytest.fixture
def store_reader(client, superuser, store):
    return make_caller(
        client, superuser, name="Store reader", scopes=[Scope.COMPLAINTS_READ], merchant=store
    )


@pytest.fixture
def order_system(client, superuser):
    return make_caller(client, superuser, name="Order system", scopes=[Scope.ORDERS_WRITE])


@pytest.fixture
def payment_system(client, superuser):
    return make_caller(client, superuser, name="Payment system", scopes=[Scope.DISBURSEMENTS_WRITE])


@pytest.fixture
def pending_payout(db):
    return deposit_services.pay_out(
        account=DepositAccountFactory(paid_in=Decimal("100000.00")),
        reference="complaint:TS1",
        amount=Decimal("209.00"),
        payee=ConsumerFactory(),
        destination=Destination.of(method=Disbursement.Method.ALIPAY, number="13812341234"),
        idempotency_key="payout-1",
    ).disbursement
