"""Settings come from the environment, fail loudly, and production mode is clean."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache.backends.base import BaseCache

from coproduce.lib.cache import ForgivingRedisCache
from coproduce.lib.env import ConfigurationError, env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[3]
COPRODUCE = str(Path(sys.executable).with_name("coproduce"))


def run_coproduce(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("COPRODUCE_", "DATABASE_URL", "REDIS_URL"))
    }
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set while the browser tests run
    return subprocess.run(
        [COPRODUCE, *args], env={**clean, **env}, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_malformed_boolean_stops_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "perhaps")
    with pytest.raises(ConfigurationError, match="X_FLAG must be one of"):
        env_bool("X_FLAG")


def test_a_malformed_number_stops_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_SIZE", "twelve")
    with pytest.raises(ConfigurationError, match="X_SIZE must be a whole number"):
        env_int("X_SIZE", 1)
    monkeypatch.setenv("X_SIZE", "0")
    with pytest.raises(ConfigurationError, match="at least 1"):
        env_int("X_SIZE", 1, minimum=1)


def test_lists_are_comma_separated_and_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_HOSTS", " a.example , b.example,, ")
    assert env_list("X_HOSTS") == ["a.example", "b.example"]


def test_every_variable_the_settings_read_is_listed_in_env_example() -> None:
    settings_source = (ROOT / "coproduce" / "settings.py").read_text()
    setup_source = (ROOT / "scripts" / "setup.sh").read_text()
    read = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', settings_source))
    read |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', setup_source))
    read |= {"COPRODUCE_DEMO_PASSWORD"}
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read, "no variables found: the pattern is wrong"
    assert read - listed == set()


def test_the_command_reports_a_malformed_setting_in_one_line_without_a_traceback() -> None:
    result = run_coproduce("check", COPRODUCE_DEBUG="sometimes")
    assert result.returncode == 2
    assert "COPRODUCE_DEBUG must be one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_mode_passes_check_deploy_with_nothing_to_report(tmp_path: Path) -> None:
    result = run_coproduce(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        COPRODUCE_SECRET_KEY="k" * 20 + "-production-secret-key-for-the-check-deploy-test",
        COPRODUCE_SITE_URL="https://coproduce.example.org",
        COPRODUCE_ALLOWED_HOSTS="coproduce.example.org",
        COPRODUCE_EMAIL_HOST="smtp.example.org",
        COPRODUCE_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_mode_without_a_secret_key_is_refused(tmp_path: Path) -> None:
    result = run_coproduce("check", "--deploy", COPRODUCE_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "coproduce.E001" in result.stderr


def test_a_redis_that_is_down_degrades_to_a_cache_miss() -> None:
    dead: BaseCache = ForgivingRedisCache(
        "redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}
    )
    dead.set("key", "value")
    assert dead.get("key", "missing") == "missing"
    assert dead.add("key", 1) is False
    assert dead.incr("counter") == 1
    assert dead.get_many(["a", "b"]) == {}
    assert dead.delete("key") is False


@pytest.mark.django_db
def test_the_site_keeps_working_when_redis_is_down(settings: pytest.FixtureRequest) -> None:
    from django.core.cache import caches
    from django.test import Client

    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "coproduce.lib.cache.ForgivingRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    caches.close_all()
    try:
        assert Client().get("/").status_code == 200
        assert Client().get("/accounts/login/").status_code == 200
    finally:
        caches.close_all()


def test_a_malformed_log_level_is_reported_in_one_line() -> None:
    result = run_coproduce("check", COPRODUCE_LOG_LEVEL="sometimes", COPRODUCE_DEBUG="1")
    assert result.returncode == 2
    assert "COPRODUCE_LOG_LEVEL must be one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_rate_limit_error_passes_through_a_context_manager_intact() -> None:
    from contextlib import contextmanager

    from coproduce.lib.ratelimit import RateLimited

    @contextmanager
    def around() -> Iterator[None]:
        yield

    with pytest.raises(RateLimited) as raised, around():
        raise RateLimited(retry_after=7)

    assert raised.value.retry_after == 7
    assert "7 seconds" in str(raised.value)
