"""`portal serve`: uvicorn, with one fix for several worker processes.

uvicorn binds the shared socket of its worker processes with protocol 0, so asyncio does not set
TCP_NODELAY on the connections it accepts (it only does for IPPROTO_TCP sockets). On keep-alive
connections every response then waits on the peer's delayed ACK: ~45 ms per request instead of
~5 ms. Binding the socket with IPPROTO_TCP here restores TCP_NODELAY.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "portal.app:create_app"


class _Config(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.set_inheritable(True)
        return sock


def serve(host: str, port: int, workers: int = 1) -> None:
    config = _Config(APP, factory=True, host=host, port=port, workers=workers,
                     proxy_headers=False, log_level="info")
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()
