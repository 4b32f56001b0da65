"""OpenAPI description of the project's JWT authentication class."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class BearerJWTScheme(SimpleJWTScheme):
    target_class = "souk.accounts.authentication.JWTAuthentication"
    name = "jwtAuth"
