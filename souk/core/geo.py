"""Radius search on geography points: index-assisted, nearest first."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.db.models import PointField
from django.contrib.gis.geos import Point
from django.db import connections
from django.db.models import F, QuerySet, Value

from souk.core.counting import estimated_count
from souk.core.search import BoxOverlaps, ExpandedBox, KnnDistance, SphereDistance

KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class Near:
    lat: float
    lng: float
    radius_km: float

    @property
    def point(self) -> Point:
        return Point(self.lng, self.lat, srid=4326)


def within(queryset: QuerySet[Any], near: Near, field: str = "location") -> QuerySet[Any]:
    """Rows whose `field` lies within the radius, nearest first, with `distance` (metres on
    the sphere).

    The bounding-box test (`&&`) bounds the GiST scan and `<->` makes the index return rows in
    distance order, so a page costs the same whether the table has thousands or millions of
    rows. (`ST_DWithin` would say the same, but PostgreSQL underestimates how many rows it
    keeps and then prefers to sort every row in the box; the box and a plain distance test
    are estimated well.)
    """
    point = near.point
    metres = near.radius_km * 1000
    as_geography = Value(point, output_field=PointField(geography=True, srid=4326))
    nearby: QuerySet[Any] = (
        queryset.filter(BoxOverlaps(F(field), ExpandedBox(as_geography, Value(metres))))
        .annotate(distance=SphereDistance(F(field), as_geography))
        .filter(distance__lte=metres)
        # No tie-breaker: a second sort key would make PostgreSQL sort every row in the
        # circle instead of reading the index in distance order. Rows at equal distance come
        # in the index's own (stable) order.
        .order_by(KnnDistance(F(field), as_geography))
    )
    return nearby


def _plan_rows(using: str, sql: str, params: list[Any]) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def radius_estimate(queryset: QuerySet[Any], near: Near, field: str = "location") -> int:
    """How many rows `within(queryset, near)` holds, estimated without reading them.

    PostgreSQL misjudges ST_DWithin on geography but estimates bounding boxes well, so: the
    box estimate, times circle/square, times the selectivity of the other filters.
    """
    lat_span = near.radius_km / KM_PER_DEGREE
    lng_span = near.radius_km / max(0.01, KM_PER_DEGREE * math.cos(math.radians(near.lat)))
    box = [
        max(-180.0, near.lng - lng_span),
        max(-90.0, near.lat - lat_span),
        min(180.0, near.lng + lng_span),
        min(90.0, near.lat + lat_span),
    ]
    model = queryset.model
    table = connections[queryset.db].ops.quote_name(model._meta.db_table)
    column = connections[queryset.db].ops.quote_name(model._meta.get_field(field).column)
    alive = " AND deleted_at IS NULL" if hasattr(model, "deleted_at") else ""
    in_box = _plan_rows(
        queryset.db,
        f"SELECT 1 FROM {table} WHERE {column} && "  # noqa: S608 - identifiers are quoted model names
        f"ST_MakeEnvelope(%s, %s, %s, %s, 4326)::geography{alive}",
        box,
    )
    everything = max(1, estimated_count(model._default_manager.all()))
    selectivity = min(1.0, estimated_count(queryset) / everything)
    return int(in_box * (math.pi / 4) * selectivity)
