"""Content negotiation: DRF's, answered at once for the requests nearly every client sends.

A request with no `?format=`, and an `Accept` of `*/*` (or none) or exactly the first
renderer's media type, gets the first renderer with its media type: what DRF's negotiation
answers for it after parsing and ordering the header. Anything else goes through DRF's
negotiation unchanged."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> Any:
        # DRF hands the view's renderer instances over as a list
        if (
            isinstance(renderers, list)
            and renderers
            and format_suffix is None
            and not request.META.get("QUERY_STRING")
        ):
            first = renderers[0]
            accept = request.META.get("HTTP_ACCEPT", "*/*")
            if accept == "*/*" or accept == first.media_type:
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
