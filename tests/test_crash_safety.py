"""Real processes: a run killed with os._exit right after a change (CLOUDTRAIL_ETL_CRASH_AFTER), the lock it leaves
taken over at once by the next run on this host, two runs started at once, `recover`, the local lock's rules, and
the small things of issue 18 (the failed report, the missing input, --help, the log4j2 file)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cloudtrail_etl import faults
from cloudtrail_etl.errors import TableLocked
from cloudtrail_etl.lock import LocalLockFile, TableLock
from tests.conftest import read_table_dir, run_cli_captured, write_delivery

ACCOUNT_FOLDER = "AWSLogs/111122223333/CloudTrail/ap-northeast-2/2026/01/02"
CODE = "20260102"


def event(event_id: str) -> dict:
    return {"eventID": event_id, "eventTime": "2026-01-02T03:00:00Z", "eventSource": "iam.amazonaws.com",
            "eventName": "ListUsers"}  # fmt: skip


def run_process(args: list[str], **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cloudtrail_etl", *args],
        env={**os.environ, "CLOUDTRAIL_ETL_MASTER": "local[1]", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ids(out: Path) -> list[str]:
    return sorted(r["eventid"] for r in read_table_dir(out / f"proc_ymd={CODE}"))


@pytest.fixture(scope="module")
def written_day(tmp_path_factory, spark):
    """The day's old version (2 rows) written once, kept as a snapshot; 2 more events delivered since."""
    root = tmp_path_factory.mktemp("day")
    inputs = root / "in"
    write_delivery(inputs / ACCOUNT_FOLDER / "a.json.gz", [event("old-1"), event("old-2")])
    out = root / "t"
    args = ["run", "--input", str(inputs), "--output", str(out), "--date", "2026-01-02"]
    faults.simulate_crash_after(None)
    assert run_cli_captured(*args[1:])[0] == 0
    shutil.copytree(out, root / "old")
    expired = root / "expired"
    (expired / "AWSLogs").mkdir(parents=True)
    return {"inputs": inputs, "out": out, "args": args, "expired": expired, "old": root / "old"}


@pytest.fixture
def day(written_day):
    """The old version back in place, nothing in staging, the new events delivered."""
    out = written_day["out"]
    for folder in (out, Path(str(out) + "_staging")):
        shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(written_day["old"], out)
    write_delivery(written_day["inputs"] / ACCOUNT_FOLDER / "b.json.gz", [event("new-1"), event("new-2")])
    faults.simulate_crash_after(None)
    yield written_day
    faults.simulate_crash_after(None)


def test_a_process_killed_mid_swap_leaves_its_lock_and_journal_and_the_next_run_finishes_the_day(day):
    out = day["out"]
    # Change 3 is the first new file put into the table's folder (test_crash_matrix.CRASH_POINTS).
    process = run_process(day["args"], CLOUDTRAIL_ETL_CRASH_AFTER="3")
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == faults.CRASH_EXIT_CODE, stderr[-2000:]
    assert "crash injected after change 3: proc_ymd=20260102: new file in" in stderr
    staging = Path(str(out) + "_staging")
    holder = json.loads((staging / "_lock.json").read_text())
    assert holder["pid"] == process.pid and holder["host"] == socket.gethostname()
    assert set(ids(out)) == {"new-1", "new-2", "old-1", "old-2"}  # old and new files side by side, never less

    # The raw files expired: the next run takes the dead process's lock over at once and rolls the day forward.
    args = list(day["args"][1:])
    args[1] = str(day["expired"])
    code, report = run_cli_captured(*args)
    assert code == 0 and report["input_files"] == 0
    assert ids(out) == ["new-1", "new-2", "old-1", "old-2"]
    assert [(r["day"], r["action"]) for r in report["recovered"]] == [(f"proc_ymd={CODE}", "rolled forward")]
    assert report["recovered"][0]["run_id"] == holder["run_id"]
    assert sorted(p.name for p in staging.iterdir()) == []


def test_two_runs_started_at_once_one_refuses_with_exit_11(day):
    out = day["out"]
    first, second = run_process(day["args"]), run_process(day["args"])
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    results = [(process.returncode, err) for process, (_, err) in zip((first, second), outputs)]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 11], [err[-1500:] for _, err in results]
    refused = next(err for code, err in results if code == 11)
    line = [line for line in refused.splitlines() if line.startswith("cloudtrail-etl: error: ")]
    assert len(line) == 1 and re.search(r"is being written by run [0-9]{8}T[0-9]{6}Z-[0-9a-f]{8} on host ", line[0])
    assert ids(out) == ["new-1", "new-2", "old-1", "old-2"]
    assert sorted(p.name for p in out.iterdir()) == [f"proc_ymd={CODE}"]
    assert [p.name for p in (out / f"proc_ymd={CODE}").iterdir() if p.is_dir()] == []  # nothing nested
    assert sorted(p.name for p in Path(str(out) + "_staging").iterdir()) == []


def test_recover_command_finishes_a_crashed_run_and_says_what_it_did(day, capsys):
    from cloudtrail_etl.cli import main

    out = day["out"]
    faults.simulate_crash_after(4)  # the new file in and the old one out, the journal not yet marked done
    with pytest.raises(faults.SimulatedCrash):
        run_cli_captured(*day["args"][1:])
    faults.simulate_crash_after(None)
    (Path(str(out) + "_staging") / "_lock.json").unlink()  # the holder (this process) "died"
    capsys.readouterr()
    assert main(["recover", "--output", str(out), "--report", str(out.parent / "recover.json")]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert result["status"] == "succeeded"
    assert [(r["day"], r["action"]) for r in result["recovered"]] == [(f"proc_ymd={CODE}", "completed")]
    assert "recovered proc_ymd=20260102: completed" in captured.err
    assert json.loads((out.parent / "recover.json").read_text()) == result
    assert ids(out) == ["new-1", "new-2", "old-1", "old-2"]
    assert main(["recover", "--output", str(out)]) == 0
    assert json.loads(capsys.readouterr().out.strip())["recovered"] == []


def test_recover_puts_back_a_day_the_earlier_protocol_had_moved_away(day):
    """The issue's case: a run of the pre-journal protocol killed between its two renames."""
    out = day["out"]
    run = Path(str(out) + "_staging") / "20260101T000000Z-0123abcd"
    (run / "table").mkdir(parents=True)  # the staged day had been moved in: its folder is empty
    (run / "replaced").mkdir(parents=True)
    os.rename(out / f"proc_ymd={CODE}", run / "replaced" / CODE)  # the old day moved to the trash, no journal
    assert not (out / f"proc_ymd={CODE}").exists()
    code, report = run_cli_captured("--input", str(day["expired"]), "--output", str(out), "--date", "2026-01-02")
    assert code == 0
    assert [(r["day"], r["action"]) for r in report["recovered"]] == [(f"proc_ymd={CODE}", "rolled back")]
    assert ids(out) == ["old-1", "old-2"]
    assert not run.exists()


def test_a_recovered_day_is_seen_by_the_no_shrink_check(day):
    """A day a crashed run was replacing is never "not there": the check compares with its recovered rows."""
    out = day["out"]
    faults.simulate_crash_after(3)
    with pytest.raises(faults.SimulatedCrash):
        run_cli_captured(*day["args"][1:])
    faults.simulate_crash_after(None)
    (Path(str(out) + "_staging") / "_lock.json").unlink()
    (day["inputs"] / ACCOUNT_FOLDER / "b.json.gz").unlink()  # only the old events are still delivered
    code, report = run_cli_captured(*day["args"][1:])
    assert code == 9 and report["days"][0]["status"] == "kept: fewer rows"
    assert report["days"][0]["rows_before"] == 4
    assert ids(out) == ["new-1", "new-2", "old-1", "old-2"]


def _crash_mid_swap(day) -> Path:
    """A run crashed after its first new file went into the day (change 3); its lock "died". The staging root."""
    faults.simulate_crash_after(3)
    with pytest.raises(faults.SimulatedCrash):
        run_cli_captured(*day["args"][1:])
    faults.simulate_crash_after(None)
    staging = Path(str(day["out"]) + "_staging")
    (staging / "_lock.json").unlink()
    return staging


def _copy_table(out: Path, to: Path) -> None:
    """The table folder and its siblings (staging, quarantine), copied as a user would move a table."""
    for suffix in ("", "_staging", "_quarantine"):
        if Path(str(out) + suffix).exists():
            shutil.copytree(Path(str(out) + suffix), Path(str(to) + suffix))


def _files(out: Path) -> dict[str, bytes]:
    """Every file of a table and its siblings, with its bytes."""
    found = {}
    for suffix in ("", "_staging", "_quarantine"):
        root = Path(str(out) + suffix)
        for path in sorted(root.rglob("*")) if root.exists() else ():
            if path.is_file():
                found[str(path.relative_to(out.parent))] = path.read_bytes()
    return found


def test_a_journal_moved_with_its_table_recovers_the_copy_and_leaves_the_original_alone(day, tmp_path, capsys):
    from cloudtrail_etl.cli import main

    out = day["out"]
    staging = _crash_mid_swap(day)
    journal = json.loads(sorted(staging.glob("*/_journal-*.json"))[-1].read_text())
    first = journal["swaps"][0]
    assert (first["target"], first["staged"]["root"]) == ({"root": "table", "path": f"proc_ymd={CODE}"}, "staging")
    assert not any(str(out.parent) in json.dumps(s) for s in journal["swaps"])  # no absolute path of the table
    before = _files(out)
    copy = tmp_path / "moved" / "t"
    copy.parent.mkdir()
    _copy_table(out, copy)

    capsys.readouterr()
    assert main(["recover", "--output", str(copy)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [(r["day"], r["action"]) for r in result["recovered"]] == [(f"proc_ymd={CODE}", "rolled forward")]
    assert ids(copy) == ["new-1", "new-2", "old-1", "old-2"]  # the copy holds the whole new version
    assert sorted(p.name for p in Path(str(copy) + "_staging").iterdir()) == []
    assert _files(out) == before  # the original: not one file changed, its journal still waiting for its own run

    # The original, run on its own, is recovered in place as before.
    assert main(["recover", "--output", str(out)]) == 0
    assert ids(out) == ["new-1", "new-2", "old-1", "old-2"]


def test_an_absolute_journal_is_recovered_inside_its_table_and_refused_outside(day, tmp_path, capsys):
    """Journals of the earlier form name absolute folders: read when inside the run's roots, else refused (exit 12,
    one line, nothing touched)."""
    from cloudtrail_etl.cli import main

    out = day["out"]
    staging = _crash_mid_swap(day)
    roots = {"table": str(out), "staging": str(staging), "quarantine": str(out) + "_quarantine"}
    for path in staging.glob("*/_journal-*.json"):  # rewritten in the earlier form
        record = json.loads(path.read_text())
        record.pop("table_root")
        for swap in record["swaps"]:
            for key in ("staged", "target"):
                swap[key] = f"{roots[swap[key]['root']]}/{swap[key]['path']}"
        path.write_text(json.dumps(record))
        path.with_name(f".{path.name}.crc").unlink(missing_ok=True)  # Hadoop's checksum of the old text
    copy = tmp_path / "moved" / "t"
    copy.parent.mkdir()
    _copy_table(out, copy)
    before, copied = _files(out), _files(copy)

    capsys.readouterr()
    assert main(["recover", "--output", str(copy)]) == 12
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("cloudtrail-etl: error: ")]
    assert len(errors) == 1 and "outside this table" in errors[0] and "Traceback" not in captured.err
    assert _files(out) == before and _files(copy) == copied  # neither was touched

    assert main(["recover", "--output", str(out)]) == 0
    assert ids(out) == ["new-1", "new-2", "old-1", "old-2"]


# --- the local lock -----------------------------------------------------------------------------------------------


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_local_lock_rules(tmp_path):
    path = str(tmp_path / "t_staging" / "_lock.json")
    held = TableLock(LocalLockFile(path), "20260102T000000Z-00000001", "t", ttl_s=60)
    held.acquire()
    with pytest.raises(TableLocked, match="20260102T000000Z-00000001"):
        TableLock(LocalLockFile(path), "20260102T000000Z-00000002", "t").acquire()
    held.release()
    assert os.listdir(tmp_path / "t_staging") == []

    # A holder on this host whose process is gone: taken over at once.
    record = {"run_id": "r-dead", "host": socket.gethostname(), "pid": dead_pid(), "started": "x", "ttl_s": 600}
    Path(path).write_text(json.dumps(record))
    taker = TableLock(LocalLockFile(path), "20260102T000000Z-00000003", "t")
    taker.acquire()
    assert taker.taken_over["reason"].endswith("on this host no longer exists")
    taker.release()

    # A holder on another host: its pid means nothing here; it is stale only once not renewed for its TTL.
    record = {"run_id": "r-other", "host": "other-host", "pid": dead_pid(), "started": "x", "ttl_s": 600}
    Path(path).write_text(json.dumps(record))
    with pytest.raises(TableLocked, match="r-other"):
        TableLock(LocalLockFile(path), "20260102T000000Z-00000004", "t").acquire()
    os.utime(path, (0, os.stat(path).st_mtime - 601))
    taker = TableLock(LocalLockFile(path), "20260102T000000Z-00000004", "t")
    taker.acquire()
    assert taker.taken_over["reason"].startswith("not renewed for")
    # A second taker that judged the same stale version loses the compare-and-replace.
    assert LocalLockFile(path).replace(json.dumps(record), "{}") is None
    taker.release()


# --- small things -------------------------------------------------------------------------------------------------


def test_an_impossible_date_still_writes_the_failed_report(tmp_path, capsys):
    from cloudtrail_etl.cli import run_command

    report = tmp_path / "r.json"
    args = ["--input", str(tmp_path), "--output", str(tmp_path / "t"), "--date", "2026-13-45", "--report", str(report)]
    assert run_command(args) == 2
    written = json.loads(report.read_text())
    assert written["status"] == "failed" and "2026-13-45" in written["error"]


def test_a_missing_input_says_so_and_no_day_stays_running(tmp_path, spark, capsys):
    code, report = run_cli_captured("--input", "/nonexistent", "--output", str(tmp_path / "t"), "--date", "2026-01-02")
    assert code == 3
    assert "--input /nonexistent does not exist" in capsys.readouterr().err
    assert [d["status"] for d in report["days"]] == ["not written: the run failed"]


def test_help_names_ranges_and_shows_flags_with_their_optional_value(capsys):
    from cloudtrail_etl.cli import main
    from cloudtrail_etl.config import run_parser

    text = run_parser().format_help()
    assert "one KST day" not in text and "ALLOW_FEWER_ROWS" not in text
    assert "--allow-fewer-rows [true|false]" in text and "--wait-for-lock SECONDS" in text
    main([])
    usage = capsys.readouterr().out
    assert "convert one KST day" not in usage and "recover" in usage and "11 the table is locked" in usage


def test_the_local_log4j2_file_is_gone_once_spark_runs(spark):
    from cloudtrail_etl import session

    options = spark.sparkContext.getConf().get("spark.driver.extraJavaOptions", "")
    named = [part.split("file:", 1)[1] for part in options.split() if part.startswith("-Dlog4j2.configurationFile=")]
    assert named and not any(os.path.exists(path) for path in named)
    assert session._LOG4J2_FILES == []
