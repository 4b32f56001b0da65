from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from souk.notifications.models import Notification, OutboxMessage, Preference
from souk.notifications.services.dispatch import outbox_resend


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "recipient", "kind", "title", "read_at", "created_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("recipient__email", "title")
    raw_id_fields = ("recipient",)
    readonly_fields = ("recipient", "kind", "title", "body", "data", "read_at", "created_at")
    list_select_related = ("recipient",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "updated_at")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
    # Users choose through the API, which validates; the admin shows what they chose.
    readonly_fields = ("user", "choices", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The outbox: what is waiting, what was sent, and the dead letters, which an operator
    sends again once the cause (a mail server down, a wrong address) is fixed."""

    list_display = (
        "id",
        "channel",
        "kind",
        "recipient",
        "status",
        "attempts",
        "available_at",
        "created_at",
        "sent_at",
    )
    list_filter = ("status", "channel", "kind")
    search_fields = ("recipient__email", "=key")
    raw_id_fields = ("recipient",)
    list_select_related = ("recipient",)
    show_full_result_count = False
    readonly_fields = (
        "key",
        "channel",
        "recipient",
        "kind",
        "data",
        "status",
        "attempts",
        "available_at",
        "created_at",
        "sent_at",
        "last_error",
    )
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Send again (dead or skipped messages)"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        queued = outbox_resend(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", queued)
            % {"count": queued},
            messages.SUCCESS,
        )
