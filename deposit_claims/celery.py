import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deposit_claims.settings")

app = Celery("deposit_claims")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
