"""`Purchase.purchased_at` becomes a date-time; each stored date becomes its midnight UTC."""

from django.db import migrations, models

TO_DATETIME = """
ALTER TABLE inventory_purchase
    ALTER COLUMN purchased_at TYPE timestamp with time zone
    USING (purchased_at::timestamp AT TIME ZONE 'UTC')
"""

TO_DATE = """
ALTER TABLE inventory_purchase
    ALTER COLUMN purchased_at TYPE date
    USING ((purchased_at AT TIME ZONE 'UTC')::date)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=TO_DATETIME,
            reverse_sql=TO_DATE,
            state_operations=[
                migrations.AlterField(
                    model_name="purchase",
                    name="purchased_at",
                    field=models.DateTimeField(
                        help_text="When the goods were bought (a plain date is stored as its "
                        "midnight UTC)."
                    ),
                ),
            ],
        ),
    ]
