"""Shared pieces of the real-data adapters: the report, typing helpers and `write_tables`.

An adapter turns one external data set into ledger tables that follow `features.contract`.
It never repairs rows that break a contract rule (a due date before the invoice date, ...):
it keeps them, counts them in the report, and leaves the quarantine to validation.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from features.contract import TABLES_BY_NAME

FORMATS = ("csv", "parquet")

# ISO 3166-1 alpha-2: the 249 officially assigned codes.
ISO_COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()
)


@dataclass
class AdapterReport:
    """What an adapter read, what it decided, and what it wrote."""

    source: str  # path read
    rows_read: int
    notes: list[str] = field(default_factory=list)  # one line per decision, with counts
    rows_out: dict[str, int] = field(default_factory=dict)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def summary(self) -> str:
        """The report as plain text, for the command line."""
        lines = [f"source: {self.source}", f"rows read: {self.rows_read:,}"]
        lines += [f"  - {n}" for n in self.notes]
        lines += [f"{name}: {count:,} rows" for name, count in self.rows_out.items()]
        return "\n".join(lines)


def as_date(values: pd.Series, fmt: str) -> pd.Series:
    """Parse text dates with an exact format; unparseable values become NaT (callers count them)."""
    return pd.to_datetime(values.where(values.str.strip() != ""), format=fmt, errors="coerce").dt.normalize()


def as_id(values: pd.Series) -> pd.Series:
    return values.astype(str)


def clean_country(values: pd.Series) -> tuple[pd.Series, int, int]:
    """Upper-cased ISO alpha-2 codes; blanks and non-ISO values become missing.

    Returns the cleaned values, the number of blank values and the number of invalid ones.
    """
    text = values.astype(str).str.strip().str.upper()
    blank = text.isna() | (text == "")
    valid = text.isin(ISO_COUNTRIES)
    invalid = ~blank & ~valid
    return text.where(valid), int(blank.sum()), int(invalid.sum())


def conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Put the contract's columns first, in contract order (missing optional ones as empty), then extras."""
    spec = TABLES_BY_NAME[table]
    out = frame.copy()
    empty = {"VARCHAR": "str", "DATE": "datetime64[s]", "DOUBLE": "float64", "INTEGER": "Int64"}
    for col in spec.columns:
        if col.name not in out.columns:
            out[col.name] = pd.Series(pd.NA if col.type != "DOUBLE" else float("nan"), index=out.index).astype(
                empty[col.type]
            )
    contract_cols = [c.name for c in spec.columns]
    extras = [c for c in out.columns if c not in contract_cols]
    if extras and not spec.keeps_extra_columns:
        raise ValueError(f"{table}: the contract keeps no extra columns, got {extras}")
    return out[contract_cols + extras].reset_index(drop=True)


def fmt_count(n: int) -> str:
    return f"{n:,}"


_SAFE_NAME = re.compile(r"[A-Za-z0-9_]+")


def write_tables(tables: Mapping[str, pd.DataFrame], out_dir: str | os.PathLike, fmt: str = "csv") -> dict[str, Path]:
    """Write each table to `out_dir/<name>.<fmt>` atomically; return the paths written.

    Each file is written to a temporary file in `out_dir` and moved into place with `os.replace`,
    so a reader never sees a half-written table. CSV dates are ISO `YYYY-MM-DD`, missing values empty;
    Parquet dates are stored as DATE (date32).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, frame in tables.items():
        if not _SAFE_NAME.fullmatch(name):
            raise ValueError(f"not a table name: {name!r}")
        target = out / f"{name}.{fmt}"
        fd, tmp_name = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=f".{fmt}.tmp")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            if fmt == "csv":
                frame.to_csv(tmp, index=False, date_format="%Y-%m-%d")
            else:
                _write_parquet(frame, tmp)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        written[name] = target
    return written


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    schema = pa.schema(
        [
            pa.field(f.name, pa.date32()) if pa.types.is_timestamp(f.type) else f
            for f in table.schema
        ]
    )
    pq.write_table(table.cast(schema), path)
