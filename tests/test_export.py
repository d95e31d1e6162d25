"""The bulk download: `/api/v1/export/` lists a Frictionless Data Package and a JSON document of the
whole knowledge base, with URLs, sizes and the version; the package validates with `frictionless`,
holds every row of every table, and agrees row for row with the API; both are built once per
knowledge-base version and served again as files.
"""

import csv
import io
import json
import zipfile

import pytest
from django.contrib.auth.models import Permission, User
from django.db.models import JSONField
from frictionless import Package, validate
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api import export
from api.urls import router
from tests.api_helpers import API, assert_error, get

RESOURCES = ("programs", "jurisdictions", "organizations", "officials", "positions", "sources")


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.KB_EXPORT_DIR = tmp_path / "exports"
    return settings.KB_EXPORT_DIR


@pytest.fixture
def listing(knowledge_base, api):
    response = get(api, "export/")
    assert response.status_code == 200, response.content[:500]
    return response.json()


def download(api, listing, name):
    [entry] = [entry for entry in listing["downloads"] if entry["name"] == name]
    response = api.get(entry["url"])
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert len(content) == entry["bytes"]
    assert response["Content-Type"] == entry["media_type"]
    return content, response


@pytest.fixture
def package_dir(api, listing, tmp_path):
    content, _ = download(api, listing, "datapackage")
    folder = tmp_path / "package"
    zipfile.ZipFile(io.BytesIO(content)).extractall(folder)
    return folder


def table(folder, model):
    with open(folder / f"{export.table_name(model)}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_listing_names_both_downloads_with_url_size_and_version(listing):
    assert [entry["name"] for entry in listing["downloads"]] == ["datapackage", "json"]
    for entry in listing["downloads"]:
        assert entry["kb_version"] == listing["kb_version"] == export.knowledge_base_version()
        assert entry["bytes"] > 1000
        assert entry["url"].startswith(f"http://testserver{API}export/")


def test_the_data_package_is_valid_frictionless(package_dir):
    report = validate(str(package_dir / "datapackage.json"))

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:20]


def test_the_package_has_every_record_table_with_keys_and_no_history(package_dir):
    package = Package(str(package_dir / "datapackage.json"))
    names = {resource.name for resource in package.resources}

    assert names == {export.table_name(model) for model in export.record_models()}
    assert not any("historical" in name for name in names)
    positions = package.get_resource("positions")
    assert positions.schema.primary_key == ["id"]
    assert {key["fields"][0] for key in positions.schema.to_dict()["foreignKeys"]} == {
        "program_id",
        "event_id",
        "official_id",
        "jurisdiction_id",
        "organization_id",
    }
    assert positions.schema.get_field("date_earliest").type == "date"
    assert positions.schema.get_field("date_latest").type == "date"
    assert "search_text" not in positions.schema.field_names
    assert package.get_resource("jurisdictions").schema.to_dict()["foreignKeys"][0]["reference"]["resource"] == ""


def test_every_row_of_every_table_is_in_the_package(package_dir):
    for model in export.record_models():
        rows = table(package_dir, model)
        names = [field.attname for field in export.exported_fields(model)]
        expected = [
            [export.cell(value) for value in row] for row in model._default_manager.order_by("pk").values_list(*names)
        ]
        assert [[row[name] for name in names] for row in rows] == expected, model


# The API's name of a column, where it is not the table's: a source's own address (its `url`,
# the API's being the record's address in the API).
API_NAMES = {("sources", "original_url"): "url"}


def test_the_package_agrees_row_for_row_with_the_api(api, package_dir):
    """Each resource's CSV from the API against the package's table: every plain column equal, every
    related record's slug that of the row its key points to."""
    tables = {model: {row["id"]: row for row in table(package_dir, model)} for model in export.record_models()}
    compared = 0
    for prefix, viewset, _ in router.registry:
        if prefix not in RESOURCES:
            continue
        model = viewset.filterset_class._meta.model
        by_slug = {row["slug"]: row for row in tables[model].values()}
        api_rows = list(
            csv.DictReader(io.StringIO(b"".join(get(api, f"{prefix}/", {"format": "csv"}).streaming_content).decode()))
        )
        assert {row["slug"] for row in api_rows} == set(by_slug), prefix
        for api_row in api_rows:
            packaged = by_slug[api_row["slug"]]
            for column, value in api_row.items():
                if column == "url":
                    continue  # the record's address in the API, not a column of its table
                column = API_NAMES.get((prefix, column), column)
                if column in packaged:
                    expected = packaged[column]
                    if isinstance(model._meta.get_field(column), JSONField):  # a JSON list; "; "-joined in CSV
                        expected = "; ".join(json.loads(expected))
                    assert expected == value, (prefix, api_row["slug"], column)
                    compared += 1
                elif column.endswith("_slug") and f"{column[:-5]}_id" in packaged:
                    field = model._meta.get_field(column[:-5])
                    key = packaged[f"{column[:-5]}_id"]
                    assert (tables[field.related_model][key]["slug"] if key else "") == value, (prefix, column)
                    compared += 1
    assert compared > 400  # every column of every record the two share


def test_the_json_document_is_every_record_as_the_api_writes_it(api, listing):
    content, _ = download(api, listing, "json")
    document = json.loads(content)

    assert document["kb_version"] == listing["kb_version"]
    assert list(document["resources"]) == list(RESOURCES)
    for resource in RESOURCES:
        records = document["resources"][resource]
        assert len(records) == get(api, f"{resource}/").json()["count"]
        for record in records[:5]:
            assert record == api.get(record["url"]).json(), (resource, record["slug"])


def test_a_second_request_serves_the_same_files_without_building(api, listing, monkeypatch):
    def no_build(*args):
        raise AssertionError("built again")

    monkeypatch.setattr(export, "write_package", no_build)
    monkeypatch.setattr(export, "write_document", no_build)

    again = get(api, "export/").json()

    assert again == listing
    download(api, again, "datapackage")


def test_a_write_makes_a_new_version_and_the_next_download_holds_it(api, listing, export_dir):
    user = User.objects.create_user("curator", password="a-long-enough-password")
    user.user_permissions.set(Permission.objects.filter(codename="change_jurisdiction"))
    curator = APIClient()
    curator.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert curator.patch(API + "jurisdictions/boston/", {"name": "City of Boston"}, format="json").status_code == 200

    fresh = get(api, "export/").json()

    assert fresh["kb_version"] != listing["kb_version"]
    content, _ = download(api, fresh, "datapackage")
    jurisdictions = zipfile.ZipFile(io.BytesIO(content)).read("jurisdictions.csv").decode()
    assert "City of Boston" in jurisdictions
    assert [folder.name.split("-")[0] for folder in export_dir.iterdir()] == [fresh["kb_version"]] * 2


def test_a_download_carries_the_version_as_etag_and_an_unchanged_one_is_a_304(api, listing):
    _, response = download(api, listing, "datapackage")

    assert response["ETag"] == f'"{listing["kb_version"]}"'
    assert "attachment" in response["Content-Disposition"]
    again = api.get(listing["downloads"][0]["url"], HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_an_unknown_download_is_a_404(api, knowledge_base):
    assert_error(get(api, "export/everything.tar"), 404, code="not_found")
