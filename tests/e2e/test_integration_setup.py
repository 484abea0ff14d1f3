"""A superuser connects a store's ERP in the console (its key shown once, a signed webhook
subscription), and the ERP then reads and answers a complaint with no person in between,
hearing of it through the webhook."""

import hashlib
import hmac
import json
import urllib.request

import pytest

from accounts.demo import DEMO_PASSWORD
from api.models import ApiClient
from disputes import services
from tests.e2e.conftest import DESKTOP, PHONE, log_in_to_console
from tests.factories import UserFactory
from tests.webhooks.conftest import receiver  # noqa: F401 (fixture)
from webhooks.models import Subscription

# Transactional, because the live server reads the data from another thread.
pytestmark = pytest.mark.django_db(transaction=True)


def call(base, key, method, path, body=None):
    request = urllib.request.Request(  # noqa: S310 - the test's own server
        base + "/api/v1" + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the test's server
        return json.loads(response.read())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_store_system_connected_in_the_console_answers_a_complaint_by_itself(
    open_page,
    parties,
    receiver,  # noqa: F811 - the fixture imported above
    language,
    viewport,
    settings,
):
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = True
    root = UserFactory(
        username="root@platform.test", is_superuser=True, is_staff=True, password=DEMO_PASSWORD
    )
    complaint = services.file_complaint(
        order=parties.order,
        consumer=parties.consumer,
        kind="description_mismatch",
        description="页面写银色，收到的是灰色。",
        claimed_amount=parties.order.goods_amount,
    )
    store = parties.order.merchant

    page = open_page(language, viewport)
    log_in_to_console(page, root, DEMO_PASSWORD)
    page.goto(page.base + "/admin/api/apiclient/add/")
    page.fill("#id_name", "Store ERP")
    page.fill("#id_contact_email", "erp@store.test")
    page.check("input[name=scopes][value='complaints:read']")
    page.check("input[name=scopes][value='complaints:write']")
    page.select_option("#id_merchant", str(store.pk))
    page.fill("#id_offer_limit", "2000")
    page.shot("console-api-client-add")
    page.click("input[name=_save]")
    page.wait_for_load_state()
    key = page.locator("code.mono").first.inner_text().strip()
    assert key.startswith("dcapi_")
    page.shot("console-api-key-shown-once")
    client = ApiClient.objects.get(name="Store ERP")

    page.goto(page.base + "/admin/webhooks/subscription/add/")
    page.select_option("#id_client", str(client.pk))
    page.fill("#id_url", receiver.url)
    page.check("input[name=event_types][value='complaint.status_changed']")
    page.check("input[name=event_types][value='complaint.filed']")
    page.click("input[name=_save]")
    page.wait_for_load_state()
    secret = page.locator("code.webhook-secret").inner_text().strip()
    page.shot("console-webhook-secret-shown-once")
    assert Subscription.objects.get().client == client

    listed = call(page.base, key, "GET", "/complaints")
    assert [c["number"] for c in listed["items"]] == [complaint.number]
    answered = call(page.base, key, "POST", f"/complaints/{complaint.number}/accept")

    complaint.refresh_from_db()
    assert answered["status"] == complaint.status != "negotiating"
    [delivered] = receiver.received
    timestamp, signature = (
        part.split("=", 1)[1] for part in delivered.headers["X-Claims-Signature"].split(",")
    )
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + delivered.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(signature, expected)
    assert json.loads(delivered.body)["data"]["complaint"] == complaint.number
