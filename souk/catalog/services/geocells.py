"""The product density map (0.1-degree cells) that radius-search counts are estimated from."""

from __future__ import annotations

from django.db import connection, transaction

_REBUILD = """
INSERT INTO catalog_geocell (lat_cell, lng_cell, products)
SELECT floor(ST_Y(location::geometry) * 10)::int, floor(ST_X(location::geometry) * 10)::int,
       count(*)
FROM catalog_product WHERE deleted_at IS NULL
GROUP BY 1, 2
"""


def geo_cells_rebuild() -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM catalog_geocell")
        cursor.execute(_REBUILD)
        return int(cursor.rowcount)
