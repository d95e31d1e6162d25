"""Examples for the OpenAPI documentation, taken from the real knowledge base.

tests/test_api_schema.py checks that each one is what the API answers today.
"""

EXAMPLES = {}
