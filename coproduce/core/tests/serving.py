"""For tests that run `coproduce serve` itself, in a process of its own on a data folder of its own."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

COPRODUCE = str(Path(sys.executable).with_name("coproduce"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def site_env(data: Path, **settings: str) -> dict[str, str]:
    """This environment without the test run's database and settings, in production mode on `data`
    (SQLite; plain HTTP), with these settings added."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        COPRODUCE_DATA_DIR=str(data),
        COPRODUCE_DEBUG="0",
        COPRODUCE_HTTPS="0",
        COPRODUCE_SECRET_KEY="a-site-started-by-a-test-" + "s" * 50,
        **settings,
    )
    return env
