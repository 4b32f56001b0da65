from django.contrib import admin
from django.http import HttpRequest

from souk.core.models import IdempotencyRecord


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "scope", "state", "response_status", "created_at"]
    list_filter = ["state", "scope"]
    search_fields = ["key", "user__email"]
    readonly_fields = [
        "user",
        "key",
        "scope",
        "request_hash",
        "state",
        "response_status",
        "response_body",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# The admin says Souk, not "Django administration".
admin.site.site_header = "Souk administration"
admin.site.site_title = "Souk admin"
admin.site.index_title = "Marketplace data"
