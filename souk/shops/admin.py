from django.contrib import admin, messages
from django.contrib.gis.admin import GISModelAdmin

from souk.core.exceptions import DomainError
from souk.shops.geo import point_safe
from souk.shops.models import Shop, ShopMember
from souk.shops.services import shop_delete, shop_restore, staff_remove, staff_restore


class SoftDeleteAdmin(admin.ModelAdmin):
    """For models that are soft deleted: the admin lists deleted rows too, its delete is the
    model's soft delete (so nothing is protected from it), and an action restores.

    Subclasses override `soft_delete(request, obj)` and `restore(request, obj)` with their
    services; a refusal (`DomainError`) is shown as a message and changes nothing.
    """

    actions = ["restore_selected"]

    def soft_delete(self, request, obj):
        obj.soft_delete()

    def restore(self, request, obj):
        obj.restore()

    def get_queryset(self, request):
        # Deleted rows too: `all_objects` where the default manager hides them.
        manager = getattr(self.model, "all_objects", None)
        return manager.all() if manager is not None else super().get_queryset(request)

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        names = [str(obj) for obj in objs]
        return names, {self.model._meta.verbose_name_plural: len(objs)}, set(), []

    def _apply(self, request, objs, handler, done):
        count = 0
        for obj in objs:
            try:
                handler(request, obj)
            except DomainError as exc:
                messages.error(request, f"{obj}: {exc.detail}")
            else:
                count += 1
        if count:
            messages.success(request, f"{done} {count}.")

    def delete_model(self, request, obj):
        if obj.deleted_at is not None:  # deleted rows are listed too; deleting one is a no-op
            messages.warning(request, f"{obj} is already deleted.")
            return
        self._apply(request, [obj], self.soft_delete, "Deleted (recoverable)")

    def delete_queryset(self, request, queryset):
        self._apply(request, queryset.filter(deleted_at__isnull=True), self.soft_delete, "Deleted")

    @admin.action(description="Restore the selected deleted rows")
    def restore_selected(self, request, queryset):
        self._apply(request, queryset.filter(deleted_at__isnull=False), self.restore, "Restored")


class GridPointAdmin(GISModelAdmin):
    """A map-edited `location` is stored on the coordinate grid, as the API stores it."""

    def save_model(self, request, obj, form, change):
        if getattr(obj, "location", None) is not None:
            obj.location = point_safe(obj.location)
        super().save_model(request, obj, form, change)


class ShopMemberInline(admin.TabularInline):
    model = ShopMember
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "role", "deleted_at"]
    readonly_fields = ["deleted_at"]
    # Removing staff is a soft delete, done on the membership's own page.
    can_delete = False

    def get_queryset(self, request):
        return ShopMember.all_objects.select_related("user")


@admin.register(Shop)
class ShopAdmin(SoftDeleteAdmin, GridPointAdmin):
    list_display = ["name", "owner", "product_count", "rating", "created_at", "deleted_at"]
    list_filter = ["deleted_at"]
    search_fields = ["name", "slug", "owner__email"]
    raw_id_fields = ["owner"]
    readonly_fields = ["product_count", "rating", "review_count", "deleted_at", "created_at"]
    inlines = [ShopMemberInline]

    def get_queryset(self, request):
        return Shop.all_objects.select_related("owner")

    def soft_delete(self, request, obj):
        shop_delete(shop=obj)

    def restore(self, request, obj):
        shop_restore(shop=obj)


@admin.register(ShopMember)
class ShopMemberAdmin(SoftDeleteAdmin, admin.ModelAdmin):
    list_display = ["shop", "user", "role", "created_at", "deleted_at"]
    list_filter = ["role", "deleted_at"]
    search_fields = ["shop__name", "user__email"]
    raw_id_fields = ["shop", "user"]
    readonly_fields = ["deleted_at"]

    def get_queryset(self, request):
        return ShopMember.all_objects.select_related("shop", "user")

    def soft_delete(self, request, obj):
        staff_remove(shop=obj.shop, user_id=obj.user_id)

    def restore(self, request, obj):
        staff_restore(member=obj)
