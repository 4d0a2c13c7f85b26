from ninja import NinjaAPI

api = NinjaAPI(title="Coproduce API", version="1", urls_namespace="api")
