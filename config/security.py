"""Browser-facing hardening: a Content-Security-Policy on every HTML page, and sign-in attempts limited.

Every HTML answer (the admin, the browsable API, error pages) gets HTML_POLICY unless the view
set a policy of its own (the docs pages: api.docs). Scripts, frames and forms stay on the site;
styles may be inline (the admin's and DRF's templates use style attributes).
"""

from axes.backends import AxesStandaloneBackend

HTML_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html") and not response.has_header(
            "Content-Security-Policy"
        ):
            response["Content-Security-Policy"] = HTML_POLICY
        return response


class AxesBackend(AxesStandaloneBackend):
    """django-axes' check before every sign-in over HTTP (the admin's form).

    A call without a request (`authenticate()` in the shell, a test client's `login()`) is no
    attempt from a client: it goes to the model backend unchecked, where axes would refuse it.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: 429 with a page that says why and for how long."""
    from django.conf import settings
    from django.shortcuts import render

    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes, "title": "Sign-in locked"}
    response = render(request, "admin/locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
