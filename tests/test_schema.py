# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""The JSON Schemas: generated from the records, shipped as files, read by others."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import consentkit
from consentkit import Activity, InvalidRecord, Spotter
from consentkit import _validate as v
from consentkit._documents import KINDS
from consentkit._schema import DIALECT, generate, main, render
from consentkit._serialize import TIME_PATTERN

SHIPPED = Path(consentkit.__file__).parent / "schemas"
GOLDEN = Path(__file__).parent / "golden" / "v1"


@pytest.mark.parametrize("kind", list(KINDS))
def test_shipped_schema_is_the_generated_one(kind: str) -> None:
    """The file shipped for a kind is what the generator writes: run `make schemas`."""
    assert (SHIPPED / f"{kind}.json").read_text("utf-8") == render(generate(kind))


def test_no_stray_schema_files() -> None:
    """Exactly one schema file per kind is shipped."""
    assert sorted(p.stem for p in SHIPPED.glob("*.json")) == sorted(KINDS)


def test_main_writes_every_schema(tmp_path: Path) -> None:
    """The generator's entry point writes one file per kind into a folder."""
    assert main([str(tmp_path)]) == 0
    for kind in KINDS:
        assert (tmp_path / f"{kind}.json").read_text("utf-8") == render(generate(kind))


@pytest.mark.parametrize("kind", list(KINDS))
def test_schema_is_valid_draft_2020_12(kind: str) -> None:
    """Each schema is itself valid under the 2020-12 meta-schema."""
    schema = consentkit.json_schema(kind)
    assert schema["$schema"] == DIALECT
    jsonschema.Draft202012Validator.check_schema(schema)


def test_json_schema_returns_a_fresh_copy() -> None:
    """Changing the returned schema changes nothing for the next caller."""
    first = consentkit.json_schema("step")
    first["title"] = "changed"
    assert consentkit.json_schema("step")["title"] != "changed"
    with pytest.raises(ValueError, match="unknown kind `diary`"):
        consentkit.json_schema("diary")
    with pytest.raises(ValueError, match="unknown kind `diary`"):
        generate("diary")


def test_schema_follows_the_records() -> None:
    """Required fields, defaults, durations, tags and enums follow the records."""
    defs = consentkit.json_schema("ledger")["$defs"]
    step = consentkit.json_schema("step")["$defs"]["Step"]
    assert step["required"] == ["actor", "recipient", "activity", "intensity", "at"]
    assert step["additionalProperties"] is False
    assert step["properties"]["duration_s"]["default"] == 0
    assert step["properties"]["intensity"] == {
        "description": "1 to 10.",
        "type": "integer",
        "minimum": 1,
        "maximum": 10,
    }
    assert defs["Proposed"]["properties"]["type"] == {"const": "proposed"}
    assert defs["Proposed"]["required"][0] == "type"
    assert defs["Role"]["enum"] == ["give", "receive", "witness"]
    assert defs["Limit"]["properties"]["roles"]["default"] == ["give", "receive"]
    assert defs["Limit"]["properties"]["roles"]["minItems"] == 1
    assert defs["CheckInWithin"]["properties"]["minutes"]["maximum"] == v.MAX_MINUTES
    assert defs["Entry"]["properties"]["seq"]["minimum"] == 0
    assert defs["Entry"]["properties"]["digest"] == {
        "description": "`sha256:` of the RFC 8785 form of "
        '`{"prev": prev, "event": event}`.',
        "$ref": "#/$defs/digest",
    }
    assert defs["Event"]["oneOf"][0] == {"$ref": "#/$defs/Proposed"}
    assert defs["activity_id"]["pattern"] == f"^{v.ACTIVITY_ID}$"
    assert defs["time"]["pattern"] == f"^{TIME_PATTERN}$"


def test_generator_refuses_a_validator_it_does_not_know() -> None:
    """A rule the schema cannot state is an error, not a silent gap."""

    def odd_only(instance: Any, attribute: Any, value: Any) -> None:
        if value % 2 == 0:
            raise v.fail(instance, attribute.name, "must be odd")

    @attrs.frozen(kw_only=True)
    class Odd:
        number: int = attrs.field(validator=odd_only)

    from consentkit._schema import _Generator  # noqa: PLC0415  # the private generator

    with pytest.raises(TypeError, match="no schema for validator"):
        _Generator().of_type(Odd, None)


ID_PATTERN = consentkit.json_schema("step")["$defs"]["id"]


def _valid(build: Any, text: str) -> bool:
    try:
        build(text)
    except InvalidRecord:
        return False
    return True


ID_TEXT = st.text(
    st.one_of(
        st.characters(exclude_categories=["Cs"]),
        st.sampled_from("\t\n\x0b\x0c\r \x1c\x1f\x7f\x85\xa0\u2000\u2028\u3000\ufeff"),
    ),
    max_size=130,
)


@given(ID_TEXT)
def test_the_id_pattern_is_the_id_rule(text: str) -> None:
    """The schema's id pattern and length accept exactly the valid party ids."""
    body = ID_PATTERN["pattern"][1:-1]  # ECMAScript anchors; Python needs fullmatch
    fits = (
        ID_PATTERN["minLength"] <= len(text) <= ID_PATTERN["maxLength"]
        and re.fullmatch(body, text) is not None
    )
    assert fits == _valid(lambda party: Spotter(party=party), text)


@given(st.from_regex(r"[a-z0-9_.]{0,12}", fullmatch=True))
def test_the_activity_pattern_is_the_activity_rule(text: str) -> None:
    """The schema's activity id pattern accepts exactly the valid activity ids."""
    pattern = consentkit.json_schema("step")["$defs"]["activity_id"]["pattern"]
    valid = _valid(lambda activity: Activity(id=activity, label="x"), text)
    assert (re.fullmatch(pattern[1:-1], text) is not None) == valid


# -- interop: a JavaScript validator reads the same schemas -----------------------

AJV_SCRIPT = """
const Ajv2020 = require("ajv/dist/2020");
const addFormats = require("ajv-formats");
const fs = require("fs");
const [schemaDir, ...documents] = process.argv.slice(2);
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const compiled = {};
let failed = 0;
for (const path of documents) {
  const document = JSON.parse(fs.readFileSync(path, "utf8"));
  if (!(document.kind in compiled)) {
    compiled[document.kind] = ajv.compile(JSON.parse(
      fs.readFileSync(`${schemaDir}/${document.kind}.json`, "utf8")));
  }
  const validate = compiled[document.kind];
  if (validate(document)) {
    console.log(`ok ${path}`);
  } else {
    failed += 1;
    console.log(`invalid ${path}: ${JSON.stringify(validate.errors)}`);
  }
}
process.exit(failed ? 1 : 0);
"""


@pytest.fixture(scope="session")
def ajv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ajv and ajv-formats installed from npm (skips without node)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        reason = "node and npm are not on PATH: the JavaScript interop check is skipped"
        print(reason)  # noqa: T201  # the reason belongs in the test log too
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("ajv")
    try:
        subprocess.run(  # noqa: S603  # a fixed command line
            [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund",
             "--loglevel=error", "ajv@8", "ajv-formats@3"],
            check=True, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        output = getattr(error, "stderr", "") or ""
        reason = f"cannot install ajv from the npm registry: {output.strip()[-300:]}"
        print(reason)  # noqa: T201  # the reason belongs in the test log too
        pytest.skip(reason)
    (folder / "validate.js").write_text(AJV_SCRIPT, encoding="utf-8")
    return folder


def test_golden_documents_validate_with_ajv(ajv: Path) -> None:
    """The JavaScript validator ajv (2020-12, strict) accepts every golden document."""
    node = shutil.which("node")
    assert node is not None
    documents = sorted(str(p) for p in GOLDEN.glob("*.json"))
    result = subprocess.run(  # noqa: S603  # a fixed command line
        [node, str(ajv / "validate.js"), str(SHIPPED), *documents],
        capture_output=True, text=True, timeout=120, cwd=ajv, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok ") == len(documents)


def test_ajv_rejects_what_the_schema_rejects(ajv: Path, tmp_path: Path) -> None:
    """The JavaScript validator refuses what the schema refuses: same patterns."""
    node = shutil.which("node")
    assert node is not None
    document = json.loads((GOLDEN / "step.json").read_text("utf-8"))
    bad = []
    for field, value in (
        ("actor", " ann"),
        ("activity", "Impact"),
        ("at", "2026-03-07"),
    ):
        changed = json.loads(json.dumps(document))
        changed["data"][field] = value
        path = tmp_path / f"{field}.json"
        path.write_text(json.dumps(changed), encoding="utf-8")
        bad.append(str(path))
    result = subprocess.run(  # noqa: S603  # a fixed command line
        [node, str(ajv / "validate.js"), str(SHIPPED), *bad],
        capture_output=True, text=True, timeout=120, cwd=ajv, check=False,
    )  # fmt: skip
    assert result.stdout.count("invalid ") == len(bad), result.stdout + result.stderr


def test_main_rewrites_the_records_section_of_a_page(tmp_path: Path) -> None:
    """`--docs PAGE` replaces what lies between the markers, and nothing else."""
    from consentkit._schema import reference, with_reference  # noqa: PLC0415

    page = tmp_path / "format.md"
    begin = "<!-- begin: generated by `make schemas` from the schemas -->"
    page.write_text(f"# Title\n\n{begin}\nstale\n<!-- end: generated -->\ntail\n")
    assert main([str(tmp_path / "schemas"), "--docs", str(page)]) == 0
    text = page.read_text("utf-8")
    assert text.startswith("# Title\n\n")
    assert text.endswith("<!-- end: generated -->\ntail\n")
    assert reference() in text
    assert "stale" not in text
    with pytest.raises(ValueError, match="no generated section"):
        with_reference("# no markers\n")


def test_the_agreement_schema_writes_acceptances_as_an_object() -> None:
    """A FrozenMap of party to time is a JSON object whose values are times."""
    from consentkit._schema import _Generator  # noqa: PLC0415  # the private generator

    generator = _Generator()
    generator.of_type(consentkit.Agreement, None)
    accepted = generator.defs["Agreement"]["properties"]["accepted"]
    assert accepted["type"] == "object"
    assert accepted["additionalProperties"] == {"$ref": "#/$defs/time"}
