"""Token authentication that looks up only what can be a token."""

import re

from rest_framework import authentication, exceptions

TOKEN_KEY = re.compile(r"[0-9a-f]{40}")  # what rest_framework.authtoken generates


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's `Authorization: Token <key>`, refusing a malformed key before any query: a NUL byte
    in it would reach PostgreSQL, which refuses it with an error (a 500) instead of a 401."""

    def authenticate_credentials(self, key):
        if not TOKEN_KEY.fullmatch(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
