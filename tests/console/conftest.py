import pytest


@pytest.fixture
def client(client):
    """Console pages in English, the language these tests read them in."""
    client.cookies["django_language"] = "en"
    return client
