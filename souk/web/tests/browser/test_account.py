"""The account pages in Chromium: sign up, log out, log in with a password and with a one-time
code, the bell's count following new notifications, marking all read, the address book."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from souk.accounts.models import Address, User
from souk.accounts.tests.factories import PASSWORD
from souk.notifications.models import Kind, Notification
from souk.notifications.services.inbox import unread_forget

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def log_in(page, base: str, identifier: str, password: str = PASSWORD, next_path: str = "") -> None:
    page.goto(f"{base}/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Email or phone number").fill(identifier)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_sign_up_add_an_address_log_out_and_log_in_again(page, live_server, shot):
    base = live_server.url
    page.goto(f"{base}/signup/")
    shot(page, "account-signup")

    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#id_email_error")).to_contain_text("may not be blank")
    assert not User.objects.exists()

    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Email").fill("ana@example.com")
    page.get_by_label("Password").fill("Quiet-Harbour-42")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(f"{base}/")
    assert User.objects.get(email="ana@example.com").role == "customer"

    page.goto(f"{base}/addresses/")
    expect(page.get_by_text("No addresses yet")).to_be_visible()
    page.get_by_label("Recipient").fill("Ana Lima")
    page.get_by_label("Street address").fill("1 Clay Street")
    page.get_by_label("City").fill("Porto")
    page.get_by_label("Country code").fill("PT")
    page.get_by_role("button", name="Save address").click()
    expect(page.get_by_text("Address added.")).to_be_visible()
    expect(page.locator(".address-card")).to_have_count(1)
    expect(page.locator(".address-card .status-ok")).to_have_text("Default")
    shot(page, "account-addresses")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/addresses/")
    page.wait_for_url(re.compile(r"/login/\?next=/addresses/$"))
    shot(page, "account-login")

    page.get_by_label("Email or phone number").fill("ana@example.com")
    page.get_by_label("Password", exact=True).fill("not-my-password")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("is not right")

    page.get_by_label("Password", exact=True).fill("Quiet-Harbour-42")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(f"{base}/addresses/")
    expect(page.get_by_text("Welcome back, Ana.")).to_be_visible()
    assert Address.objects.filter(user__email="ana@example.com").count() == 1


def test_log_in_with_a_one_time_code(page, live_server, shot, customer, mailoutbox):
    base = live_server.url
    page.goto(f"{base}/login/?next=/notifications/")
    page.get_by_role("link", name="Email or text me a one-time code instead").click()
    page.get_by_label("Email or phone number").fill(customer.email)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_label("6-digit code")).to_be_visible()
    shot(page, "account-otp")

    assert len(mailoutbox) == 1
    code = re.search(r"\b(\d{6})\b", mailoutbox[0].body).group(1)
    page.get_by_label("6-digit code").fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator("#id_code_error")).to_contain_text("wrong, expired or already used")

    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(f"{base}/notifications/")
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()


def test_the_bell_follows_new_notifications_and_mark_all_read(
    page, live_server, shot, customer, settings
):
    settings.WEB_BELL_POLL_SECONDS = 1
    base = live_server.url
    log_in(page, base, customer.email, next_path="/notifications/")
    page.wait_for_url(f"{base}/notifications/")
    badge = page.locator("#bell .badge")
    expect(badge).to_have_text("0")
    expect(page.get_by_text("No notifications yet")).to_be_visible()

    for title in ("Your order S-1 was paid", "Your order S-1 has shipped"):
        Notification.objects.create(
            recipient=customer, kind=Kind.ORDER_PAID, title=title, body="Thank you!"
        )
    unread_forget([customer.pk])

    expect(badge).to_have_text("2")  # polled, no reload
    page.reload()
    expect(page.locator(".inbox-item.unread")).to_have_count(2)
    shot(page, "account-notifications")

    page.get_by_role("button", name=re.compile(r"^Mark as read\W+Your order S-1 was paid$")).click()
    expect(page.locator(".inbox-item.unread")).to_have_count(1)
    expect(badge).to_have_text("1")

    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("All caught up: 1 marked as read.")).to_be_visible()
    expect(badge).to_have_text("0")
    assert not Notification.objects.filter(recipient=customer, read_at__isnull=True).exists()


def test_delete_an_address_after_confirming(page, live_server, customer, address_factory):
    home = address_factory(user=customer, label="Home", is_default=True)
    work = address_factory(user=customer, label="Work")
    base = live_server.url
    log_in(page, base, customer.email, next_path="/addresses/")
    page.wait_for_url(f"{base}/addresses/")

    page.get_by_role("button", name=re.compile(r"^Delete\W+Home$")).click()
    confirm = page.get_by_role("button", name="Yes, delete")
    expect(confirm).to_be_focused()
    page.get_by_role("button", name="Keep it").click()
    expect(confirm).to_be_hidden()
    assert Address.objects.filter(pk=home.pk).exists()

    page.get_by_role("button", name=re.compile(r"^Delete\W+Home$")).click()
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_text("Address deleted.")).to_be_visible()
    expect(page.locator(".address-card")).to_have_count(1)
    expect(page.locator(".address-card .status-ok")).to_have_text("Default")
    assert list(Address.objects.filter(user=customer).values_list("pk", flat=True)) == [work.pk]
