from django.urls import path

from graphql_api.views import GraphQLView

urlpatterns = [path("", GraphQLView.as_view(), name="graphql")]
