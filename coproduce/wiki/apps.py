from django.apps import AppConfig


class WikiConfig(AppConfig):
    name = "coproduce.wiki"
    label = "wiki"
    verbose_name = "Wiki"
