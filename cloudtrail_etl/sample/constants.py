"""Constants shared by the sample generator's modules (formats, rates, id alphabets)."""

from __future__ import annotations

import datetime as dt
import re

_UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_SECZ = [f"{second:02d}Z" for second in range(60)]
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_B32_PAIRS = [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"]
_UUID_MASK = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_UUID_BITS = (0x4 << 76) | (0x2 << 62)
_COMPACT = (",", ":")
_GZIP_LEVEL = 3
# JSON has no way to make json.dumps write 1.50: such values are written as a marked string and unmarked after.
_DECIMAL_MARK = "#sample-decimal#"
_DECIMAL_RE = re.compile(r'"#sample-decimal#(-?[0-9]+\.[0-9]+)"')
_VERSIONS = ["1.08"] * 9 + ["1.09"] * 7 + ["1.10"] * 2 + ["1.11"] * 2
_ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
_ORG_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
_LATE_FILE_RATE = 0.03  # share of files that also carry a few events delivered 15 min .. 4 h late
_ERROR_RATE = 0.05
_OTHER_ACCOUNTS = ("777788889999", "210987654321")
