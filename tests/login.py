from django.urls import reverse


def logs_in(client, username: str, password: str) -> bool:
    """Whether the login form takes these credentials, as a person would type them (the
    login lockout needs the request that `client.login` does not give)."""
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session
