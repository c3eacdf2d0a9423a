import socket

from portal.server import _Config


def test_the_shared_worker_socket_is_tcp_so_asyncio_sets_nodelay():
    config = _Config("portal.app:create_app", factory=True, host="127.0.0.1", port=0, workers=2)
    sock = config.bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.get_inheritable()
    finally:
        sock.close()
