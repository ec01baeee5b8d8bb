"""File-system operations through Hadoop's FileSystem, so local paths, HDFS and s3:// behave the same."""

from __future__ import annotations

import time

from pyspark.sql import SparkSession


class Storage:
    """Thin wrapper over org.apache.hadoop.fs.FileSystem for the few calls the job needs."""

    def __init__(self, spark: SparkSession):
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, uri: str):
        return self._jvm.org.apache.hadoop.fs.Path(uri)

    def _fs(self, path):
        return path.getFileSystem(self._conf)

    def exists(self, uri: str) -> bool:
        path = self._path(uri)
        return bool(self._fs(path).exists(path))

    def delete(self, uri: str) -> None:
        path = self._path(uri)
        self._fs(path).delete(path, True)

    def rename(self, source: str, target: str) -> None:
        """Move a directory; the target's parent is created and the target must not exist."""
        src, dst = self._path(source), self._path(target)
        fs = self._fs(dst)
        fs.mkdirs(dst.getParent())
        if not fs.rename(src, dst):
            raise OSError(f"could not move {source} to {target}")

    def list_files(self, uri: str) -> list[tuple[str, int]]:
        """(name, bytes) of the data files directly in a directory, skipping _SUCCESS and hidden files."""
        path = self._path(uri)
        fs = self._fs(path)
        if not fs.exists(path):
            return []
        found = []
        for status in fs.listStatus(path):
            name = status.getPath().getName()
            if status.isFile() and not name.startswith(("_", ".")):
                found.append((name, int(status.getLen())))
        return sorted(found)

    def list_names(self, uri: str) -> list[str]:
        """Names of every file directly in a directory (`_SUCCESS` too; the local file system hides its .crc)."""
        path = self._path(uri)
        fs = self._fs(path)
        if not fs.exists(path):
            return []
        return [status.getPath().getName() for status in fs.listStatus(path) if status.isFile()]

    def list_dirs(self, uri: str) -> list[str]:
        path = self._path(uri)
        fs = self._fs(path)
        if not fs.exists(path):
            return []
        return [status.getPath().getName() for status in fs.listStatus(path) if status.isDirectory()]

    def rename_file(self, source: str, target: str) -> None:
        """Move one file into a directory (created if missing); atomic on local disks and HDFS."""
        src, dst = self._path(source), self._path(target)
        fs = self._fs(dst)
        fs.mkdirs(dst.getParent())
        if not fs.rename(src, dst):
            raise OSError(f"could not move {source} to {target}")

    def read_text(self, uri: str) -> str | None:
        """The file's text; None when it does not exist."""
        path = self._path(uri)
        fs = self._fs(path)
        if not fs.exists(path):
            return None
        stream = fs.open(path)
        try:
            return str(self._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
        finally:
            stream.close()

    def create_exclusive(self, uri: str, text: str) -> bool:
        """Create a file that must not exist (exclusive on HDFS); False when it exists."""
        path = self._path(uri)
        fs = self._fs(path)
        try:
            stream = fs.create(path, False)
        except Exception as exc:  # FileAlreadyExistsException, through py4j
            if "FileAlreadyExists" in str(exc) or fs.exists(path):
                return False
            raise
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
        return True

    def age_s(self, uri: str) -> float:
        """Seconds since the file was last written, by this machine's clock."""
        path = self._path(uri)
        modified = self._fs(path).getFileStatus(path).getModificationTime() / 1000.0
        return max(time.time() - modified, 0.0)

    def write_text(self, uri: str, text: str) -> None:
        path = self._path(uri)
        stream = self._fs(path).create(path, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
