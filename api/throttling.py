"""DRF's anonymous and per-user throttles, noting on the request the rate a refused request ran
out of, so the 429 carries the IETF RateLimit fields besides Retry-After (api.exceptions)."""

from rest_framework import throttling


class RecordsExceededRate:
    def allow_request(self, request, view):
        allowed = super().allow_request(request, view)
        if not allowed:
            # DRF's Request wraps Django's; config.http_cache asks with Django's own, before any view.
            django_request = getattr(request, "_request", request)
            django_request.exceeded_rates = [
                *getattr(django_request, "exceeded_rates", []),
                (self.num_requests, self.duration),
            ]
        return allowed


class AnonRateThrottle(RecordsExceededRate, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(RecordsExceededRate, throttling.UserRateThrottle):
    pass
