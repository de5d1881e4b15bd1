"""The watchlist: customers meeting any rule of a configurable rule set, each row naming every rule it meets.

Rules (`WatchlistSettings`), comparing the as-of date with the compare-to date where they compare:
- `grade_down`: the grade is worse by `grade_notches` or more than the grade given at the compare-to
  date (D, in default, counts as one notch past 10);
- `utilisation`: open balance / credit limit at one of `utilisation_levels` or over (the highest named);
- `days_late_up`: average days late over the last year up by `days_late_increase` days or more;
- `disputes_rising`: more open disputes than at the compare-to date;
- `pd_over`: 12-month PD at or over `pd_threshold` (a customer in default is `default_or_collections`'s);
- `insurer_limit_event`: an insurer's limit decision (`insurer_event_types`) in (compare-to, as-of];
- `default_or_collections`: a default, insolvency, write-off or hand-over to collections in that span.
The grade compared with is the one recorded in the score history at the compare-to date
(`serving.score_history`); the report says when it had to be scored afresh or was not there.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from serving.portfolio.settings import WatchlistSettings

WATCHLIST_COLUMNS = [
    "as_of_date",
    "compare_to",
    "customer_id",
    "name",
    "risk_grade",
    "late_payment_grade",
    "pd_12m",
    "late_payment_prob_90d",
    "exposure",
    "open_balance",
    "credit_limit",
    "utilisation",
    "avg_days_late_365d",
    "open_disputes",
    "rule_count",
    "rules",
    "rule_details",
    "reason_1_text_en",
    "reason_2_text_en",
    "reason_3_text_en",
]


def grade_number(grades: pd.Series) -> pd.Series:
    """Return grades as numbers: "1".."10" as they are, "D" as 11, missing as NaN."""
    return pd.to_numeric(grades.replace({"D": "11"}), errors="coerce")


def _percent(value: float) -> str:
    return f"{value:.0%}"


def watchlist_table(
    current: pd.DataFrame,
    then: pd.DataFrame | None,
    events: pd.DataFrame,
    settings: WatchlistSettings,
    as_of: dt.date,
    compare_to: dt.date,
) -> pd.DataFrame:
    """Return one row per customer meeting any enabled rule, most rules and largest exposure first.

    `current`: per customer at as_of `customer_id`, `name`, `risk_grade`, `late_payment_grade`, `pd_12m`,
    `in_default_at_as_of`, `exposure`, `open_balance`, `credit_limit`, `avg_days_late_365d`,
    `open_disputes`, `reason_1_text_en`..; `then`: the same customers' `risk_grade`, `late_payment_grade`,
    `avg_days_late_365d` and `open_disputes` at compare_to (None: not known); `events`: `customer_id`,
    `event_date`, `event_type` in (compare_to, as_of].
    """
    frame = current.reset_index(drop=True).copy()
    prior = (then if then is not None else pd.DataFrame(columns=["customer_id"])).set_index("customer_id")
    hits = _Hits(settings.rules, len(frame))
    _changes(frame, prior, settings, compare_to, hits)
    _utilisation(frame, settings, hits)
    in_default = frame["in_default_at_as_of"].fillna(False).to_numpy(bool)
    pd_12m = frame["pd_12m"].to_numpy(float)
    hits.fire(
        "pd_over",
        ~in_default & (np.nan_to_num(pd_12m) >= settings.pd_threshold),
        lambda i: f"PD {pd_12m[i]:.1%}, at or over {settings.pd_threshold:.0%}",
    )
    _events(frame, events, settings, hits)
    return _assemble(frame, hits.met, hits.details, as_of, compare_to)


class _Hits:
    """Which rules each customer meets, and the words for each."""

    def __init__(self, rules: tuple[str, ...], n: int):
        self.met = {rule: np.zeros(n, dtype=bool) for rule in rules}
        self.details: list[list[str]] = [[] for _ in range(n)]

    def fire(self, rule: str, mask: np.ndarray, words) -> None:
        """Record that the customers in `mask` meet `rule` (when it is enabled), `words(i)` saying how."""
        if rule not in self.met:
            return
        self.met[rule] |= mask
        for i in np.flatnonzero(mask):
            self.details[i].append(words(i))


def _changes(frame: pd.DataFrame, prior: pd.DataFrame, settings: WatchlistSettings, compare_to, hits: _Hits) -> None:
    """Fire the rules that compare with the compare-to date: grade, days late, disputes."""
    grade_column = "risk_grade" if frame["risk_grade"].notna().any() else "late_payment_grade"
    if grade_column in prior:
        now = grade_number(frame[grade_column])
        before = grade_number(frame["customer_id"].map(prior[grade_column]))
        down = (now - before >= settings.grade_notches).fillna(False).to_numpy()
        hits.fire(
            "grade_down", down, lambda i: f"grade {_shown(before[i])} -> {frame[grade_column][i]} since {compare_to}"
        )
    late_now = frame["avg_days_late_365d"].to_numpy(float)
    if "avg_days_late_365d" in prior:
        late_then = np.nan_to_num(frame["customer_id"].map(prior["avg_days_late_365d"]).to_numpy(float), nan=0.0)
        up = np.nan_to_num(late_now - late_then, nan=0.0) >= settings.days_late_increase
        words = lambda i: f"average days late {late_then[i]:.0f} -> {late_now[i]:.0f} since {compare_to}"  # noqa: E731
        hits.fire("days_late_up", up, words)
    disputes_now = frame["open_disputes"].fillna(0).to_numpy(int)
    if "open_disputes" in prior:
        disputes_then = frame["customer_id"].map(prior["open_disputes"]).fillna(0).to_numpy(int)
        words = lambda i: f"open disputes {disputes_then[i]} -> {disputes_now[i]} since {compare_to}"  # noqa: E731
        hits.fire("disputes_rising", disputes_now > disputes_then, words)


def _utilisation(frame: pd.DataFrame, settings: WatchlistSettings, hits: _Hits) -> None:
    """Set `utilisation` (open balance / credit limit) and fire its rule at the highest level reached."""
    balance, limit = frame["open_balance"].to_numpy(float), frame["credit_limit"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(limit > 0, balance / limit, np.where((limit == 0) & (balance > 0), np.inf, np.nan))
    frame["utilisation"] = utilisation
    levels = np.array(settings.utilisation_levels)
    reached = np.where(np.isnan(utilisation), -1, np.searchsorted(levels, utilisation, side="right") - 1)

    def words(i: int) -> str:
        if not np.isfinite(utilisation[i]):
            return "balance open on a limit of 0"
        return f"limit utilisation {_percent(float(utilisation[i]))} (at or over {_percent(float(levels[reached[i]]))})"

    hits.fire("utilisation", reached >= 0, words)


def _events(frame: pd.DataFrame, events: pd.DataFrame, settings: WatchlistSettings, hits: _Hits) -> None:
    """Fire the event rules: an insurer's limit decision, a default or hand-over, naming each event and its date."""
    # Index lookups, not Series.isin: on Arrow-backed strings isin loops in Python over the values.
    rows = pd.Index(frame["customer_id"]).get_indexer(events["customer_id"])
    for rule, types in (
        ("insurer_limit_event", settings.insurer_event_types),
        ("default_or_collections", settings.default_event_types),
    ):
        kept = (pd.Index(types).get_indexer(events["event_type"]) >= 0) & (rows >= 0)
        chosen = events[kept]
        mask = np.zeros(len(frame), dtype=bool)
        mask[rows[kept]] = True
        words = chosen["event_type"].str.replace("_", " ") + " on " + chosen["event_date"].astype(str)
        said = words.groupby(chosen["customer_id"]).agg(", ".join).to_dict()
        hits.fire(rule, mask, lambda i, said=said: said[frame["customer_id"][i]])


def _shown(grade: float) -> str:
    return "D" if grade == 11 else ("?" if np.isnan(grade) else f"{grade:.0f}")


def _assemble(frame, met, details, as_of, compare_to) -> pd.DataFrame:
    any_rule = np.zeros(len(frame), dtype=bool)
    for mask in met.values():
        any_rule |= mask
    out = frame.loc[any_rule].copy()
    out.insert(0, "as_of_date", as_of)
    out.insert(1, "compare_to", compare_to)
    named = pd.Series("", index=out.index)
    for rule, mask in met.items():
        named += np.where(mask[any_rule], f"{rule}, ", "")
    out["rules"] = named.str.removesuffix(", ")
    out["rule_count"] = np.sum([mask[any_rule] for mask in met.values()], axis=0) if met else 0
    out["rule_details"] = ["; ".join(details[i]) for i in np.flatnonzero(any_rule)]
    for rule, mask in met.items():
        out[f"rule_{rule}"] = mask[any_rule]
    shown = [c for c in WATCHLIST_COLUMNS if c in out] + [f"rule_{rule}" for rule in met]
    return out[shown].sort_values(
        ["rule_count", "exposure", "customer_id"], ascending=[False, False, True], ignore_index=True
    )
