import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from api.models import Scope
from api.services import create_client
from tests.disputes.conftest import (  # noqa: F401 (fixtures)
    complaint,
    consumer,
    file,
    order,
    other_store,
    store,
)
from tests.factories import UserFactory
from webhooks import services
from webhooks.models import EventType

STORE_EVENTS = [t for t in EventType.values if not t.startswith("payout.")]
PAYOUT_EVENTS = [t for t in EventType.values if t.startswith("payout.")]


@pytest.fixture(autouse=True)
def _local_http(settings):
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = True


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True, username="root@platform.test")


@dataclass
class Received:
    headers: dict
    body: bytes


@dataclass
class Receiver:
    """A local endpoint answering each POST with the next scripted status (then 200); an
    event in `refused` gets 500 every time."""

    url: str
    answers: list = field(default_factory=list)
    refused: set = field(default_factory=set)
    received: list = field(default_factory=list)

    def answer(self, body: bytes) -> int:
        if json.loads(body)["id"] in self.refused:
            return 500
        return self.answers.pop(0) if self.answers else 200

    def events(self) -> list[dict]:
        return [json.loads(r.body) for r in self.received]


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(Received(dict(self.headers), body))
            self.send_response(state.answer(body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield state
    server.shutdown()
    server.server_close()


def store_client(superuser, merchant, *, name="Store ERP", scopes=(Scope.COMPLAINTS_READ,)):
    client, _key = create_client(
        actor=superuser,
        name=name,
        contact_email=f"{name.replace(' ', '').lower()}@store.test",
        scopes=list(scopes),
        merchant=merchant,
    )
    return client


def payment_client(superuser):
    client, _key = create_client(
        actor=superuser,
        name="Payment system",
        contact_email="ops@pay.test",
        scopes=[Scope.DISBURSEMENTS_WRITE],
    )
    return client


def subscribe(superuser, client, url="https://hooks.example.com/in", event_types=None):
    """The subscription and its secret."""
    if event_types is None:
        event_types = PAYOUT_EVENTS if client.merchant_id is None else STORE_EVENTS
    return services.create_subscription(
        actor=superuser, client=client, url=url, event_types=event_types
    )
