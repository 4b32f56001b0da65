"""A lean HTTP/1.1 client for the load generators: one keep-alive connection per client thread
over the standard library's `http.client`, JSON bodies in and out.

The load generator shares the machine's CPUs with the server it measures, so what it spends
per request is taken from the server. `requests` spends about a millisecond of CPU per request
(preparing the request, its adapters and hooks, urllib3's pool); this spends a fraction of
that, and the server under test gets the rest.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
from typing import Any
from urllib.parse import urlsplit


class TransportError(Exception):
    """The request could not be sent or its response not read (counted, never retried: a
    POST that may have reached the server is not sent twice)."""


class Response:
    __slots__ = ("status", "content")

    def __init__(self, status: int, content: bytes) -> None:
        self.status = status
        self.content = content

    def json(self) -> Any:
        return json.loads(self.content) if self.content else None


class KeepAliveClient:
    """Requests to one server over one persistent connection, reopened when the server has
    closed it (its keep-alive timeout) before the next request is sent."""

    def __init__(self, base: str, timeout: float = 60) -> None:
        parts = urlsplit(base)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"an http://host:port base URL, not {base!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        connection = self.connection
        if connection is not None and connection.sock is not None:
            # Readable while idle means the server closed it (EOF): do not send on it.
            readable, _, _ = select.select([connection.sock], [], [], 0)
            if not readable:
                return connection
            connection.close()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        connection.connect()
        assert connection.sock is not None
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection = connection
        return connection

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> Response:
        sent = dict(headers or {})
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        try:
            connection = self._connection()
            connection.request(method, path, body=payload, headers=sent)
            answer = connection.getresponse()
            content = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise TransportError(type(exc).__name__) from exc
        if answer.will_close:
            self.close()
        return Response(answer.status, content)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
