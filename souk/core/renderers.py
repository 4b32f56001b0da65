"""The JSON renderer: DRF's output, byte for byte, written by orjson.

orjson writes the compact UTF-8 JSON DRF writes with `COMPACT_JSON` and `UNICODE_JSON`, several
times faster. What orjson does not know (dates and times, decimals, lazy translations, ...)
goes through DRF's own encoder, and U+2028/U+2029 are escaped as DRF escapes them. Anything
orjson refuses (an integer beyond 64 bits, say), and pretty-printing (`indent`), is left to
DRF's renderer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_default = JSONEncoder().default
_SEPARATORS = (b"\xe2\x80\xa8", b"\xe2\x80\xa9")  # U+2028 and U+2029 in UTF-8


def dumps(data: Any) -> bytes:
    """`data` as DRF's JSONRenderer writes it (compact); TypeError if orjson cannot."""
    try:
        body = orjson.dumps(data, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError as exc:
        raise TypeError(str(exc)) from exc
    if _SEPARATORS[0] in body or _SEPARATORS[1] in body:
        body = body.replace(_SEPARATORS[0], b"\\u2028").replace(_SEPARATORS[1], b"\\u2029")
    return body


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", dict(renderer_context or {})) is None:
            try:
                return dumps(data)
            except TypeError:
                pass
        return super().render(data, accepted_media_type, renderer_context)
