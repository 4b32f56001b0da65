"""Django's PostGIS backend, with bulk batches that fit in one statement's parameters.

Parameters are sent apart from the statement (server-side binding, config.settings.base), and
PostgreSQL's protocol carries at most 65,535 of them per statement. Django's PostgreSQL backend
puts every object of a `bulk_create` or `bulk_update` into one statement, which is only safe
while parameters are quoted into the text on the client: 5,000 shops of 13 columns failed with
"number of parameters must be between 0 and 65535". Here a batch holds as many objects as fit.
"""

from __future__ import annotations

from typing import Any

from django.contrib.gis.db.backends.postgis.base import (
    DatabaseWrapper as PostGISDatabaseWrapper,
)
from django.contrib.gis.db.backends.postgis.operations import PostGISOperations

# PostgreSQL's wire protocol counts a statement's parameters in an unsigned 16-bit integer.
MAX_PARAMETERS = 65_535


class DatabaseOperations(PostGISOperations):
    def bulk_batch_size(self, fields: Any, objs: Any) -> int:
        if not self.connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"):
            return super().bulk_batch_size(fields, objs)
        # bulk_update passes (field, "pk") pairs per object as separate entries; a CASE per
        # field takes two parameters per object and the WHERE one more, counted generously.
        width = max(1, len(fields))
        return max(1, min(len(objs), MAX_PARAMETERS // (2 * width + 1)))


class DatabaseWrapper(PostGISDatabaseWrapper):
    ops_class = DatabaseOperations
