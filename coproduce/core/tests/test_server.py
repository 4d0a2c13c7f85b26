"""How `coproduce serve` starts uvicorn."""

from __future__ import annotations

import socket

from coproduce.core.server import Config


def test_the_listening_socket_is_recognised_as_tcp_so_responses_are_not_delayed() -> None:
    # asyncio turns Nagle's algorithm off only on connections of sockets that say IPPROTO_TCP;
    # uvicorn's own socket for several workers says 0, and each response then waited ~40 ms.
    config = Config("coproduce.asgi:application", host="127.0.0.1", port=0, workers=2)
    listening = config.bind_socket()
    try:
        assert listening.proto == socket.IPPROTO_TCP
        assert listening.get_inheritable()  # the worker processes receive it
        listening.listen()
        client = socket.create_connection(listening.getsockname())
        accepted, _ = listening.accept()
        assert accepted.proto == socket.IPPROTO_TCP
        accepted.close()
        client.close()
    finally:
        listening.close()
