"""The running server, with the sample data, checked by clients nobody here wrote.

    check.py BASE_URL EDITOR_NAME EDITOR_PASSWORD

- openapi-spec-validator: both OpenAPI documents (the service's 3.1, the OGC API's 3.0);
- GDAL (ogrinfo, the OAPIF driver): the layers' grading fields, their types and counts;
- OWSLib: the queryables and CQL2 filters on the grading;
- GDAL and OWSLib with an editor's token: the staff-only cases collection (hidden from the
  public), its petitions and their complainants;
- schemathesis: every GET operation of the service's OpenAPI document, with an editor's token,
  checked for server errors and for statuses, media types and bodies the document does not
  declare.

The figures are the sample data's (geodata/samples): 25 of the 128 sections are worse than V at
their latest sampling and 50 miss their target; one plot is over the screening value. The
ledgers (geodata/cases) hold 191 cases, 165 of them petitions.
"""

import http.cookiejar
import json
import os
import subprocess
import sys
import urllib.request

from openapi_spec_validator import validate
from owslib.ogcapi.features import Features

BASE, EDITOR, PASSWORD = sys.argv[1:4]
OGC = f"{BASE}/ogc"
SECTIONS, WORSE_THAN_V, MISSING_TARGET, OVER_SCREENING = 128, 25, 50, 1
CASES, PETITIONS = 191, 165


def check(condition, message):
    if not condition:
        sys.exit(f"FAILED: {message}")
    print(f"ok: {message}")


def get_json(path):
    with urllib.request.urlopen(BASE + path) as response:
        return json.load(response)


def openapi_documents():
    for path in ["/api/openapi.json", "/ogc/api"]:
        document = get_json(path)
        validate(document)
        check(True, f"{path}: OpenAPI {document['openapi']}, {len(document['paths'])} paths, valid")


def ogrinfo(layer, where=None):
    command = ["ogrinfo", "-ro", "-so", f"OAPIF:{OGC}", layer]
    if where:
        command += ["-where", where]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    fields = dict(
        line.split(": ", 1) for line in out.splitlines() if ": " in line and not line.startswith(" ")
    )
    return int(fields["Feature Count"]), fields


def gdal():
    count, fields = ogrinfo("monitoring_section")
    check(count == SECTIONS, f"GDAL reads {count} monitoring sections")
    for name, kind in [
        ("latest_class", "String (0.0)"),
        ("latest_sampled_at", "DateTime (0.0)"),
        ("meets_target", "Integer(Boolean) (1.0)"),
    ]:
        check(fields.get(name) == kind, f"GDAL types the sections' {name} as {fields.get(name)}")
    count, _ = ogrinfo("monitoring_section", "latest_class = 'worse_than_V'")
    check(count == WORSE_THAN_V, f"GDAL finds {count} sections worse than V")
    count, _ = ogrinfo("monitoring_section", "meets_target = 0")
    check(count == MISSING_TARGET, f"GDAL finds {count} sections missing their target")
    _, fields = ogrinfo("black_odor_water")
    check(fields.get("black_odor_grade") == "String (0.0)", "GDAL reads the black-odor grade")
    count, _ = ogrinfo("contaminated_plot", "soil_risk = 'over_screening'")
    check(count == OVER_SCREENING, f"GDAL finds {count} plot over screening")


def owslib():
    service = Features(OGC)
    conformance = service.conformance()["conformsTo"]
    check(
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in conformance,
        "OWSLib reads the CQL2 text conformance",
    )
    queryables = service.collection_queryables("monitoring_section")["properties"]
    for name in ["latest_class", "latest_sampled_at", "meets_target"]:
        check(name in queryables, f"OWSLib lists {name} among the sections' queryables")
    worse = service.collection_items(
        "monitoring_section", filter="latest_class = 'worse_than_V'", limit=500
    )
    check(
        worse["numberMatched"] == WORSE_THAN_V
        and len(worse["features"]) == WORSE_THAN_V
        and all(f["properties"]["latest_class"] == "worse_than_V" for f in worse["features"]),
        f"OWSLib filters {len(worse['features'])} sections worse than V with CQL2",
    )
    by_parameter = service.collection_items(
        "monitoring_section", latest_class="worse_than_V", meets_target="false", limit=500
    )
    check(
        by_parameter["numberMatched"] == WORSE_THAN_V,
        f"OWSLib selects {by_parameter['numberMatched']} sections worse than V by query parameters",
    )
    missing = service.collection_items(
        "monitoring_section",
        filter="meets_target = false AND latest_class IN ('IV', 'V', 'worse_than_V')",
        limit=500,
    )
    check(
        missing["numberMatched"] == MISSING_TARGET,
        f"OWSLib filters {missing['numberMatched']} sections missing their target",
    )


def casework(token):
    public = [c["id"] for c in Features(OGC).collections()["collections"]]
    check("cases" not in public, "OWSLib, anonymous, is not offered the cases collection")
    staff = Features(OGC, headers={"Authorization": f"Bearer {token}"})
    petitions = staff.collection_items("cases", kind="petition", limit=500)
    check(
        petitions["numberMatched"] == PETITIONS
        and all("complainant_phone" in f["properties"] for f in petitions["features"]),
        f"OWSLib, as an editor, reads {petitions['numberMatched']} petitions with their complainants",
    )
    env = dict(os.environ, GDAL_HTTP_HEADERS=f"Authorization: Bearer {token}")
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{OGC}", "cases"],
        check=True, capture_output=True, text=True, env=env,
    ).stdout
    count = next(int(l.split(": ")[1]) for l in out.splitlines() if l.startswith("Feature Count"))
    check(count == CASES, f"GDAL, as an editor, reads {count} cases")


_token = None


def editor_token():
    global _token
    if _token:
        return _token
    cookies = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def post(path, body):
        request = urllib.request.Request(
            BASE + path,
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json", "origin": BASE},
        )
        with cookies.open(request) as response:
            return json.load(response)

    post("/api/auth/login", {"username": EDITOR, "password": PASSWORD})
    _token = post("/api/auth/tokens", {"name": "clients"})["token"]
    return _token


def schemathesis():
    command = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run",
        f"{BASE}/api/openapi.json",
        "--include-method", "GET",
        "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_schema_conformance",
        "--max-examples", "25", "--generation-deterministic",
        "--header", f"authorization: Bearer {editor_token()}",
    ]
    # schemathesis keeps its cache in the working directory: the build's, not the source tree
    target = os.path.join(os.path.dirname(__file__), "..", "..", "target")
    run = subprocess.run(command, capture_output=True, text=True, cwd=target)
    summary = run.stdout[run.stdout.rfind("SUMMARY"):]
    print(summary)
    if run.returncode != 0:
        sys.exit(f"FAILED: schemathesis found problems:\n{run.stdout[-20000:]}")
    print("ok: schemathesis finds no failure in the GET operations")


openapi_documents()
gdal()
owslib()
casework(editor_token())
schemathesis()
