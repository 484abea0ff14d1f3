"""Mail and SMS backends that fail on demand, for the delivery tests."""

from django.core.mail.backends.locmem import EmailBackend

from outbox import sms

failures_left = {"email": 0, "sms": 0}


class FlakyEmailBackend(EmailBackend):
    def send_messages(self, messages):
        if failures_left["email"] > 0:
            failures_left["email"] -= 1
            raise ConnectionRefusedError("mail server down")
        return super().send_messages(messages)


class FlakySmsBackend(sms.LocmemBackend):
    def send(self, to: str, body: str) -> None:
        if failures_left["sms"] > 0:
            failures_left["sms"] -= 1
            raise TimeoutError("gateway timed out")
        super().send(to, body)
