"""Gzip for answers that carry no secret.

BREACH recovers a secret from a compressed page by making it reflect guesses next to the secret
and watching the size. Pages for a signed-in session carry one (the CSRF token), so they go out
uncompressed; API answers to anonymous or token clients carry none. Django's GZipMiddleware
also pads each compressed body with random bytes, which blunts the attack further.
"""

from django.conf import settings
from django.middleware.gzip import GZipMiddleware


class GZipWithoutSessionsMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return response
        return super().process_response(request, response)
