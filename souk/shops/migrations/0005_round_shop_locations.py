from django.db import migrations

# Shop locations on the 7-decimal grid that new writes use (see souk/shops/geo.py).
ROUND = """
UPDATE shops_shop
SET location = ST_SetSRID(
    ST_MakePoint(
        round(ST_X(location::geometry)::numeric, 7)::float8,
        round(ST_Y(location::geometry)::numeric, 7)::float8
    ),
    4326
)::geography
WHERE ST_X(location::geometry) <> round(ST_X(location::geometry)::numeric, 7)::float8
   OR ST_Y(location::geometry) <> round(ST_Y(location::geometry)::numeric, 7)::float8
   OR ST_X(location::geometry)::text = '-0'
   OR ST_Y(location::geometry)::text = '-0'
"""


class Migration(migrations.Migration):
    dependencies = [("shops", "0004_soft_delete_staff_memberships")]

    operations = [migrations.RunSQL(ROUND, reverse_sql=migrations.RunSQL.noop)]
