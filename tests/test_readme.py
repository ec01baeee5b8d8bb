"""The README documents the table the job writes and the exit codes it uses."""

import re
from pathlib import Path

import pytest

from cloudtrail_etl.errors import EXIT_CODES
from cloudtrail_etl.sources import get_source

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
TABLE_SECTIONS = {"cloudtrail": "\n## Output table\n", "vpcflow": "\n### Flow log table\n"}


@pytest.mark.parametrize("source", sorted(TABLE_SECTIONS))
def test_every_output_column_is_documented_in_order(source):
    section = README.split(TABLE_SECTIONS[source], 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(_?[a-z0-9_]+)` \| ", section, flags=re.M)
    assert documented == [field.name for field in get_source(source).output_schema()]


def test_every_exit_code_is_documented():
    for code in [0, 1, *EXIT_CODES]:
        assert re.search(rf"^\| {code} \| ", README, flags=re.M), code


def test_quick_start_commands():
    assert "make run" in README and "make test" in README
