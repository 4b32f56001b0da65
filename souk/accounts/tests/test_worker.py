"""A real Celery worker, consuming from Redis, completes a task dispatched after commit."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from config.celery import app as celery_app
from souk.accounts.models import OtpCode


@pytest.fixture
def real_worker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()  # a message left by an interrupted run must not be consumed here
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        celery_app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_otp_email_is_sent_by_a_worker_after_commit(api_client, user_factory, real_worker):
    user = user_factory(email="worker@example.com")

    response = api_client.post(
        "/api/accounts/otp/request/", {"target": user.email, "purpose": "login"}, format="json"
    )

    assert response.status_code == 202
    deadline = time.monotonic() + 15
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [message.to for message in mail.outbox] == [["worker@example.com"]]
    assert OtpCode.objects.get().sent_at is not None
