from django.urls import reverse


def logs_in(client, username: str, password: str) -> bool:
    """Whether the login form takes these credentials, as a person would type them (the
    login lockout needs the request that `client.login` does not give)."""
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


def pass_second_factor(client, user) -> None:
    """Mark the client's console session as past the second factor, as entering the
    authenticator app's code does."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "authenticator"}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def app_code(device) -> str:
    """The six digits an authenticator app holding this device's key shows now."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def logs_in_to_console(client, user, password: str) -> bool:
    """Whether a console user gets through both steps of logging in: the password, then
    the code of an authenticator app enrolled beforehand."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "authenticator"}
    )
    if not logs_in(client, user.username, password):
        return False
    response = client.post(reverse("accounts:two_factor"), {"code": app_code(device)})
    return response.status_code == 302 and response.url == reverse("admin:index")
