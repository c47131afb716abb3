"""The fault proxy itself, against a local echo server: it forwards, cuts, partitions, heals."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from tests.faults.proxy import FaultProxy

# Only for reads that must *not* be answered, or to stop a broken proxy hanging the run.
QUIET = 0.5
GENEROUS = 10.0


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    with _EchoServer(("127.0.0.1", 0), _Echo) as echo:
        threading.Thread(target=echo.serve_forever, daemon=True).start()
        with FaultProxy(port=echo.server_address[1]) as running:
            yield running
        echo.shutdown()


def connect(proxy: FaultProxy) -> socket.socket:
    return socket.create_connection((proxy.host, proxy.port), timeout=GENEROUS)


def echo(sock: socket.socket, data: bytes, *, timeout: float = GENEROUS) -> bytes:
    sock.settimeout(timeout)
    sock.sendall(data)
    return receive(sock, len(data), timeout=timeout)


def receive(sock: socket.socket, size: int, *, timeout: float = GENEROUS) -> bytes:
    sock.settimeout(timeout)
    out = b""
    while len(out) < size:
        chunk = sock.recv(size - len(out))
        if not chunk:
            break
        out += chunk
    return out


def test_it_forwards_both_ways(proxy):
    with connect(proxy) as sock:
        assert echo(sock, b"hello") == b"hello"
        assert echo(sock, b"x" * 200_000) == b"x" * 200_000
    assert proxy.accepted == 1


def test_cut_closes_live_connections_and_refuses_new_ones(proxy):
    live = connect(proxy)
    assert echo(live, b"before") == b"before"
    proxy.cut()
    try:
        live.settimeout(GENEROUS)
        assert live.recv(10) == b""  # the peer hung up
    except ConnectionResetError:
        pass
    finally:
        live.close()
    with pytest.raises(ConnectionRefusedError):
        connect(proxy)
    assert proxy.live_connections == 0


def test_blackhole_holds_new_connections_and_stalls_live_ones(proxy):
    live = connect(proxy)
    assert echo(live, b"before") == b"before"
    proxy.blackhole()
    live.sendall(b"during")
    with pytest.raises(TimeoutError):
        receive(live, 6, timeout=QUIET)
    held = connect(proxy)  # accepted: the TCP handshake completes...
    held.sendall(b"hello?")
    with pytest.raises(TimeoutError):  # ...but nothing ever answers
        receive(held, 6, timeout=QUIET)
    proxy.restore()
    # What was sent during the partition arrives once it heals, on both connections.
    assert receive(live, 6) == b"during"
    assert receive(held, 6) == b"hello?"
    live.close()
    held.close()


def test_restore_after_a_cut_listens_on_the_same_port(proxy):
    port = proxy.port
    proxy.cut()
    proxy.restore()
    assert proxy.port == port
    with connect(proxy) as sock:
        assert echo(sock, b"back") == b"back"
