import json
import logging
from decimal import Decimal

import pytest
from django.urls import reverse

from common import requestid
from common.logs import JsonFormatter, RequestIdFilter
from deposits import services as deposit_services
from outbox.models import OutboundMessage
from tests.factories import ConsumerFactory, DepositAccountFactory, SeniorReviewerFactory

pytestmark = pytest.mark.django_db


def formatted(record: logging.LogRecord) -> dict:
    RequestIdFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_a_json_line_holds_the_message_its_fields_and_the_request_id():
    token = requestid.current_request_id.set("abcdef123456")
    try:
        record = logging.makeLogRecord(
            {
                "name": "ledger",
                "levelname": "INFO",
                "msg": "paid %s",
                "args": ("¥5",),
                "amount": Decimal("5.00"),
            }
        )
        line = formatted(record)
    finally:
        requestid.current_request_id.reset(token)
    assert line["message"] == "paid ¥5"
    assert line["logger"] == "ledger" and line["level"] == "INFO"
    assert line["request_id"] == "abcdef123456"
    assert line["amount"] == "5.00"
    assert line["time"].endswith("+00:00")


def test_a_json_line_carries_the_traceback_of_an_error():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.makeLogRecord({"msg": "failed", "exc_info": sys.exc_info()})
    assert "ValueError: boom" in formatted(record)["exception"]


def test_each_request_is_logged_once_by_its_route_and_answers_with_its_id(client, caplog):
    consumer = ConsumerFactory()
    client.force_login(consumer)
    caplog.set_level(logging.INFO, logger="requests")

    response = client.get(
        reverse("disputes:consumer_complaints"), HTTP_X_REQUEST_ID="lb-0123456789"
    )

    assert response["X-Request-ID"] == "lb-0123456789"
    [line] = [r for r in caplog.records if r.name == "requests"]
    assert (line.method, line.status, line.user_id) == ("GET", 200, consumer.pk)
    assert line.route == "/complaints/"
    assert line.duration_ms >= 0


def test_a_proposed_request_id_that_is_not_an_id_is_replaced(client):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="evil\nFAKE LOG LINE")
    assert response["X-Request-ID"] != "evil\nFAKE LOG LINE"
    assert len(response["X-Request-ID"]) == 32


def test_a_path_holding_a_one_time_token_is_logged_by_its_pattern(client, caplog):
    caplog.set_level(logging.INFO, logger="requests")
    client.get("/accounts/set-password/MQ/secret-token-value/")
    [line] = [r for r in caplog.records if r.name == "requests"]
    assert "secret-token-value" not in line.getMessage() + line.route


def test_each_ledger_entry_is_logged_with_its_amounts(caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.INFO, logger="ledger")
    account = DepositAccountFactory(paid_in=Decimal("1000.00"))
    with django_capture_on_commit_callbacks(execute=True):
        entry = deposit_services.adjust(
            account=account,
            balance_delta=Decimal("-10.00"),
            arrears_delta=Decimal("0"),
            memo="Bank fee",
            actor=SeniorReviewerFactory(),
            idempotency_key="fee-1",
        )
    [line] = [r for r in caplog.records if r.name == "ledger"]
    assert (line.entry_id, line.account_id, line.balance_delta) == (
        entry.pk,
        account.pk,
        Decimal("-10.00"),
    )


def test_a_message_queued_by_a_request_carries_its_id(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:signup"),
            {"identifier": "new@example.com", "display_name": "新用户"},
            HTTP_X_REQUEST_ID="signup-request-01",
        )
    assert response.status_code in (200, 302)
    assert OutboundMessage.objects.get().request_id == "signup-request-01"
