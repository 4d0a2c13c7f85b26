"""Settings for the test run: the site's own settings, in production mode, with a test-only secret key."""

import os
import re

os.environ.setdefault("COPRODUCE_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
# Test servers speak plain HTTP on loopback: no redirect to https, cookies not marked Secure.
os.environ.setdefault("COPRODUCE_HTTPS", "0")
# Tests log moderators and admins in without a second factor; the tests of that rule switch it on.
os.environ.setdefault("COPRODUCE_REQUIRE_MFA_FOR_STAFF", "0")

# Parallel test workers (pytest-xdist) each get their own Redis database, so that one worker
# emptying the cache between tests never wipes another's rate-limit counters.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if os.environ.get("REDIS_URL") and _worker.startswith("gw"):
    _base = re.match(r"(?P<prefix>redis://[^/]+)(?:/(?P<db>\d+))?$", os.environ["REDIS_URL"])
    if _base:
        _db = (int(_base["db"] or 0) + 1 + int(_worker[2:])) % 16
        os.environ["REDIS_URL"] = f"{_base['prefix']}/{_db}"

from coproduce.settings import *  # noqa: E402, F403
