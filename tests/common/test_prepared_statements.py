"""On PostgreSQL the server binds parameters, so a statement a connection repeats is
prepared once and not planned again (deposit_claims/settings.py)."""

import pytest
from django.db import connection

from accounts.models import User
from tests.factories import ConsumerFactory


@pytest.mark.postgres
def test_a_repeated_read_is_prepared_on_its_connection():
    consumers = ConsumerFactory.create_batch(6)
    for consumer in consumers:
        assert User.objects.filter(pk=consumer.pk).first() == consumer

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "accounts_user" WHERE "accounts_user"."id" = $1%'],
        )
        (prepared,) = cursor.fetchone()
    assert prepared >= 1
