import subprocess
import sys

import pytest
from django.urls import reverse

from tests.factories import ConsumerFactory, PlatformUserFactory
from tests.test_deploy_env import ROOT

pytestmark = pytest.mark.django_db

STRICT = ("script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'")


def assert_strict(response):
    policy = response["Content-Security-Policy"]
    assert all(directive in policy for directive in STRICT), policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "camera=()" in response["Permissions-Policy"]


def test_a_party_page_the_console_and_the_login_page_all_carry_the_policy(client):
    assert_strict(client.get(reverse("accounts:login")))
    client.force_login(ConsumerFactory())
    assert_strict(client.get(reverse("disputes:consumer_complaints")))
    client.force_login(PlatformUserFactory())
    assert_strict(client.get(reverse("admin:index")))


def test_report_only_mode_is_one_environment_variable():
    printed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import deposit_claims.settings as s; "
            "print(hasattr(s, 'CONTENT_SECURITY_POLICY'), "
            "hasattr(s, 'CONTENT_SECURITY_POLICY_REPORT_ONLY'))",
        ],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_CSP_REPORT_ONLY": "true"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert printed == ["False", "True"]
