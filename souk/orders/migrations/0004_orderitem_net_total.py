"""Each order line's revenue net of its share of the order's discount (analytics count it).

Lines of orders without a discount get their line total. For a discounted order the discount
is split over its lines in proportion to their totals, to the cent, by largest remainder (as
souk.orders.services.pricing.allocate does for new orders), so the net totals add up to the
order's total."""

from decimal import ROUND_DOWN, Decimal

from django.db import migrations, models
from django.db.models import F, Q

CENT = Decimal("0.01")


def _allocate(total, weights):
    keys = sorted(weights)
    whole = sum(weights.values(), Decimal("0"))
    if not keys or total <= 0 or whole <= 0:
        return dict.fromkeys(keys, Decimal("0.00"))
    exact = {key: total * weights[key] / whole for key in keys}
    shares = {key: exact[key].quantize(CENT, rounding=ROUND_DOWN) for key in keys}
    left = int(((total - sum(shares.values(), Decimal("0"))) / CENT).to_integral_value())
    for key in sorted(keys, key=lambda key: (shares[key] - exact[key], key))[:left]:
        shares[key] += CENT
    return shares


def backfill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderItem = apps.get_model("orders", "OrderItem")
    OrderItem.objects.filter(order__discount=0).update(net_total=F("line_total"))
    discounted = Order._base_manager.filter(discount__gt=0).order_by("pk")
    for order in discounted.iterator(chunk_size=500):
        items = list(OrderItem.objects.filter(order_id=order.pk).order_by("pk"))
        shares = _allocate(order.discount, {i: item.line_total for i, item in enumerate(items)})
        for i, item in enumerate(items):
            item.net_total = item.line_total - shares[i]
        OrderItem.objects.bulk_update(items, ["net_total"])


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_remove_orderevent_notified_at")]

    operations = [
        migrations.AddField(
            model_name="orderitem",
            name="net_total",
            field=models.DecimalField(decimal_places=2, max_digits=12, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="orderitem",
            name="net_total",
            field=models.DecimalField(decimal_places=2, max_digits=12),
        ),
        migrations.AddConstraint(
            model_name="orderitem",
            constraint=models.CheckConstraint(
                condition=Q(net_total__gte=0, net_total__lte=F("line_total")),
                name="orders_item_net_total",
            ),
        ),
    ]
