"""Shared pieces of the real-data adapters: the report, typing helpers and `write_tables`.

An adapter turns one external data set into ledger tables that follow `features.contract`.
It does not repair rows that break a contract rule (a due date before the invoice date, ...):
it keeps them, counts them in the report, and leaves the quarantine to validation. The one kind of
exception is a field the source is known to hold coarsely (the SAP month-bucketed document date),
bounded by the row's own facts, documented and counted in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from features import ledger_files
from features.contract import TABLES_BY_NAME

DATE_DTYPE = "datetime64[us]"  # every date column: midnight timestamps, the date only

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
    parsed = pd.to_datetime(values.where(values.str.strip() != ""), format=fmt, errors="coerce")
    return parsed.dt.normalize().astype(DATE_DTYPE)


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
    empty = {"VARCHAR": "str", "DATE": DATE_DTYPE, "DOUBLE": "float64", "INTEGER": "Int64"}
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


# Adapters write through the same ledger writer as `tradecredit sample`.
write_tables = ledger_files.write_tables
