"""The JSON request parser: every body that is not JSON Souk can process is a 400, never a 500.

UTF-8 bodies are parsed by orjson; a body orjson refuses (malformed, or merely outside what it
accepts, such as lone surrogate escapes), one that may hold an integer beyond 64 bits (which
orjson would read as a float) and other encodings are parsed by DRF's parser, so every answer,
and every error, is DRF's.

On top of DRF's parser it rejects
- nesting deeper than `JSONParser.max_depth` levels (`400 parse_error`), which would otherwise
  exhaust the interpreter's stack while parsing, validating or storing the body;
- strings (values or keys) holding a NUL character or an unpaired UTF-16 surrogate such as
  `"\\ud800"` (`400 validation_error`, at the field that holds the string), which PostgreSQL
  cannot store in text or jsonb and which cannot be encoded as UTF-8.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import get_encoding  # type: ignore[attr-defined]

# A NUL character, or any surrogate code point (JSON text decoded to Python keeps a lone
# "\ud800" escape as such; a paired escape becomes one astral character).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_LONG_NUMBER = re.compile(rb"\d{19}")
NUL_MESSAGE = "Null characters are not allowed."
SURROGATE_MESSAGE = "Unpaired surrogate characters are not allowed."
KEY_MESSAGE = "Keys may not contain null characters or unpaired surrogates."


def unstorable_text_message(text: str) -> str | None:
    """Why `text` cannot be stored, or None if it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return NUL_MESSAGE if found.group() == "\x00" else SURROGATE_MESSAGE


def _nest(path: list[str], message: str) -> Any:
    errors: Any = [message]
    for key in reversed(path):
        errors = {key: errors}
    return errors if path else {"non_field_errors": errors}


def check_json_value(value: Any, *, max_depth: int) -> None:
    """Raise ParseError if `value` nests deeper than `max_depth`, else ValidationError (with
    the path of the first one) if any of its strings cannot be stored."""
    first_problem: tuple[list[str], str] | None = None
    stack: list[tuple[Any, list[str], int]] = [(value, [], 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            message = unstorable_text_message(item)
            if message and first_problem is None:
                first_problem = (path, message)
            continue
        if not isinstance(item, Mapping | list):
            continue
        if depth > max_depth:
            raise ParseError(f"JSON parse error - nested more than {max_depth} levels deep.")
        if isinstance(item, Mapping):
            children = []
            for key, child in item.items():
                if unstorable_text_message(key):
                    if first_problem is None:
                        first_problem = (path, KEY_MESSAGE)
                    continue
                children.append((child, [*path, key], depth + 1))
        else:
            children = [(child, [*path, str(i)], depth + 1) for i, child in enumerate(item)]
        stack.extend(reversed(children))
    if first_problem is not None:
        raise ValidationError(_nest(*first_problem))


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded in depth and refusing strings PostgreSQL cannot store."""

    max_depth = 32

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = self._parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(
                f"JSON parse error - nested more than {self.max_depth} levels deep."
            ) from exc
        check_json_value(data, max_depth=self.max_depth)
        return data

    def _parse(
        self, stream: Any, media_type: str | None, parser_context: Mapping[str, Any] | None
    ) -> Any:
        if codecs.lookup(get_encoding(parser_context or {})).name == "utf-8":
            body = stream.read()
            # orjson reads integers beyond 64 bits as floats: a body that may hold one (a run
            # of 19 digits or more) is left to DRF's parser, which keeps them exact.
            if not _LONG_NUMBER.search(body):
                try:
                    return orjson.loads(body)
                except orjson.JSONDecodeError:
                    pass  # DRF's parser says what is wrong with it
            stream = io.BytesIO(body)
        return super().parse(stream, media_type, parser_context)
