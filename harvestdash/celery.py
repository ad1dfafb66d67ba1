import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harvestdash.settings")

app = Celery("harvestdash")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
