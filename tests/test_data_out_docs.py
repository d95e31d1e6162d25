"""docs/data-out.md keeps true: the CSV columns it lists are the ones each list writes."""

import csv
import io
import re
from pathlib import Path

import pytest

from tests.api_helpers import get

DOC = Path(__file__).resolve().parent.parent / "docs" / "data-out.md"
LINE = re.compile(r"^- `/api/v1/([a-z/]+)`: (.+)$", re.MULTILINE)


def documented_columns():
    return {path: columns.split(", ") for path, columns in LINE.findall(DOC.read_text(encoding="utf-8"))}


def test_the_doc_lists_the_columns_of_every_list():
    assert set(documented_columns()) == {
        "positions/",
        "programs/",
        "jurisdictions/",
        "organizations/",
        "officials/",
        "sources/",
        "citations/",
        "facts/",
    }


@pytest.mark.parametrize("path", sorted(documented_columns()))
def test_the_documented_columns_are_the_ones_written(knowledge_base, api, path):
    response = get(api, path, {"format": "csv"})
    header = next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert header == documented_columns()[path]
