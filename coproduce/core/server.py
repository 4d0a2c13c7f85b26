"""Starting uvicorn for `coproduce serve`.

Kept free of Django imports: with several workers, uvicorn's child processes unpickle the
configuration, and so import this module, before Django is set up.
"""

from __future__ import annotations

import socket
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess


class Config(uvicorn.Config):
    """uvicorn's configuration, with a listening socket that asyncio recognises as TCP.

    With --workers above 1, uvicorn makes the listening socket itself with protocol 0; asyncio
    then never turns Nagle's algorithm off on the connections (it checks for IPPROTO_TCP), and
    each keep-alive response waits about 40 ms for a delayed ACK (bench/README.md). Re-opening
    the same descriptor lets the kernel report the real protocol.
    """

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            return socket.socket(fileno=sock.detach())
        return sock


def run_uvicorn(config: Config) -> None:
    """What `uvicorn.run` does for our options (no reload, no Unix socket)."""
    server = uvicorn.Server(config=config)
    if config.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server.run()
    if not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE
