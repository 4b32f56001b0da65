from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.contrib.gis.admin import GISModelAdmin

from souk.accounts.models import Address, OtpCode, User


class AddressInline(admin.StackedInline):
    model = Address
    extra = 0
    fields = [*Address.TEXT_FIELDS, "is_default"]


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "phone", "role")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    ordering = ["email"]
    list_display = [
        "email",
        "phone",
        "first_name",
        "last_name",
        "role",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = ["role", "is_staff", "is_superuser", "is_active", "is_email_verified"]
    search_fields = ["email", "phone", "first_name", "last_name"]
    readonly_fields = ["date_joined", "last_login"]
    inlines = [AddressInline]
    fieldsets = (
        (None, {"fields": ("email", "phone", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "role")}),
        ("Verification", {"fields": ("is_email_verified", "is_phone_verified")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "phone", "role", "password1", "password2")},
        ),
    )


@admin.register(Address)
class AddressAdmin(GISModelAdmin):
    list_display = ["user", "label", "recipient", "city", "country", "is_default"]
    list_filter = ["country", "is_default"]
    search_fields = ["user__email", "recipient", "line1", "city", "postal_code"]
    raw_id_fields = ["user"]


@admin.register(OtpCode)
class OtpCodeAdmin(admin.ModelAdmin):
    list_display = [
        "target",
        "purpose",
        "channel",
        "created_at",
        "expires_at",
        "attempts",
        "used_at",
        "sent_at",
    ]
    list_filter = ["purpose", "channel"]
    search_fields = ["target"]
    readonly_fields = [field.name for field in OtpCode._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
