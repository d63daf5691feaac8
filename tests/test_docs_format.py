# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""The format reference (`docs/format.md`): its examples run, its tables are current."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

import consentkit
from consentkit._documents import KINDS
from consentkit._schema import with_reference

PAGE = Path(__file__).parent.parent / "docs" / "format.md"
TEXT = PAGE.read_text("utf-8")
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```$", TEXT, flags=re.MULTILINE | re.DOTALL)
JSON_BLOCKS = [body for language, body in BLOCKS if language == "json"]
PYTHON_BLOCKS = [body for language, body in BLOCKS if language == "python"]


def test_there_is_an_example_of_every_kind() -> None:
    """The page shows one document of each kind, in the registry's order."""
    assert [json.loads(body)["kind"] for body in JSON_BLOCKS] == list(KINDS)


@pytest.mark.parametrize("body", JSON_BLOCKS, ids=lambda b: json.loads(b)["kind"])
def test_json_example_reads_and_is_written_back_as_shown(body: str) -> None:
    """Each JSON example reads, fits its schema and is exactly what `dumps` writes."""
    record = consentkit.loads(body)
    kind = json.loads(body)["kind"]
    jsonschema.Draft202012Validator(consentkit.json_schema(kind)).validate(
        json.loads(body)
    )
    assert consentkit.dumps(record) == body


@pytest.mark.parametrize("body", PYTHON_BLOCKS)
def test_python_example_runs(body: str) -> None:
    """Each Python example runs as written."""
    exec(compile(body, str(PAGE), "exec"), {})  # noqa: S102  # the page's own example


def test_records_section_is_generated_from_the_schemas() -> None:
    """The Records section is current: run `make schemas` after changing a record."""
    assert with_reference(TEXT) == TEXT


def test_schema_links_point_at_shipped_files() -> None:
    """Every schema the page links to exists."""
    links = re.findall(r"\]\((\.\./src/consentkit/schemas/[a-z_]+\.json)\)", TEXT)
    assert sorted(Path(link).stem for link in links) == sorted(KINDS)
    for link in links:
        assert (PAGE.parent / link).is_file()
