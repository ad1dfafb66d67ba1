"""`Authorization: Token <key>` (or `Bearer <key>`) against hashed ApiTokens.

The token names the workspace the request works in, as the session does for the
browser; the access helpers then check membership on every request, so a user
removed from the workspace loses the API with it.
"""

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header

from api.tokens import find_token


class HashedTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) == 2 and parts[0].lower() == b"bearer":
            try:
                return self.authenticate_credentials(parts[1].decode())
            except UnicodeError:
                raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate(request)

    def authenticate_credentials(self, key: str):
        token = find_token(key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return token.user, token
