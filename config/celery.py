"""Celery application: Redis or RabbitMQ broker, tasks dispatched after the transaction commits."""

import os

from celery import Celery
from celery.signals import celeryd_after_setup

from souk.core.queues import declare_all_queues

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("souk", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# RabbitMQ: every worker declares every queue, so that it binds them all for delayed delivery.
celeryd_after_setup.connect(declare_all_queues, weak=False)
