"""`portal serve`: uvicorn, with one fix for several worker processes.

uvicorn binds the shared socket of its worker processes with protocol 0, so asyncio does not set
TCP_NODELAY on the connections it accepts (it only does for IPPROTO_TCP sockets). On keep-alive
connections every response then waits on the peer's delayed ACK: ~45 ms per request instead of
~5 ms. Binding the socket with IPPROTO_TCP here restores TCP_NODELAY.
"""

from __future__ import annotations

import os
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
    # uvicorn's own access line is off: it holds the query string (a search for a phone
    # number) and repeats what portal.access_log writes as one JSON line.
    # Behind a reverse proxy, PORTAL_TRUSTED_PROXIES (its addresses, comma-separated) lets the
    # client's address come from X-Forwarded-For, so the sign-in throttle and the sign-in log
    # see each user's address instead of the proxy's.
    proxies = os.environ.get("PORTAL_TRUSTED_PROXIES", "").strip()
    config = _Config(APP, factory=True, host=host, port=port, workers=workers,
                     proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
                     access_log=False, log_level="info")
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()
