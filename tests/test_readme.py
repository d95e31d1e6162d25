"""The README is a front door that stays true: its links lead to files, its commands are the
Makefile's, its pictures are the browser tests' own, and every call it shows (and every call of
docs/api.md) answers what it says, on the real knowledge base."""

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def links_of(path):
    """Relative link targets of a Markdown file, without their #fragment."""
    targets = []
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or target.startswith(("#", "/")):
            continue  # another site, a fragment of this page, or a path of the running app
        targets.append(target.split("#", 1)[0])
    return targets


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves_to_a_file(path):
    missing = [target for target in links_of(path) if not (path.parent / target).exists()]
    assert missing == []


def test_the_readme_links_the_docs_where_the_depth_is():
    linked = {(README.parent / target).resolve() for target in links_of(README)}
    for topic in ("configuration", "deployment", "curating", "data-model", "performance", "reliability", "api"):
        assert (ROOT / "docs" / f"{topic}.md").resolve() in linked, topic


def makefile_targets():
    return set(re.findall(r"^([a-z][a-z0-9_-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), flags=re.M))


def test_the_readme_gives_the_two_commands_and_the_makefile_has_them():
    text = README.read_text(encoding="utf-8")
    assert "make run     # " in text and "make test    # " in text
    named = set(re.findall(r"\bmake ([a-z][a-z0-9_-]*)", text))
    assert named == {"run", "test"}
    assert named <= makefile_targets()


def test_the_readme_fits_on_a_couple_of_screens():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 100
    # Its tables, benchmarks and variables moved to docs/.
    assert not any(line.startswith("| `DJANGO_") for line in lines)


def test_the_readme_pictures_are_the_browser_tests_own():
    pictures = {Path(target).stem for target in links_of(README) if target.startswith("docs/screenshots/")}
    taken = set()
    for test in (ROOT / "tests" / "browser").glob("test_*.py"):
        taken |= set(re.findall(r'docs_screenshot\(.*, "([a-z0-9-]+)"\)', test.read_text(encoding="utf-8")))
    assert pictures and pictures <= taken
    assert all((ROOT / "docs" / "screenshots" / f"{name}.png").exists() for name in pictures)


def documented_calls():
    """(file, curl path, jq arguments, the output shown) of every `$ curl ... | jq ...` example."""
    calls = []
    for path in (README, ROOT / "docs" / "api.md"):
        for block in re.findall(r"```console\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S):
            for example in re.split(r"^\$ ", block, flags=re.M)[1:]:
                command, _, shown = example.partition("\n")
                match = re.fullmatch(r"curl -s '(http://127\.0\.0\.1:8000)?(/[^']*)' \| (jq.*)", command)
                assert match, f"{path.name}: an example that is not `curl -s '...' | jq ...`: {command}"
                calls.append((path.name, match.group(2), match.group(3), shown))
    return calls


@pytest.mark.parametrize("where, path, jq, shown", documented_calls(), ids=lambda value: str(value)[:60])
def test_every_documented_call_answers_what_it_shows(client, knowledge_base, where, path, jq, shown):
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed: the documented calls pipe their answers through it")
    response = client.get(path, HTTP_HOST="127.0.0.1:8000")
    body = b"".join(response.streaming_content) if response.streaming else response.content  # a CSV streams
    filtered = subprocess.run(shlex.split(jq), input=body, capture_output=True, check=True)
    assert filtered.stdout.decode().strip() == shown.strip()
