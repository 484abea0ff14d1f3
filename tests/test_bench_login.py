"""The benchmark harness logs its users in over HTTP, as a browser does: a console user
passes the second step too."""

import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

from benchlib.load import log_in, request  # noqa: E402
from benchlib.pages import recovery_code  # noqa: E402

from tests.factories import PlatformUserFactory  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pass-1234-word"  # the factories'


def test_the_harness_logs_a_console_user_in_past_the_second_step(live_server):
    reviewer = PlatformUserFactory()

    session = log_in(
        live_server.url,
        reviewer.username,
        PASSWORD,
        second_factor=lambda: recovery_code(reviewer.username),
    )

    assert request(live_server.url, "GET", "/admin/", cookies=session.cookies)[0] == 200


def test_without_a_second_factor_the_harness_says_why_a_console_login_stops(live_server):
    reviewer = PlatformUserFactory()
    with pytest.raises(RuntimeError, match="needs a second factor"):
        log_in(live_server.url, reviewer.username, PASSWORD)
