"""What the pages show for an as-of date, built once from the scoring service and the portfolio module.

The first page of a date scores it (the scoring service's cache), builds the portfolio report
(`serving.portfolio.report.build_report`) and every customer's payment history and disputes
(`serving.portfolio.customer_detail`); every later page of the date reads these. The pages compute no
figure: they sort, filter, slice and format what is here. The score history (what `score` and
`portfolio` recorded) gives each customer's grades over time, read again when it gains a file.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from serving.kept import Kept
from serving.portfolio.customer_detail import CustomerDetail, customer_detail
from serving.portfolio.expected_loss import concentration
from serving.portfolio.open_items import previous_month_end
from serving.portfolio.report import PortfolioReport, build_report
from serving.portfolio.settings import PortfolioSettings
from serving.score_history import recorded_dates, scores_at, scores_to_compare
from serving.service import ScoringService

DATES_KEPT = 4
HISTORY_COLUMNS = ["customer_id", "pd_12m", "risk_grade", "late_payment_prob_90d", "late_payment_grade"]


@dataclass(frozen=True)
class DatePages:
    """One as-of date: the report, the scores and the customers' details the pages read."""

    as_of: dt.date
    report: PortfolioReport
    scores: pd.DataFrame  # SCORE_COLUMNS, indexed by customer_id
    detail: CustomerDetail
    top_exposures: pd.DataFrame
    herfindahl: float | None
    customers: pd.DataFrame  # every scored customer: CUSTOMER_LIST's columns and search_text, by customer id
    reasons: dict[str, dict[str, list[str]]]  # customer id -> language -> the top three reasons' texts
    queues: dict[str, pd.DataFrame]  # the worklist's queues (collections, disputes), each in rank order
    rows: dict[str, dict[str, np.ndarray]]  # table -> customer id -> its rows' positions (customer level only)
    overview: dict  # the portfolio page's rows of the report's tables (`portfolio_overview`)

    def table(self, name: str) -> pd.DataFrame:
        return self.report.tables[name]

    def of(self, name: str, customer_id: str) -> pd.DataFrame:
        """Return the rows of report table `name` that are the customer's (for aging and expected loss, its own
        customer-level row), found by position: one customer's page scans no table."""
        return self.report.tables[name].iloc[self.rows[name].get(customer_id, np.array([], dtype=np.int64))]


CUSTOMER_LIST = [
    "customer_id",
    "name",
    "risk_grade",
    "late_payment_grade",
    "pd_12m",
    "credit_limit",
    "open_receivables",
    "overdue_amount",
    "exposure",
    "expected_loss",
]


def customer_list(report: PortfolioReport, names: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Return every scored customer (the expected-loss table's) with its name, grades and aging totals."""
    losses = report.tables["expected_loss"]
    aging = report.tables["aging"]
    frame = losses.loc[
        losses["level"] == "customer", ["key", "risk_grade", "pd_12m", "credit_limit", "exposure", "expected_loss"]
    ]
    frame = frame.rename(columns={"key": "customer_id"}).merge(names, on="customer_id", how="left")
    frame = frame.merge(scores[["customer_id", "late_payment_grade"]], on="customer_id", how="left")
    owed = aging.loc[aging["level"] == "customer", ["customer_id", "open_receivables", "overdue_amount"]]
    frame = frame.merge(owed, on="customer_id", how="left")
    # A customer with nothing open owes nothing: zero, not unknown.
    frame[["open_receivables", "overdue_amount"]] = frame[["open_receivables", "overdue_amount"]].fillna(0.0)
    # What the search box matches, lower-cased once: one pass per search instead of two case-folding ones.
    frame["search_text"] = (frame["customer_id"] + " " + frame["name"].fillna("")).str.lower()
    return frame[[*CUSTOMER_LIST, "search_text"]]


def portfolio_overview(report: PortfolioReport) -> dict:
    """Return the rows of the report the portfolio page shows: the aging and expected-loss totals, the grades'
    rows, the aging trend and the total DSO by month-end. Taken once per date: the DSO table alone has a row
    per customer and month-end."""
    aging, losses, dso = report.tables["aging"], report.tables["expected_loss"], report.tables["dso"]
    return {
        "aging_total": aging[aging["level"] == "total"].iloc[0].to_dict(),
        "by_grade": losses[losses["level"] == "risk_grade"].to_dict("records"),
        "loss_total": losses[losses["level"] == "total"].iloc[0].to_dict(),
        "aging_trend": report.tables["aging_trend"],
        "dso_trend": dso[dso["level"] == "total"].sort_values("month_end"),
    }


# The report's tables a customer page reads its rows of.
CUSTOMER_TABLES = ("aging", "expected_loss", "terms", "worklist", "watchlist")


def rows_by_customer(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return, per customer id, the positions of its rows in `table` (of its customer-level rows where the table
    has levels: aging, expected loss)."""
    if "level" in table.columns:
        mask = (table["level"] == "customer").to_numpy()
        ids = table["key"].to_numpy(dtype=object)
    else:
        mask, ids = np.ones(len(table), dtype=bool), table["customer_id"].to_numpy(dtype=object)
    positions = np.flatnonzero(mask)
    return {str(k): positions[v] for k, v in pd.Series(ids[mask]).groupby(ids[mask], sort=False).indices.items()}


def top_reasons(scores: pd.DataFrame, count: int = 3) -> dict[str, dict[str, list[str]]]:
    """Return per customer and language the texts of its first `count` reasons (a list row needs no more)."""
    texts = {
        lang: zip(*(scores[f"reason_{i}_text_{lang}"].tolist() for i in range(1, count + 1))) for lang in ("en", "zh")
    }
    english, chinese = texts["en"], texts["zh"]
    return {
        customer: {"en": [t for t in en if t], "zh": [t for t in zh if t]}
        for customer, en, zh in zip(scores["customer_id"].tolist(), english, chinese)
    }


class PortfolioPages:
    def __init__(
        self, service: ScoringService, settings: PortfolioSettings, history: Path | None, default_as_of: dt.date
    ):
        self.service, self.settings, self.history = service, settings, history
        self.default_as_of = default_as_of  # the date a page shows without ?as_of=
        self._dates: Kept[dt.date, DatePages] = Kept(DATES_KEPT)  # one built at a time: each takes seconds
        self._lock = threading.Lock()  # guards the score history read last
        self._history_files: tuple[Path, ...] = ()
        self._history = pd.DataFrame(columns=["as_of_date", *HISTORY_COLUMNS])
        self._history_rows: dict[str, np.ndarray] = {}

    def dates(self) -> list[dt.date]:
        """Return the dates a page can be asked for at once: those built, recorded or scored, newest first."""
        built = set(self._dates.keys())
        recorded = set(recorded_dates(Path(self.history))) if self.history else set()
        return sorted(built | recorded | {self.default_as_of}, reverse=True)

    def at(self, as_of: dt.date) -> DatePages:
        """Return the pages' data at `as_of`, built on the first call for the date; the last DATES_KEPT are kept."""
        return self._dates.get(as_of, lambda: self._build(as_of))

    def _build(self, as_of: dt.date) -> DatePages:
        compare_to = previous_month_end(as_of)
        notes: list[str] = []
        scores = self.service.scored(as_of).scores.to_pandas()
        first = self.service.span.first_invoice
        # A compare-to date before the first invoice has no customer to score.
        score = (lambda: self.service.scored(compare_to).scores.to_pandas()) if first and compare_to >= first else None
        compare = scores_to_compare(self.history, compare_to, score, notes)

        def build(facts):
            report = build_report(facts, as_of, compare_to, scores, self.settings, compare, notes)
            return report, customer_detail(facts, as_of)

        report, detail = self.service.with_facts(build)
        top, herfindahl = concentration(report.tables["expected_loss"])
        customers = customer_list(
            report, self.service.ledger["customers"].select(["customer_id", "name"]).to_pandas(), scores
        )
        indexed = scores.set_index("customer_id", drop=False)
        worklist = report.tables["worklist"]
        queues = {queue: part.reset_index(drop=True) for queue, part in worklist.groupby("queue", sort=False)}
        reasons = top_reasons(scores)
        rows = {name: rows_by_customer(report.tables[name]) for name in CUSTOMER_TABLES}
        overview = portfolio_overview(report)
        return DatePages(as_of, report, indexed, detail, top, herfindahl, customers, reasons, queues, rows, overview)

    def history_of(self, customer_id: str, extra: list[dict]) -> pd.DataFrame:
        """Return the customer's recorded scores by as-of date (HISTORY_COLUMNS), with `extra` score rows for
        dates the history does not hold (the dates this service scored), oldest first."""
        recorded, positions = self._recorded()
        rows = recorded.iloc[positions.get(customer_id, np.array([], dtype=np.int64))]
        more = pd.DataFrame([{k: r[k] for k in ["as_of_date", *HISTORY_COLUMNS]} for r in extra])
        if not more.empty:
            more = more[~more["as_of_date"].isin(set(rows["as_of_date"]))]
            rows = pd.concat([rows, more], ignore_index=True) if not rows.empty else more
        return rows.sort_values("as_of_date", ignore_index=True)

    def _recorded(self) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """Return the last recorded scores of every date in the score history (re-read when files were added)
        and each customer's rows in it."""
        if self.history is None or not Path(self.history).is_dir():
            return self._history, self._history_rows
        files = tuple(sorted(Path(self.history).glob("as_of_date=*/*.parquet")))
        with self._lock:
            if files == self._history_files:
                return self._history, self._history_rows
        parts = []
        for day in recorded_dates(Path(self.history)):
            part = scores_at(self.history, day)
            if part is not None:
                parts.append(part[["as_of_date", *HISTORY_COLUMNS]])
        frame = pd.concat(parts, ignore_index=True) if parts else self._history
        positions = rows_by_customer(frame)
        with self._lock:
            self._history_files, self._history, self._history_rows = files, frame, positions
        return frame, positions
