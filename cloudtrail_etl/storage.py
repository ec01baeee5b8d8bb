"""File-system operations through Hadoop's FileSystem, so local paths, HDFS and s3:// behave the same."""

from __future__ import annotations

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

    def write_text(self, uri: str, text: str) -> None:
        path = self._path(uri)
        stream = self._fs(path).create(path, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
