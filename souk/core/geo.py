"""Radius search on geography points: index-assisted, nearest first."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.db.models import PointField
from django.contrib.gis.geos import Point
from django.db.models import F, QuerySet, Value

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


def bounding_box(near: Near) -> tuple[float, float, float, float]:
    """(south, west, north, east) in degrees around the circle (clipped to the globe)."""
    lat_span = near.radius_km / KM_PER_DEGREE
    lng_span = near.radius_km / max(0.01, KM_PER_DEGREE * math.cos(math.radians(near.lat)))
    return (
        max(-90.0, near.lat - lat_span),
        max(-180.0, near.lng - lng_span),
        min(90.0, near.lat + lat_span),
        min(180.0, near.lng + lng_span),
    )
