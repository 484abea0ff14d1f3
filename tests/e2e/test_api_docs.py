import pytest

# Transactional, because the live server reads the data from another thread.
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_render_under_the_sites_content_security_policy(open_page):
    """Swagger UI draws the API's operations with nothing refused by the policy (a refused
    script or style would be a console error, which the fixture fails on)."""
    page = open_page("en")
    page.goto(page.base + "/api/v1/docs")
    page.wait_for_selector(".opblock-tag", timeout=15000)
    assert page.get_by_text("/api/v1/complaints/{number}/offers").first.is_visible()
    page.shot("api-docs")
