import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coproduce.settings")
django_application = get_asgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)

from coproduce.core.pagecache import PageCache, content_version  # noqa: E402

# Pages anonymous readers share are answered from memory, before Django (core/pagecache.py).
application = PageCache(django_application, entries=settings.PAGE_CACHE_ENTRIES, version=content_version)
