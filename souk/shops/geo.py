"""Coordinates as stored and searched: rounded to 7 decimal places (about 1 cm).

PostGIS 3.3's GiST nearest-neighbour scan on geography fails ("index returned tuples in wrong
order") once two points lie a rounding error apart (1e-15 degrees) on the equator or the prime
meridian. Points written and searched on this grid are either equal or at least 1e-7 degrees
apart, and the API shows no more places than that anyway.
"""

from __future__ import annotations

from django.contrib.gis.geos import Point

COORDINATE_PLACES = 7


def coordinate_safe(value: float) -> float:
    # `+ 0.0` turns -0.0 into 0.0, so the grid has one zero.
    return round(float(value), COORDINATE_PLACES) + 0.0


def point_safe(point: Point) -> Point:
    return Point(coordinate_safe(point.x), coordinate_safe(point.y), srid=point.srid or 4326)
