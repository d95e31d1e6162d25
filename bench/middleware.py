"""For the benchmark only (KB_BENCH_FLOOR): what each answer cost, in headers.

- `X-Queries`: the SQL queries the request ran, on every database alias (a read replica's too).
- `X-Bench-Response`: a value no other answer carries. A cache between the client and the app
  (a proxy's, or a response cache in the app below this middleware) hands back a stored
  answer's headers, so two answers with the same value mean the second was not computed:
  bench/run.py uses it to refuse a cached answer as a cold figure.
"""

import secrets
from contextlib import ExitStack

from django.db import connections


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        with ExitStack() as wrappers:
            for connection in connections.all():
                wrappers.enter_context(connection.execute_wrapper(count))
            response = self.get_response(request)
        response["X-Queries"] = str(queries[0])
        response["X-Bench-Response"] = secrets.token_hex(8)
        return response
