"""How fast the deadline processor moves due complaints, and what one payout costs.

Creates its own throw-away test database (SQLite in memory, or `test_<name>` next to the
database DATABASE_URL names), so it never touches real data:
    .venv/bin/python scripts/bench_deadlines.py [--complaints 500]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claims \
        .venv/bin/python scripts/bench_deadlines.py
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deposit_claims.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=500)
    args = parser.parse_args()
    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            run(args.complaints)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


def run(count: int):
    from disputes import services
    from disputes.deadlines import process_due_complaints
    from disputes.models import Complaint
    from tests.factories import (
        ConsumerFactory,
        DepositAccountFactory,
        MerchantMemberFactory,
        OrderFactory,
    )

    account = DepositAccountFactory(paid_in=Decimal("10000000.00"))
    MerchantMemberFactory(merchant=account.merchant, role="owner")
    consumer = ConsumerFactory()
    filed = time.perf_counter()
    for _ in range(count):
        order = OrderFactory(merchant=account.merchant, consumer=consumer)
        services.file_complaint(
            order=order,
            consumer=consumer,
            kind="after_sales",
            description="x",
            claimed_amount=Decimal("50.00"),
        )
    filing = (time.perf_counter() - filed) / count
    Complaint.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    started = time.perf_counter()
    moved = process_due_complaints(timezone.now())
    elapsed = time.perf_counter() - started
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {vendor}; complaints: {count}")
    print(f"filing a complaint (service, incl. notifications): {filing * 1000:.1f} ms each")
    print(
        f"deadline processor: {moved} silent-merchant escalations with holds in {elapsed:.2f} s "
        f"({moved / elapsed:.0f} per second, {elapsed / moved * 1000:.1f} ms each)"
    )


if __name__ == "__main__":
    main()
