"""Proxy headers, believed only from the proxy.

nginx (deploy/nginx.conf.template) appends the address it sees to X-Forwarded-For and sets
X-Forwarded-Proto. A request that comes from an address in DJANGO_TRUSTED_PROXIES gets
REMOTE_ADDR set to the client's address: the right-most address in X-Forwarded-For that is not
itself a trusted proxy (addresses to its left were written by whoever sent the request, so they
can be anything). From anyone else the headers are dropped: a client that reaches gunicorn
directly keeps its own address, so it cannot dodge a rate limit, and cannot claim https.

Everything that asks for the client's address (DRF's throttles, django-axes) reads REMOTE_ADDR.
gunicorn's own check of X-Forwarded-Proto (`forwarded_allow_ips`) is given the same list
(config/gunicorn.py).
"""

import ipaddress

from django.conf import settings

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_FORWARDED")


def is_trusted(address):
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(parsed in network for network in settings.TRUSTED_PROXIES)


def forwarded_client(forwarded_for):
    """The client's address in an X-Forwarded-For chain: right to left, the first that is not a proxy."""
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return None  # not an address: the chain is garbled from here on, trust none of it
        if not is_trusted(hop):
            return hop
    return hops[0] if hops else None


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if is_trusted(meta.get("REMOTE_ADDR", "")):
            client = forwarded_client(meta.get("HTTP_X_FORWARDED_FOR", ""))
            if client is not None:
                meta["REMOTE_ADDR"] = client
        else:
            for header in FORWARDED_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)


def client_address(request):
    """django-axes' AXES_CLIENT_IP_CALLABLE: the address the middleware above settled on."""
    return request.META.get("REMOTE_ADDR")
