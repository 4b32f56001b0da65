from django.contrib import admin, messages

from souk.payments.models import Payment, PaymentTransaction, Refund, SandboxCharge
from souk.payments.services.capture import payment_verify
from souk.payments.services.refunds import refund_send, refund_settle_by_hand


class TransactionInline(admin.TabularInline):
    model = PaymentTransaction
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "created_at",
        "kind",
        "status",
        "amount",
        "http_status",
        "detail",
        "request",
        "response",
    )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = readonly_fields = ("order", "amount", "currency", "status", "reason", "settled_at")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "gateway",
        "user",
        "status",
        "amount",
        "currency",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "gateway"]
    search_fields = ["reference", "authority", "gateway_transaction_id", "user__email"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    inlines = [TransactionInline, RefundInline]
    actions = ["verify_now"]

    def get_readonly_fields(self, request, obj=None):
        # Money and state change only through the gateway's word.
        return [field.name for field in Payment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Ask the gateway again (verify now)")
    def verify_now(self, request, queryset):
        for payment in queryset:
            payment = payment_verify(payment_id=payment.pk)
            self.message_user(request, f"{payment.reference}: {payment.status}", messages.INFO)


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["order", "payment", "amount", "currency", "status", "created_at", "settled_at"]
    list_filter = ["status"]
    search_fields = ["order__number", "payment__reference"]
    list_select_related = ["order", "payment"]
    actions = ["send_again", "mark_settled"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Refund._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Send pending refunds to the gateway now")
    def send_again(self, request, queryset):
        for refund in queryset.filter(status=Refund.Status.PENDING):
            refund = refund_send(refund_id=refund.pk)
            self.message_user(request, f"Refund {refund.pk}: {refund.status}", messages.INFO)

    @admin.action(description="Mark as settled by hand (money returned outside the gateway)")
    def mark_settled(self, request, queryset):
        settled = sum(
            refund_settle_by_hand(refund_id=refund.pk, actor=request.user) for refund in queryset
        )
        self.message_user(request, f"{settled} refund(s) marked settled.", messages.SUCCESS)


@admin.register(SandboxCharge)
class SandboxChargeAdmin(admin.ModelAdmin):
    list_display = ["reference", "amount", "currency", "status", "refunded", "created_at"]
    list_filter = ["status"]
    search_fields = ["reference"]

    def get_readonly_fields(self, request, obj=None):
        # The sandbox gateway's own records: changed only from its payment page.
        return [field.name for field in SandboxCharge._meta.fields]

    def has_add_permission(self, request):
        return False
