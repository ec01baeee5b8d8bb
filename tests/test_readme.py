"""The README documents the table the job writes and the exit codes it uses."""

import re
from pathlib import Path

from cloudtrail_etl.errors import EXIT_CODES
from cloudtrail_etl.sources.cloudtrail.schema import output_schema

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_output_column_is_documented_in_order():
    documented = re.findall(r"^\| `([a-z0-9_]+)` \| ", README, flags=re.M)
    assert documented == [field.name for field in output_schema()]


def test_every_exit_code_is_documented():
    for code in [0, 1, *EXIT_CODES]:
        assert re.search(rf"^\| {code} \| ", README, flags=re.M), code


def test_quick_start_commands():
    assert "make run" in README and "make test" in README
