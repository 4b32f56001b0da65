"""Row counts that do not grow with the table: the planner's estimate instead of COUNT(*)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet


def estimated_count(queryset: QuerySet[Any]) -> int:
    """What PostgreSQL expects `queryset` to return, from its statistics (no rows are read)."""
    query = queryset.order_by().values("pk").query
    compiler = query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # e.g. `pk__in=[]`: nothing can match
        return 0
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
