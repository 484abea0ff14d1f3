import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command

from accounts import roles
from merchants.forms import ORDER_COLUMNS
from merchants.models import Order
from tests.factories import ConsumerFactory, MerchantFactory
from tests.login import logs_in

pytestmark = pytest.mark.django_db

User = get_user_model()


def _row(**overrides):
    row = {
        "order_number": "T20261101001",
        "consumer": "buyer@example.com",
        "consumer_name": "买家甲",
        "merchant_code": "store-a",
        "item_title": "无线耳机",
        "goods_amount": "299.00",
        "postage": "10.00",
        "refunded_amount": "",
        "paid_at": "2026-11-01 10:00:00",
        "ship_by": "",
        "shipped_at": "2026-11-02 09:00:00",
        "delivered_at": "2026-11-04 15:30:00",
        "completed_at": "",
    }
    row.update(overrides)
    return row


def _write(tmp_path, rows, columns=ORDER_COLUMNS):
    path = tmp_path / "orders.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _import(path):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orders", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def store():
    return MerchantFactory(code="store-a")


def test_a_good_file_imports_every_order_with_times_in_shanghai(tmp_path, store):
    path = _write(tmp_path, [_row(), _row(order_number="T20261101002", consumer="13800001111")])
    out, _ = _import(path)
    assert "Imported 2 new order(s)" in out
    order = Order.objects.get(order_number="T20261101001")
    assert order.merchant == store
    assert order.goods_amount == Decimal("299.00")
    assert order.paid_at.isoformat() == "2026-11-01T02:00:00+00:00"
    assert order.completed_at is None


def test_an_unknown_consumer_gets_an_account_without_a_usable_password(tmp_path, store):
    _import(_write(tmp_path, [_row(consumer="New.Buyer@Example.com")]))
    user = User.objects.get(username="new.buyer@example.com")
    assert not user.has_usable_password()
    assert user.display_name == "买家甲"
    assert user.groups.filter(name=roles.CONSUMERS).exists()


def test_a_known_consumer_keeps_their_account(tmp_path, store):
    consumer = ConsumerFactory(username="13800001111")
    _import(_write(tmp_path, [_row(consumer="+86 138-0000-1111")]))
    assert Order.objects.get().consumer == consumer
    assert User.objects.filter(username="13800001111").count() == 1


def test_bad_rows_are_reported_by_line_with_the_reason_and_nothing_is_imported(tmp_path, store):
    rows = [
        _row(),
        _row(order_number="T2", consumer="not-an-account"),
        _row(order_number="T3", goods_amount="-5"),
        _row(order_number="T4", merchant_code="nobody"),
        _row(order_number="T5", shipped_at="2026-10-01 00:00:00"),
        _row(order_number="T6", goods_amount="1.234"),
        _row(order_number="T7", refunded_amount="300.00"),
        _row(order_number="T8", paid_at="yesterday"),
        _row(),
    ]
    with pytest.raises(CommandError, match="8 bad row"):
        _import(_write(tmp_path, rows))
    assert Order.objects.count() == 0
    assert not User.objects.filter(username="buyer@example.com").exists()


def test_each_bad_line_is_named_in_the_report(tmp_path, store):
    path = _write(tmp_path, [_row(), _row(order_number="T2", merchant_code="nobody")])
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_orders", str(path), stderr=err)
    assert "line 3:" in err.getvalue()
    assert "nobody" in err.getvalue()
    assert "line 2:" not in err.getvalue()


def test_a_repeated_order_number_in_one_file_is_refused(tmp_path, store):
    with pytest.raises(CommandError):
        _import(_write(tmp_path, [_row(), _row()]))
    assert Order.objects.count() == 0


def test_importing_the_same_file_again_changes_nothing(tmp_path, store):
    path = _write(tmp_path, [_row()])
    _import(path)
    out, _ = _import(path)
    assert "0 new order(s), updated 0, 1 unchanged" in out
    assert Order.objects.count() == 1


def test_a_later_export_updates_the_orders_progress(tmp_path, store):
    _import(_write(tmp_path, [_row()]))
    out, _ = _import(_write(tmp_path, [_row(completed_at="2026-11-10 12:00:00")]))
    assert "updated 1" in out
    assert Order.objects.get().completed_at is not None


def test_an_existing_order_cannot_change_consumer_or_amount(tmp_path, store):
    _import(_write(tmp_path, [_row()]))
    with pytest.raises(CommandError):
        _import(_write(tmp_path, [_row(goods_amount="1.00")]))
    assert Order.objects.get().goods_amount == Decimal("299.00")


def test_missing_and_unknown_columns_are_refused(tmp_path, store):
    columns = [c for c in ORDER_COLUMNS if c != "paid_at"]
    row = {k: v for k, v in _row().items() if k != "paid_at"}
    with pytest.raises(CommandError):
        _import(_write(tmp_path, [row], columns=columns))
    with pytest.raises(CommandError):
        _import(_write(tmp_path, [{**_row(), "color": "red"}], columns=[*ORDER_COLUMNS, "color"]))
    assert Order.objects.count() == 0


def test_a_file_that_is_not_utf8_or_missing_is_a_clear_error(tmp_path, store):
    path = tmp_path / "orders.csv"
    path.write_bytes("order_number\n订单".encode("gbk"))
    with pytest.raises(CommandError, match="UTF-8"):
        _import(path)
    with pytest.raises(CommandError, match="No such file"):
        _import(tmp_path / "missing.csv")


def test_an_empty_file_is_refused(tmp_path, store):
    with pytest.raises(CommandError):
        _import(_write(tmp_path, []))


def test_an_imported_consumer_claims_the_account_and_sees_their_orders(
    client, tmp_path, store, django_capture_on_commit_callbacks
):
    _import(_write(tmp_path, [_row()]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", {"identifier": "buyer@example.com"})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/set-password/" in line)
    page = client.get(link.strip(), follow=True)
    client.post(
        page.request["PATH_INFO"],
        {"new_password1": "a-long-Pass-phrase-9", "new_password2": "a-long-Pass-phrase-9"},
    )
    assert logs_in(client, "buyer@example.com", "a-long-Pass-phrase-9")
    assert "无线耳机" in client.get("/orders/").content.decode()
