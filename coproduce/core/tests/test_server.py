"""How `coproduce serve` starts uvicorn: TCP sockets asyncio recognises, and a socket per worker."""

from __future__ import annotations

import http.client
import os
import pickle
import signal
import socket
import subprocess
import time
import urllib.request
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import pytest

from coproduce.core.server import REUSE_PORT, Config
from coproduce.core.tests.serving import COPRODUCE, free_port, site_env

linux_only = pytest.mark.skipif(not REUSE_PORT, reason="SO_REUSEPORT spreads connections only on Linux")


def _as_a_worker_gets_it(sock: socket.socket) -> socket.socket:
    """What a worker process receives: uvicorn pickles the parent's sockets for each worker it starts."""
    received = pickle.loads(ForkingPickler.dumps(sock))  # noqa: S301 - bytes pickled just now, here
    assert isinstance(received, socket.socket)
    return received


def test_the_listening_socket_is_recognised_as_tcp_so_responses_are_not_delayed() -> None:
    # asyncio turns Nagle's algorithm off only on connections of sockets that say IPPROTO_TCP;
    # uvicorn's own socket for several workers says 0, and each response then waited ~40 ms.
    config = Config("coproduce.asgi:application", host="127.0.0.1", port=0, workers=2)
    parents = config.bind_socket()
    listening = _as_a_worker_gets_it(parents) if REUSE_PORT else parents
    try:
        assert listening.proto == socket.IPPROTO_TCP
        listening.listen()
        client = socket.create_connection(listening.getsockname())
        accepted, _ = listening.accept()
        assert accepted.proto == socket.IPPROTO_TCP
        accepted.close()
        client.close()
    finally:
        listening.close()
        parents.close()


@linux_only
def test_each_worker_gets_a_socket_of_its_own_on_the_same_address() -> None:
    config = Config("coproduce.asgi:application", host="127.0.0.1", port=0, workers=2)
    parents = config.bind_socket()
    first, second = _as_a_worker_gets_it(parents), _as_a_worker_gets_it(parents)
    try:
        assert first.fileno() != second.fileno() != parents.fileno()
        assert first.getsockname() == second.getsockname() == parents.getsockname()
        assert first.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
    finally:
        for sock in (first, second, parents):
            sock.close()


@linux_only
def test_a_port_another_server_listens_on_is_refused_at_once() -> None:
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # even one that would share
        other.bind(("127.0.0.1", 0))
        other.listen()
        config = Config(
            "coproduce.asgi:application", host="127.0.0.1", port=other.getsockname()[1], workers=2
        )
        with pytest.raises(SystemExit) as stopped:
            config.bind_socket()
    assert stopped.value.code == 3


@linux_only
def test_a_second_server_is_refused_even_before_the_first_ones_workers_listen() -> None:
    first = Config("coproduce.asgi:application", host="127.0.0.1", port=0, workers=2).bind_socket()
    try:
        port = first.getsockname()[1]
        second = Config("coproduce.asgi:application", host="127.0.0.1", port=port, workers=2)
        with pytest.raises(SystemExit):
            second.bind_socket()
        worker = _as_a_worker_gets_it(first)  # the first server's own workers still get the port
        worker.close()
    finally:
        first.close()


def _sockets_of(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def _tcp_sockets(port: int, state: str) -> set[int]:
    """Inodes of the IPv4 TCP sockets on this local port in this state (0A listening, 01 connected)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == state:
            found.add(int(fields[9]))
    return found


def _workers_of(pid: int) -> list[int]:
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"multiprocessing" in command and b"resource_tracker" not in command:
            workers.append(int(stat.parent.name))
    return workers


@linux_only
def test_connections_are_spread_over_the_workers(tmp_path: Path) -> None:
    env = site_env(tmp_path / "data")
    port = free_port()
    server = subprocess.Popen(
        [COPRODUCE, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "serve.log").open("wb"),
        start_new_session=True,
    )
    connections: list[http.client.HTTPConnection] = []
    try:
        deadline = time.monotonic() + 90
        while len(_tcp_sockets(port, "0A")) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as answer:
            assert answer.status == 200
        workers = _workers_of(server.pid)
        assert len(workers) == 2
        listening = _tcp_sockets(port, "0A")
        assert len(listening) == 2  # one socket per worker, none shared
        assert all(len(_sockets_of(worker) & listening) == 1 for worker in workers)

        # 32 keep-alive connections, as a proxy or a load tester opens them at once: each worker
        # takes some (with one shared socket, the first worker to wake could take them all).
        for _ in range(32):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/health")
            assert connection.getresponse().read()
            connections.append(connection)
        connected = _tcp_sockets(port, "01")
        taken = [len(_sockets_of(worker) & connected) for worker in workers]
        assert sum(taken) == 32
        assert min(taken) > 0, taken
    finally:
        for connection in connections:
            connection.close()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
