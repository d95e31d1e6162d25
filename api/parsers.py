"""Request bodies: JSON only, and a body too deeply nested to parse is the client's error."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with one more malformed body turned into a 400.

    Python's json module recurses once per nesting level: `[[[[...]]]]` a few thousand levels deep
    exhausts the stack (RecursionError), which would otherwise be a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
