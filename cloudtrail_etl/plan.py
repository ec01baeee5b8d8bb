"""Which KST days a run writes, and which UTC delivery folders and files it reads for them.

A KST day D is read from the UTC folders D-1 and D (days.py); a run of the days F..L reads the folders F-1..L once,
plus `late_days` folders after L's, where files delivered late land (CloudTrail retries for up to 30 days; flow log
records can be delivered hours after they began).
Every day keeps the guarantees of its own single-day run: the files that run would read (`reads`) are the ones whose
problems can keep the day from being written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from cloudtrail_etl.days import first_delivery, proc_ymd, utc_folders
from cloudtrail_etl.discovery import DELIVERY_TIME_FORMAT, InputFile, delivered_before

ONE_DAY = dt.timedelta(days=1)
TARGET_SHUFFLE_BYTES_PER_TASK = 128 * 1024 * 1024
# A day is split to keep every core busy only while its tasks keep this much: on a 64-core cluster a small trail
# would otherwise write 64 tiny files a day.
MIN_SHUFFLE_BYTES_PER_TASK = 32 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class RunPlan:
    first_day: dt.date
    last_day: dt.date
    late_days: int = 0

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError(f"--to {self.last_day} is before --from {self.first_day}")
        if self.late_days < 0:
            raise ValueError("--late-days must be 0 or more")

    @property
    def days(self) -> list[dt.date]:
        return [self.first_day + ONE_DAY * n for n in range((self.last_day - self.first_day).days + 1)]

    @property
    def day_codes(self) -> list[str]:
        return [proc_ymd(day) for day in self.days]

    @property
    def folder_days(self) -> list[dt.date]:
        """UTC folders to list, each once: first_day-1 .. last_day + late_days."""
        start = utc_folders(self.first_day)[0]
        end = self.last_day + ONE_DAY * self.late_days
        return [start + ONE_DAY * n for n in range((end - start).days + 1)]

    @property
    def delivered_since(self) -> str:
        """Files named with an earlier delivery time cannot hold any of the days (DELIVERY_TIME_FORMAT)."""
        return first_delivery(self.first_day).strftime(DELIVERY_TIME_FORMAT)

    def folders_of(self, day: dt.date) -> list[dt.date]:
        """The folders the single-day run of `day` reads: D-1 and D, and for the last day the late folders too."""
        late = [day + ONE_DAY * n for n in range(1, self.late_days + 1)] if day == self.last_day else []
        return [*utc_folders(day), *late]

    def reads(self, day: dt.date, file: InputFile) -> bool:
        """Would the single-day run of `day` read this file?"""
        since = first_delivery(day).strftime(DELIVERY_TIME_FORMAT)
        return file.folder_day in self.folders_of(day) and not delivered_before(file.delivered, since)

    def days_reading(self, file: InputFile) -> list[dt.date]:
        """The run's days whose single-day runs read this file: those of its folder and the next, or the last day
        for a late folder (a file listed without its folder: every day)."""
        folder_day = file.folder_day
        if folder_day is None:
            return self.days
        candidates = [folder_day, folder_day + ONE_DAY] if folder_day <= self.last_day else [self.last_day]
        days = [day for day in candidates if self.first_day <= day <= self.last_day]
        return [day for day in days if self.reads(day, file)]

    def other_days_window(self) -> list[dt.date]:
        """Days outside the run whose events its folders usually hold (counted one by one, cheaply): the two days
        before the first (late deliveries, the hour before it began) and those after the last, up to the day after
        the last folder read."""
        before = [self.first_day - ONE_DAY * 2, self.first_day - ONE_DAY]
        after_end = self.last_day + ONE_DAY * (self.late_days + 1)
        after = [self.last_day + ONE_DAY * n for n in range(1, (after_end - self.last_day).days + 1)]
        return [*before, *after]

    def buckets_per_day(self, input_bytes: int, parallelism: int, shuffle_per_folder_byte: float) -> int:
        """Tasks (and so Parquet files) per day: ~128 MiB of shuffle each, more to keep every core busy as long as
        each keeps 32 MiB. From the average day (`shuffle_per_folder_byte`: the source's shuffle bytes of a day per
        gzip byte of an average folder): a day much busier than the others gets bigger tasks."""
        per_day = input_bytes / len(self.folder_days) * shuffle_per_folder_byte
        by_size = math.ceil(per_day / TARGET_SHUFFLE_BYTES_PER_TASK)
        by_cores = min(math.ceil(parallelism / len(self.days)), math.ceil(per_day / MIN_SHUFFLE_BYTES_PER_TASK))
        return whole_waves(max(1, by_size, by_cores), len(self.days), parallelism)


def whole_waves(buckets: int, days: int, parallelism: int) -> int:
    """`buckets`, or up to half as many again when that makes the tasks fill every core in their last wave.

    5 tasks on 2 cores run in 3 waves, the last one on one core: on the 4x benchmark day that task ran 9 s of the
    stage's 42 alone. 6 tasks took the whole run from 77.3 and 75.3 s to 70.4 and 71.9 s (2 alternated pairs); 10
    were no faster than 6 and grew the output by 1.4% (more, smaller files)."""
    tasks = buckets * days
    if tasks <= parallelism or tasks % parallelism == 0:
        return buckets
    for more in range(buckets + 1, buckets + buckets // 2 + 1):
        if more * days % parallelism == 0:
            return more
    return buckets
