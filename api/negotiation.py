"""Content negotiation shared by the knowledge-base resources and search."""

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation


class FormatNegotiation(DefaultContentNegotiation):
    """`?format=` names the answer's format whatever `Accept` says; an unknown one is a 400 naming it
    (DRF's own answer is a 404, as for an unknown path)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        format_ = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if format_:
            matching = [renderer for renderer in renderers if renderer.format == format_]
            if not matching:
                accepted = ", ".join(renderer.format for renderer in renderers)
                raise exceptions.ValidationError(
                    {"format": [f"'{format_[:40]}' is not accepted; choose from: {accepted}."]}
                )
            return matching[0], matching[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
