"""Settings for the test run: the site's own settings, in production mode, with a test-only secret key."""

import os

os.environ.setdefault("COPRODUCE_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
# Test servers speak plain HTTP on loopback: no redirect to https, cookies not marked Secure.
os.environ.setdefault("COPRODUCE_HTTPS", "0")

from coproduce.settings import *  # noqa: F403
