"""A TCP proxy that breaks the network path between GPS and its database, on command.

`FaultProxy(port=5432).start()` listens on 127.0.0.1 at an ephemeral port and forwards every
connection to the upstream server. From any thread:

* `cut()` — the database went down: every live connection is closed at once and new ones are
  refused (the listening socket is closed, so connecting fails with "connection refused").
* `blackhole()` — a network partition: new connections are accepted and then held without a
  byte forwarded either way, and live connections stop forwarding in both directions. Nothing
  is closed; whatever was sent waits in buffers, as packets would on a dead route.
* `restore()` — the path is back: the listener reopens on the same port, paused connections
  forward again (what was sent during a partition arrives late), held ones are connected
  upstream.

It runs an asyncio loop in a daemon thread; the public methods are synchronous and return
once the change has taken effect, so a test can cut the path from inside a statement hook.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, Literal

State = Literal["forward", "cut", "blackhole"]
_COMMAND_TIMEOUT = 10.0


class _Side(asyncio.Protocol):
    """One socket of a proxied connection; what it reads is written to its peer."""

    def __init__(self, link: _Link, *, accepted: bool = False) -> None:
        self.link = link
        self.accepted = accepted
        self.transport: asyncio.Transport | None = None

    @property
    def connected(self) -> asyncio.Transport:
        assert self.transport is not None, "not connected yet"
        return self.transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # a TCP connection
        self.transport = transport
        if self.accepted:
            self.link.proxy._admit(self.link)

    def data_received(self, data: bytes) -> None:
        self.link.forward(self, data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.link.lost(self)


class _Link:
    """A client connection and, once connected, its upstream twin."""

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        self.client = _Side(self, accepted=True)
        self.server: _Side | None = None
        self.closed = False

    def forward(self, side: _Side, data: bytes) -> None:
        peer = self.server if side is self.client else self.client
        if peer is not None and peer.transport is not None and not peer.transport.is_closing():
            peer.transport.write(data)

    def pause(self) -> None:
        for side in self._sides():
            side.connected.pause_reading()

    def resume(self) -> None:
        for side in self._sides():
            side.connected.resume_reading()

    def abort(self) -> None:
        for side in self._sides():
            side.connected.abort()

    def lost(self, side: _Side) -> None:
        # Either end hanging up ends the whole connection, as it would without a proxy.
        self.closed = True
        for other in self._sides():
            other.connected.close()
        self.proxy._forget(self)

    def _sides(self) -> list[_Side]:
        return [s for s in (self.client, self.server)
                if s is not None and s.transport is not None and not s.transport.is_closing()]

    async def connect_upstream(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, server = await loop.create_connection(
                lambda: _Side(self), self.proxy.upstream_host, self.proxy.upstream_port)
        except OSError:
            self.abort()
            return
        if self.closed:  # the client gave up while we connected
            server.connected.close()
            return
        self.server = server
        if self.proxy.state == "blackhole":
            self.pause()
        else:
            self.client.connected.resume_reading()


class FaultProxy:
    def __init__(self, *, port: int, host: str = "127.0.0.1") -> None:
        self.upstream_host = host
        self.upstream_port = port
        self.host = "127.0.0.1"
        self.port = 0
        self.state: State = "forward"
        self.accepted = 0
        self._links: set[_Link] = set()
        self._held: list[_Link] = []
        self._server: asyncio.Server | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy",
                                        daemon=True)

    # -- the controls ------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def cut(self) -> None:
        """The database went down: drop every connection, refuse new ones."""
        self._call(self._cut())

    def blackhole(self) -> None:
        """A partition: hold new connections unanswered, stop forwarding on live ones."""
        self._call(self._blackhole())

    def restore(self) -> None:
        """The path is back."""
        self._call(self._restore())

    def close(self) -> None:
        """Drop everything and stop the proxy's thread."""
        if not self._thread.is_alive():
            return
        self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_COMMAND_TIMEOUT)
        self._loop.close()

    @property
    def live_connections(self) -> int:
        return len(self._links)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- on the proxy's loop -----------------------------------------------------------------

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(_COMMAND_TIMEOUT)

    async def _listen(self) -> None:
        self._server = await self._loop.create_server(
            self._accept, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    def _accept(self) -> _Side:
        self.accepted += 1
        link = _Link(self)
        self._links.add(link)
        return link.client

    def _admit(self, link: _Link) -> None:
        # Read nothing from the client until its upstream twin exists (or, in a partition,
        # at all): its first bytes wait in the socket's buffer.
        link.client.connected.pause_reading()
        if self.state == "blackhole":
            self._held.append(link)
        else:
            self._loop.create_task(link.connect_upstream())

    def _forget(self, link: _Link) -> None:
        self._links.discard(link)
        if link in self._held:
            self._held.remove(link)

    async def _cut(self) -> None:
        self.state = "cut"
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for link in list(self._links):
            link.abort()
        self._links.clear()
        self._held.clear()
        if server is not None:
            await server.wait_closed()

    async def _blackhole(self) -> None:
        self.state = "blackhole"
        for link in self._links:
            link.pause()

    async def _restore(self) -> None:
        self.state = "forward"
        if self._server is None:
            await self._listen()
        held, self._held = self._held, []
        for link in self._links:
            if link not in held and link.server is not None:
                link.resume()
        for link in held:
            if not link.closed:
                await link.connect_upstream()
