"""Starting uvicorn for `coproduce serve`.

Kept free of Django imports: with several workers, uvicorn's child processes unpickle the
configuration, and so import this module, before Django is set up.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

# Linux spreads the connections to a port over the sockets listening on it with SO_REUSEPORT.
# (Other systems accept the option but give every connection to one socket.)
REUSE_PORT = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")
logger = logging.getLogger("uvicorn.error")


def _tcp_socket(family: socket.AddressFamily) -> socket.socket:
    """A TCP socket that says so: asyncio turns Nagle's algorithm off only on connections of
    sockets whose protocol is IPPROTO_TCP (with 0, each keep-alive response waits for a delayed ACK)."""
    return socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)


def _worker_socket(family: socket.AddressFamily, host: str, port: int) -> socket.socket:
    """A worker's own socket on the address (made in the worker, as it unpickles `Listener`)."""
    sock = _tcp_socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class Listener(socket.socket):
    """The address the workers listen on, each with a socket of its own (SO_REUSEPORT, Linux).

    With one listening socket shared by every worker, the worker whose event loop wakes first
    accepts all the connections waiting (asyncio takes up to the backlog at once): a burst of
    keep-alive connections, from a proxy or from browsers, can all land on one worker while the
    other idles, which halves what the site serves (bench/README.md). With a socket per worker
    in a SO_REUSEPORT group, the kernel spreads new connections over them by a hash of the
    addresses.

    The parent binds this one (so the address is taken and a busy port fails at once) but never
    listens on it, so no connection is ever queued to it. uvicorn hands each worker it starts
    (and restarts) the parent's sockets by pickling them: this one unpickles as a new socket of
    the worker's own, bound to the same address, on which the worker listens.

    A worker's socket closing (a restart, a worker killed) resets the connections still waiting
    in its queue, unless the kernel hands them on (`net.ipv4.tcp_migrate_req=1`, Linux 5.14+).
    """

    def __reduce__(self) -> tuple[Callable[..., socket.socket], tuple[Any, ...]]:
        host, port = self.getsockname()[:2]
        return (_worker_socket, (self.family, host, port))


class Config(uvicorn.Config):
    """uvicorn's configuration, with listening sockets that asyncio recognises as TCP, and with
    several workers, one socket per worker (`Listener`).

    With --workers above 1, uvicorn makes the listening socket itself with protocol 0; asyncio
    then never turns Nagle's algorithm off on the connections (it checks for IPPROTO_TCP), and
    each keep-alive response waits about 40 ms for a delayed ACK (bench/README.md).
    """

    def bind_socket(self) -> socket.socket:
        if REUSE_PORT and self.uds is None and self.fd is None:
            family = socket.AF_INET6 if self.host and ":" in self.host else socket.AF_INET
            sock = Listener(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            # Not SO_REUSEADDR: with it, another server's probe could bind beside this socket
            # in the seconds before the workers listen, and join the group.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            try:
                # Another server on the port (even another `coproduce serve`, which could join the
                # group) makes this one fail, as it would without SO_REUSEPORT.
                with _tcp_socket(family) as probe:
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    probe.bind((self.host, self.port))
                sock.bind((self.host, self.port))
            except OSError as exc:
                logger.error(exc)
                sys.exit(3)  # uvicorn's STARTUP_FAILURE
            logger.info("Uvicorn running on http://%s:%d, a socket per worker", *sock.getsockname()[:2])
            return sock
        shared = super().bind_socket()
        if shared.family in (socket.AF_INET, socket.AF_INET6):
            return socket.socket(fileno=shared.detach())  # the kernel then reports the real protocol
        return shared


def run_uvicorn(config: Config) -> None:
    """What `uvicorn.run` does for our options (no reload, no Unix socket)."""
    server = uvicorn.Server(config=config)
    if config.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server.run()
    if not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE
