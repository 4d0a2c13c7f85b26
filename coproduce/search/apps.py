from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "coproduce.search"
    label = "search"
    verbose_name = "Search"
