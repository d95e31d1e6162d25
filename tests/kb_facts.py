"""What the build tests share: writing a facts file, building it, reading its problems.

The `facts` fixture (a copy of the real facts file and documents) is in tests/conftest.py.
"""

import pytest
import yaml

from kb.fixture_build import BuildError, build_fixture

REFUSAL = "massachusetts-refuses-secure-communities-2011-06-03"


def write_facts(tmp_path, facts):
    facts_file = tmp_path / "kb.yaml"
    facts_file.write_text(yaml.safe_dump(facts, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return facts_file


def build(tmp_path, facts):
    return build_fixture(write_facts(tmp_path, facts), tmp_path / "documents")


def find(entries, slug):
    return next(entry for entry in entries if entry["slug"] == slug)


def build_problems(tmp_path, facts):
    """The build's problems, one string each; the build must fail."""
    with pytest.raises(BuildError) as error:
        build(tmp_path, facts)
    assert str(error.value).startswith(f"{len(error.value.problems)} problem(s) in the facts file:")
    return error.value.problems


def problem_of(problems, where):
    """The one problem reported for `where` (a record, or a record's citation, voice, reason...)."""
    found = [problem for problem in problems if problem.startswith(f"{where}: ")]
    assert len(found) == 1, problems
    return found[0]
