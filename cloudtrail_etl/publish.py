"""Put finished folders into a table so that a crash at any moment, or a second writer, never loses or hides one.

A run stages each folder it replaces (a day, a day's quarantine) outside the table, then, holding the table's lock
(lock.py):

1. writes a journal, `OUTPUT_staging/RUN_ID/_journal-0000.json`, BEFORE its first change to the table: for each
   folder, the staged folder, the target (both relative to the table's roots: `Roots`), the names of the files the
   target holds now (`old`) and of the staged files (`new`), the Glue partition to repoint if the table has one,
   and the catalog step of the run;
2. swaps each folder in place, by file name (`apply_swap`): [partition -> staged folder,] new files in, old files
   deleted by name, [partition -> target]; the old version is never copied or moved anywhere;
3. writes the journal again after each folder (`_journal-0001.json`, ...; each record is complete, the newest
   readable one counts), does the catalog step, and deletes its staging folder, journal last.

Every run (and `cloudtrail-etl recover`) first recovers what crashed runs left (`recover`): from each journal it
rolls every unfinished folder forward (every new file is in the staged folder or the target: copy what is missing,
delete the old files, repoint the partition) or, if the new version is no longer complete, back (every old file is
still in the target: delete the new ones). Either way the folder ends as one complete version. It repeats the
journal's catalog step (idempotent) and removes the run's staging folder. A journal's folders are resolved
against the roots of the run doing the recovery: a table copied with its staging folder is recovered in the copy
(its catalog, the original's, is left alone), and a journal naming a folder outside those roots (an absolute path,
as runs before relative paths wrote them, of another table) is refused before anything changes. A staging folder
without a journal belongs to a run that stopped before changing the table (or after all its changes): it is
removed, after putting back a day that a run of the earlier protocol (rename to `replaced/`, no journal) had moved
away.

Nothing here knows about CloudTrail: a swap is folders and file names.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import socket
from typing import Any, Callable, Optional

from cloudtrail_etl.errors import RecoveryFailed
from cloudtrail_etl.files import Files, dumps, is_s3
from cloudtrail_etl.lock import TableLock
from cloudtrail_etl.progress import say

RUN_FOLDER = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")
JOURNAL_PREFIX = "_journal-"
LEGACY_PARTITION = "proc_ymd"  # the folders of the pre-journal protocol: RUN/table/proc_ymd=X, RUN/replaced/X


@dataclasses.dataclass
class Swap:
    """One folder to replace. `partition`: {database, table, values, region, staged_location, target_location}."""

    label: str
    staged: str
    target: str
    old: list[str]
    new: list[str]
    partition: Optional[dict[str, Any]] = None
    done: bool = False


def data_names(names: list[str]) -> list[str]:
    """The files a reader reads: not `_SUCCESS` nor hidden ones."""
    return [name for name in names if not name.startswith(("_", "."))]


def plan_swap(files: Files, label: str, staged: str, target: str, partition: Optional[dict] = None) -> Swap:
    """What replacing `target` with `staged` changes (reads only)."""
    new = data_names(files.list_names(staged))
    old = files.list_names(target)
    clash = sorted(set(new) & set(old))
    if clash:  # Spark names files after its job: never the case, but the old/new split would be wrong
        raise OSError(f"{target} already holds {clash[0]}, a file of the new version")
    return Swap(label, staged, target, old, new, partition)


def _glue_for(partition: dict[str, Any], glue_factory: Callable[[Optional[str]], Any]) -> Any:
    return glue_factory(partition.get("region"))


def _point(partition: dict[str, Any], location: str, glue_factory) -> None:
    from cloudtrail_etl.catalog import point_partition

    glue = _glue_for(partition, glue_factory)
    point_partition(glue, partition["database"], partition["table"], partition["values"], location)


def apply_swap(files: Files, swap: Swap, glue_factory: Callable[[Optional[str]], Any]) -> None:
    """Replace the target's files with the staged ones, by name; safe to repeat after a crash at any point."""
    in_target = set(files.list_names(swap.target))
    missing = [name for name in swap.new if name not in in_target]
    if swap.partition and missing and set(missing) <= set(files.list_names(swap.staged)):
        _point(swap.partition, swap.partition["staged_location"], glue_factory)  # readers: the new version
    files.put_in(swap.staged, missing, swap.target, f"{swap.label}: new file in")
    files.delete_names(swap.target, [name for name in swap.old if name in in_target], f"{swap.label}: old file out")
    if swap.partition:
        _point(swap.partition, swap.partition["target_location"], glue_factory)


class Roots:
    """A run's three roots (the table, its staging and its quarantine), absolute. A journal names folders relative
    to them ({"root": "table", "path": "proc_ymd=X"}), so a table copied or moved with its staging folder is
    recovered where it now is, never where it was; and recovery touches nothing outside them."""

    NAMES = ("table", "staging", "quarantine")

    def __init__(self, table: str, staging: str, quarantine: str):
        self.by_name = {
            "table": table.rstrip("/"),
            "staging": staging.rstrip("/"),
            "quarantine": quarantine.rstrip("/"),
        }

    def relative(self, path: str) -> dict[str, str]:
        """{"root", "path"} of an absolute folder inside one of the roots (the longest that holds it)."""
        for name, root in sorted(self.by_name.items(), key=lambda item: -len(item[1])):
            if path == root or path.startswith(root + "/"):
                return {"root": name, "path": path[len(root) + 1 :]}
        raise ValueError(f"{path} is outside the table's roots ({', '.join(self.by_name.values())})")

    def resolve(self, entry: Any) -> str:
        """The absolute folder of a journal entry: relative ({"root", "path"}) against these roots; an absolute
        string (journals of runs before relative paths) only when it is inside them. Raises ValueError."""
        if isinstance(entry, dict) and entry.get("root") in self.NAMES and isinstance(entry.get("path"), str):
            root, path = self.by_name[entry["root"]], entry["path"].strip("/")
            if ".." in path.split("/"):
                raise ValueError(f"{entry} leaves its root")
            return f"{root}/{path}" if path else root
        if isinstance(entry, str):
            self.relative(entry)  # raises when outside
            return entry
        raise ValueError(f"{entry!r} is not a folder of a journal")


class Journal:
    """The numbered journal records of one run: each write is a new, complete record, its folders relative to the
    run's roots (Roots)."""

    def __init__(self, files: Files, run_folder: str, run_id: str, roots: Optional[Roots] = None):
        self.files, self.run_folder, self.run_id = files, run_folder, run_id
        self.roots = roots
        self.sequence = 0

    def _swap_entry(self, swap: Swap) -> dict[str, Any]:
        entry = dataclasses.asdict(swap)
        if self.roots is not None:
            entry["staged"], entry["target"] = self.roots.relative(swap.staged), self.roots.relative(swap.target)
        return entry

    def write(self, swaps: list[Swap], catalog: Optional[dict[str, Any]], what: str) -> None:
        record = {
            "run_id": self.run_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            # Where the table was when the journal was written: a recovery elsewhere (a copy) leaves its catalog alone.
            "table_root": self.roots.by_name["table"] if self.roots is not None else None,
            "swaps": [self._swap_entry(swap) for swap in swaps],
            "catalog": catalog,
        }
        uri = f"{self.run_folder}/{JOURNAL_PREFIX}{self.sequence:04d}.json"
        self.files.write_text(uri, dumps(record), what)
        self.sequence += 1


def read_journal(files: Files, run_folder: str) -> Optional[dict[str, Any]]:
    """The newest readable journal record of a run folder; None when there is none."""
    names = sorted(n for n in files.list_names(run_folder) if n.startswith(JOURNAL_PREFIX) and n.endswith(".json"))
    for name in reversed(names):
        text = files.read_text(f"{run_folder}/{name}")
        try:
            record = json.loads(text or "")
        except ValueError:  # a record torn by a crash while it was written: the one before counts
            continue
        if isinstance(record, dict) and isinstance(record.get("swaps"), list):
            return record
    return None


def recover_swap(files: Files, swap: Swap, glue_factory) -> Optional[str]:
    """Bring one journaled folder to a complete version; the action taken (None: it was finished)."""
    if swap.done:
        return None
    in_target, in_staged = set(files.list_names(swap.target)), set(files.list_names(swap.staged))
    new, old = set(swap.new), set(swap.old)
    if new <= in_target | in_staged:
        apply_swap(files, swap, glue_factory)
        return "rolled forward" if (new - in_target or old & in_target) else "completed"
    if old <= in_target:
        files.delete_names(swap.target, sorted(new & in_target), f"{swap.label}: new file out (roll back)")
        if swap.partition:
            _point(swap.partition, swap.partition["target_location"], glue_factory)
        return "rolled back"
    raise RecoveryFailed(
        f"{swap.target}: neither version is complete (new files missing: {len(new - in_target - in_staged)}, "
        f"old files missing: {len(old - in_target)}); its staging folder {swap.staged} was kept"
    )


def recover_legacy(files: Files, run_folder: str, output: str, quarantine_root: str) -> list[tuple[str, str]]:
    """A run of the earlier protocol moved a day to RUN/replaced/CODE (its quarantine to RUN/replaced/qCODE), then
    the staged day in, then deleted the trash. Put whichever version is complete back where the day belongs."""
    actions = []
    for name in files.list_dirs(f"{run_folder}/replaced"):
        quarantine = name.startswith("q")
        code = name[1:] if quarantine else name
        folder = f"{LEGACY_PARTITION}={code}"
        target = f"{quarantine_root if quarantine else output}/{folder}"
        staged = f"{run_folder}/{'quarantine' if quarantine else 'table'}/{folder}"
        trash = f"{run_folder}/replaced/{name}"
        label = ("quarantine " if quarantine else "") + folder
        if data_names(files.list_names(target)):
            continue  # the day is in place (new, or old if the crash came before the move); the trash goes
        staged_files = data_names(files.list_names(staged))
        if staged_files:
            files.put_in(staged, staged_files, target, f"{label}: new file in (pre-journal run)")
            actions.append((label, "rolled forward"))
        else:
            files.put_in(trash, files.list_names(trash), target, f"{label}: old file back (pre-journal run)")
            actions.append((label, "rolled back"))
    return actions


class Publisher:
    """The table side of one run: lock, recovery of crashed runs, journaled swaps, clean-up, release."""

    def __init__(
        self,
        files: Files,
        lock: TableLock,
        *,
        output: str,
        staging_root: str,
        run_id: str,
        quarantine_root: str,
        glue_factory: Optional[Callable[[Optional[str]], Any]] = None,
    ):
        self.files, self.lock = files, lock
        self.output, self.staging_root, self.run_id = output, staging_root.rstrip("/"), run_id
        self.quarantine_root = quarantine_root
        self.run_folder = f"{self.staging_root}/{run_id}"
        self.roots = Roots(output, self.staging_root, quarantine_root)
        self.journal = Journal(files, self.run_folder, run_id, self.roots)
        self._glue_factory = glue_factory
        self._glues: dict[Optional[str], Any] = {}

    def glue(self, region: Optional[str]) -> Any:
        if region not in self._glues:
            if self._glue_factory is not None:
                self._glues[region] = self._glue_factory(region)
            else:
                from cloudtrail_etl.catalog import glue_client

                self._glues[region] = glue_client(region)
        return self._glues[region]

    def begin(self, wait_for_lock_s: float = 0.0) -> list[dict[str, Any]]:
        """Take the lock, then recover what crashed runs left. The recovered folders, for the report."""
        self.lock.acquire(wait_for_lock_s)
        return self.recover()

    def recover(self) -> list[dict[str, Any]]:
        recovered: list[dict[str, Any]] = []
        for name in self.files.list_dirs(self.staging_root):
            if not RUN_FOLDER.match(name) or name == self.run_id:
                continue
            folder = f"{self.staging_root}/{name}"
            journal = read_journal(self.files, folder)
            if journal is not None:
                actions = self._recover_journal(journal, name)
            else:
                actions = recover_legacy(self.files, folder, self.output, self.quarantine_root)
            for label, action in actions:
                say(f"recovered {label}: {action} (run {name} had stopped in the middle of its swap)")
                recovered.append({"day": label, "action": action, "run_id": name})
            self.files.delete_tree(folder, f"recovery: staging folder of run {name} removed")
            if not actions:
                say(f"removed the staging folder of run {name}, which had stopped without leaving a day half-done")
                recovered.append({"day": None, "action": "removed its staging folder", "run_id": name})
        return recovered

    def _journal_swaps(self, journal: dict[str, Any], run: str) -> list[Swap]:
        """The journal's swaps with their folders resolved against this run's roots; RecoveryFailed (nothing
        touched) when one names a folder outside them."""
        swaps = []
        for entry in journal["swaps"]:
            try:
                staged, target = self.roots.resolve(entry["staged"]), self.roots.resolve(entry["target"])
            except ValueError as exc:
                raise RecoveryFailed(
                    f"the journal of run {run} in {self.staging_root} names a folder outside this table ({exc}): "
                    "nothing was changed; was the table copied from elsewhere? run against the table it belongs to"
                ) from None
            swaps.append(Swap(**{**entry, "staged": staged, "target": target}))
        return swaps

    def _recover_journal(self, journal: dict[str, Any], run: str = "") -> list[tuple[str, str]]:
        swaps = self._journal_swaps(journal, run)  # every folder checked before the first change
        written_for = journal.get("table_root")
        moved = written_for is not None and written_for.rstrip("/") != self.output.rstrip("/")
        actions = []
        for swap in swaps:
            if moved:
                swap.partition = None  # the catalog's partition is the original table's, not this copy's
            action = recover_swap(self.files, swap, self.glue)
            if action:
                actions.append((swap.label, action))
        step = journal.get("catalog")
        if step and moved:
            actions.append((f"catalog ({step['mode']})", f"not repeated: the journal was written for {written_for}"))
        elif step:  # idempotent: the crash may have come before, during or after it
            from cloudtrail_etl.catalog import repeat_catalog_step

            actions.append((f"catalog ({step['mode']})", repeat_catalog_step(self.glue(step.get("region")), step)))
        return actions

    def publish(
        self, swaps: list[Swap], catalog: Optional[dict[str, Any]], on_done: Callable[[str], None] = lambda _: None
    ) -> None:
        """Swap every folder in, journaled: the journal first, then one folder after another (`on_done(target)`
        after each)."""
        if not swaps:
            return
        self.journal.write(swaps, catalog, "journal: planned")
        for swap in swaps:
            self.lock.check()
            apply_swap(self.files, swap, self.glue)
            swap.done = True
            self.journal.write(swaps, catalog, f"journal: {swap.label} done")
            on_done(swap.target)

    def finish(self) -> None:
        """The run's staging folder goes (its journal with it): nothing is left to recover."""
        self.files.delete_tree(self.run_folder, "staging: run folder removed")

    def release(self) -> None:
        """Release the lock; a failure to do so is said, not raised (it would hide the run's own outcome): the
        next run takes a dead holder's lock over."""
        try:
            self.lock.release()
        except Exception as exc:
            say(f"could not release the table's lock ({str(exc).splitlines()[0]}); the next run will take it over")


def open_publisher(
    storage: Any, output: str, staging_root: str, quarantine_root: str, run_id: str, region: Optional[str]
) -> Publisher:
    """The publish side of one run (or of `recover`) on the table at `output`; absolute URIs."""
    from cloudtrail_etl.lock import lock_backend

    def s3_client() -> Any:
        from cloudtrail_etl.aws import client

        return client("s3", region)

    files = Files(storage, s3_client)
    staging_root = staging_root.rstrip("/")
    backend = lock_backend(staging_root, storage, files.s3 if is_s3(staging_root) else None)
    lock = TableLock(backend, run_id, output)
    return Publisher(
        files, lock, output=output, staging_root=staging_root, run_id=run_id, quarantine_root=quarantine_root
    )


def partition_of(location: str, staged: str, values: list[str], database: str, table: str, region: Optional[str]):
    """The journal's partition entry: Glue locations are s3:// (no s3a) with a trailing slash."""
    from cloudtrail_etl.catalog import table_root

    return {"database": database, "table": table, "values": values, "region": region,
            "staged_location": table_root(staged), "target_location": location}  # fmt: skip


__all__ = ["Journal", "Publisher", "Swap", "apply_swap", "open_publisher", "plan_swap", "read_journal", "recover_swap"]
