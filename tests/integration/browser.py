"""A person's browser for the servers the integration tests start: cookies kept, redirects
not followed, forms posted with their page's CSRF token."""

import re
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from django.urls import reverse

PASSWORD = "pass-1234-word"  # tests.factories.UserFactory's


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's cookies, sent to whichever server the load balancer picks (loopback
    http URLs only: S310 does not apply)."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _KeepRedirects()
        )

    def get(self, url: str) -> tuple[int, str]:
        status, _headers, body = self.fetch(url)
        return status, body.decode()

    def fetch(self, url: str) -> tuple[int, dict, bytes]:
        return self._open(urllib.request.Request(url))  # noqa: S310

    def post(self, url: str, form_page: str, data: dict) -> tuple[int, str]:
        """Submit a form with the CSRF token of the page it sits on."""
        _status, page = self.get(form_page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310
        status, _headers, answer = self._open(request)
        return status, answer.decode()

    def _open(self, request) -> tuple[int, dict, bytes]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as answer:
            return answer.code, dict(answer.headers), answer.read()


def log_in(browser: Browser, server: str, username: str) -> None:
    login = server + reverse("accounts:login")
    status, _page = browser.post(login, login, {"username": username, "password": PASSWORD})
    assert status == 302, "the login was refused"
