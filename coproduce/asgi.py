"""The application `coproduce serve` runs under uvicorn.

HTTP requests reach Django's (synchronous) handler on a fixed pool of threads through a2wsgi,
rather than Django's ASGI handler, which starts a thread and opens a database connection for
every request: the pool keeps its threads and their connections (see bench/README.md for the
figures). In front of it, pages anonymous readers share are answered from memory
(core/pagecache.py), and on the pool, pages a signed-in member was already shown
(core/viewercache.py).
"""

import os

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coproduce.settings")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)

from coproduce.core.pagecache import PageCache, content_version  # noqa: E402
from coproduce.core.viewercache import ViewerCache  # noqa: E402

members = ViewerCache(
    django_application,  # type: ignore[arg-type]
    entries=settings.VIEWER_CACHE_ENTRIES,
    version=content_version,
)
application = PageCache(
    WSGIMiddleware(members, workers=settings.HTTP_THREADS),  # type: ignore[arg-type]
    entries=settings.PAGE_CACHE_ENTRIES,
    version=content_version,
)
