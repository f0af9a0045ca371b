"""gunicorn's threaded worker, with a time limit on reading from a client.

gunicorn's ``gthread`` worker hands a connection to a thread once its first bytes arrive,
and the thread then reads the rest of the request with no time limit: a client that sends
half a request and stops holds the thread for as long as it likes, and as many such clients
as there are threads stop the bot. Here every client socket reads and writes with a timeout
(``WEB_READ_TIMEOUT`` seconds, default 10; WeChat itself gives up after 5), so a stalled
client loses its connection and the thread serves others.

A request refused without its body read (413, or any refusal of a body larger than gunicorn
drains) closes its connection, and the answer says so: gunicorn, finding megabytes left
unread, closed the connection anyway after announcing keep-alive, so a client sending its
next request on it lost that request.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

READ_TIMEOUT = float(os.environ.get("WEB_READ_TIMEOUT", "10"))

_serving = threading.local()  # the gunicorn request the current thread is answering

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


# what gunicorn reads and drops of a body an app left unread before it reuses a connection;
# past it, it closes the connection whatever the answer said
DRAINED_BYTES = 64 * 1024


def closing_refused_bodies(app: WSGIApp) -> WSGIApp:
    """``app``, whose refusals of a body it did not read mark their gunicorn request to close:
    a 413, and any 4xx or 5xx of a body larger than gunicorn drains (a bad signature, a login
    redirect, a throttled reload with megabytes posted). gunicorn decides the Connection
    header from the request when the headers are written, after start_response."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            request = getattr(_serving, "request", None)
            if request is not None and _left_unread(status, environ):
                request.must_close = True
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return wsgi


def _left_unread(status: str, environ: dict[str, Any]) -> bool:
    if status.startswith("413"):
        return True
    if status[:1] not in "45":
        return False
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    length = environ.get("CONTENT_LENGTH") or "0"
    return chunked or (length.isdigit() and int(length) > DRAINED_BYTES)


class TimedSocket(socket.socket):
    """A socket whose blocking mode is a timeout: gunicorn switches client sockets between
    blocking (to read and write in a thread) and non-blocking (to wait in its poller)."""

    def setblocking(self, flag: bool) -> None:
        self.settimeout(READ_TIMEOUT if flag else 0.0)

    # A client too slow is dropped as a reset connection, which gunicorn closes quietly;
    # a timeout would be logged with a traceback, once per slow client.
    def recv(self, *args: Any) -> bytes:
        try:
            return super().recv(*args)
        except TimeoutError:
            raise ConnectionResetError(errno.ECONNRESET, "client too slow") from None

    def recv_into(self, *args: Any) -> int:
        try:
            return super().recv_into(*args)
        except TimeoutError:
            raise ConnectionResetError(errno.ECONNRESET, "client too slow") from None


class TimedThreadWorker(ThreadWorker):
    def load_wsgi(self) -> None:
        super().load_wsgi()
        app: WSGIApp = getattr(self, "wsgi")  # noqa: B009 (set by gunicorn, untyped)
        self.wsgi = closing_refused_bodies(app)

    def handle_request(self, req: Any, conn: Any) -> Any:
        _serving.request = req
        try:
            return super().handle_request(req, conn)
        finally:
            _serving.request = None

    def accept(self, listener: Any) -> None:
        """gunicorn's own accept, with the client's socket a TimedSocket."""
        try:
            client_sock, client_addr = listener.accept()
            self.nr_conns += 1
            timed = TimedSocket(
                client_sock.family, client_sock.type, client_sock.proto, client_sock.detach()
            )
            timed.setblocking(True)
            conn = TConn(self.cfg, timed, client_addr, listener.getsockname())
            self.enqueue_req(conn)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
