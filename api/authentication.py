"""`Authorization: Token <key>` (or `Bearer <key>`) against hashed ApiTokens.

The token names the workspace the request works in, as the session does for the
browser; the access helpers then check membership on every request, so a user
removed from the workspace loses the API with it.
"""

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from api.tokens import find_token


class HashedTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.lower().startswith("bearer "):
            request.META["HTTP_AUTHORIZATION"] = "Token " + header[7:]
        return super().authenticate(request)

    def authenticate_credentials(self, key: str):
        token = find_token(key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return token.user, token
