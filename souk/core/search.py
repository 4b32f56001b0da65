"""PostgreSQL full-text and geography expressions the ORM does not ship."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Func


class TsVector(Func):
    """to_tsvector(<config>, coalesce(text, '')): immutable, usable in generated columns."""

    template = "to_tsvector('%(config)s'::regconfig, COALESCE(%(expressions)s, ''))"
    output_field = SearchVectorField()

    def __init__(self, expression: Any, *, config: str = "english") -> None:
        super().__init__(expression, config=config)


class JsonbTsVector(Func):
    """The string values of a JSONB object as a tsvector (keys are not searchable)."""

    template = (
        "jsonb_to_tsvector('%(config)s'::regconfig, COALESCE(%(expressions)s, '{}'::jsonb), "
        "'[\"string\"]'::jsonb)"
    )
    output_field = SearchVectorField()

    def __init__(self, expression: Any, *, config: str = "english") -> None:
        super().__init__(expression, config=config)


class SetWeight(Func):
    template = "setweight(%(expressions)s, '%(weight)s')"
    output_field = SearchVectorField()

    def __init__(self, expression: Any, weight: str) -> None:
        if weight not in "ABCD" or len(weight) != 1:
            raise ValueError("weight must be one of A, B, C, D")
        super().__init__(expression, weight=weight)


class TsConcat(Func):
    """vector || vector || ..."""

    template = "(%(expressions)s)"
    arg_joiner = " || "
    output_field = SearchVectorField()


class WebSearchQuery(Func):
    """websearch_to_tsquery(<config>, text): the query syntax people type into search boxes."""

    function = "websearch_to_tsquery"
    template = "websearch_to_tsquery('%(config)s'::regconfig, %(expressions)s)"
    output_field = models.Field()

    def __init__(self, text: Any, *, config: str = "english") -> None:
        super().__init__(text, config=config)


class TsMatch(Func):
    """`vector @@ query` written as a function call, which no text index can answer: used
    where reading rows in another index's order and testing each is the right plan."""

    function = "ts_match_vq"
    output_field = models.BooleanField()


class ExpandedBox(Func):
    """The bounding box of a geography grown by a distance in metres (what ST_DWithin uses)."""

    function = "_ST_Expand"
    output_field = models.Field()


class BoxOverlaps(Func):
    """`a && b`: bounding boxes overlap (GiST-indexable)."""

    template = "(%(expressions)s)"
    arg_joiner = " && "
    output_field = models.BooleanField()


class SphereDistance(Func):
    """Metres between two geographies on the sphere: the measure the `<->` operator orders
    by, so that a nearest-first list and its distances agree (within 0.5% of the spheroid)."""

    template = "ST_Distance(%(expressions)s, false)"
    output_field = models.FloatField()


class KnnDistance(Func):
    """`a <-> b`: the index-assisted (KNN) distance operator, for ORDER BY on GiST."""

    template = "(%(expressions)s)"
    arg_joiner = " <-> "
    output_field = models.FloatField()
