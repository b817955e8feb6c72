#!/usr/bin/env python3
"""A CONNECT proxy on 127.0.0.1 that counts what goes through it, for tests.

Stands in for a company's https proxy in tests/integration/test_network.py.
It serves only CONNECT (the way https goes through a proxy): every tunnel
is opened to 127.0.0.1 at the requested port, whatever the requested host
name, so that test names such as idp.test need no DNS, and a client that
did not use the proxy cannot reach them at all. Anything but CONNECT (a
plain http request sent to the proxy) is answered 405 and counted too.
It never reads or logs what goes through a tunnel.

    from connect_proxy import ConnectProxy
    with ConnectProxy() as proxy:
        proxy.url                        # http://127.0.0.1:PORT
        proxy.connects()                 # ["idp.test:8443", ...]
        proxy.refused()                  # request lines that were not CONNECT
"""

import select
import socket
import threading
from socketserver import BaseRequestHandler, ThreadingTCPServer

MAX_HEAD = 16384


class _Handler(BaseRequestHandler):
    def _head(self):
        data = b""
        while b"\r\n\r\n" not in data and len(data) < MAX_HEAD:
            chunk = self.request.recv(4096)
            if not chunk:
                return None, b""
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        return head.decode("latin-1"), rest

    def handle(self):
        proxy = self.server.proxy
        head, rest = self._head()
        if head is None:
            return
        line = head.split("\r\n", 1)[0]
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "CONNECT":
            proxy._record("refused", line[:200])
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n"
                                 b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            return
        target = parts[1]
        host, _, port = target.rpartition(":")
        proxy._record("connect", target)
        try:
            upstream = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
        except (OSError, ValueError):
            self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\n"
                                 b"Content-Length: 0\r\n\r\n")
            return
        with upstream:
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            self._pipe(self.request, upstream)

    @staticmethod
    def _pipe(a, b):
        socks = [a, b]
        while True:
            ready, _, _ = select.select(socks, [], [], 60)
            if not ready:
                return
            for s in ready:
                try:
                    data = s.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                (b if s is a else a).sendall(data)


class ConnectProxy:
    """The proxy in a thread. Use as a context manager."""

    def __init__(self):
        self._lock = threading.Lock()
        self._log = []
        self._server = None
        self.url = None

    def start(self):
        ThreadingTCPServer.allow_reuse_address = True
        server = ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.proxy = self
        self._server = server
        self.url = "http://127.0.0.1:%d" % server.server_address[1]
        threading.Thread(target=server.serve_forever, name="connect-proxy",
                         daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def _record(self, kind, what):
        with self._lock:
            self._log.append((kind, what))

    def connects(self):
        with self._lock:
            return [w for k, w in self._log if k == "connect"]

    def refused(self):
        with self._lock:
            return [w for k, w in self._log if k == "refused"]
