from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "coproduce.discussions"
    label = "discussions"
    verbose_name = "Discussions"
