"""The hidden history: each customer's latent risk, distress and default, month by month.

Latent risk R is a static base plus an idiosyncratic AR(1), an industry macro random walk and a
common random walk. A healthy customer slides into distress with a monthly hazard that grows with
R; a distress ends in a default or a recovery. The history also holds the truth (`pd12`: the true
probability of a default within 12 months at each month start) and the information events the
months bring (collections handovers, the credit insurer's limit changes). The hidden process draws from the
`world` stream; what only the ledger shows of it (onset days, information events) from `rng`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from features.sample import parameters
from features.sample.days import NEVER, Months
from features.sample.world import Customers


@dataclass(frozen=True)
class HiddenHistory:
    """What happened to each customer, month by month: customers x months matrices and per-customer defaults."""

    risk: np.ndarray  # latent risk R at each month
    onset_of: np.ndarray  # onset day of the distress under way in (or beginning during) the month, or NEVER
    recovery_of: np.ndarray  # the day that distress ends in a recovery, or NEVER
    pd12: np.ndarray  # true P(default within 12 months) at the month start; NaN before onboarding, after default
    default_month: np.ndarray  # month index of the default (may lie beyond the ledger), or NEVER
    default_day: np.ndarray  # day of the default inside the ledger, or NEVER
    event_customer: np.ndarray  # information events: customer,
    event_day: np.ndarray  # day,
    event_kind: np.ndarray  # and kind: 0 collections handover, 1 insurer limit change

    def in_distress(self, cell: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whether the customer of each customer-month `cell` is distressed on `day` (a day of that month)."""
        return self.onset_of.ravel()[cell] <= day


class _DistressStart(NamedTuple):
    """The distress state at the ledger start, one entry per customer."""

    distressed: np.ndarray
    entry: np.ndarray  # month the distress began (0 or negative)
    default_month: np.ndarray
    recover_month: np.ndarray
    onset: np.ndarray  # day the distress began


def _distress_pd_by_age(max_age: int) -> np.ndarray:
    """P(default within 12 months | distressed for `age` months at a month start), age 0..max_age."""
    age = np.arange(max_age + 1)[:, None]
    d, r = parameters.DEFAULT_AFTER[None, :], parameters.RECOVERY_AFTER[None, :]
    still_default = parameters.P_DEFAULT * (d >= age).mean(axis=1)
    still_recover = (1 - parameters.P_DEFAULT) * (r > age).mean(axis=1)
    within = parameters.P_DEFAULT * ((d >= age) & (d <= age + 11)).mean(axis=1)
    alive = still_default + still_recover
    return np.where(alive > 0, within / np.where(alive > 0, alive, 1), 0.0)


def _default_within(months: int) -> float:
    """P(the default comes at most `months` months after distress began | it ends in default)."""
    return float((months >= parameters.DEFAULT_AFTER).mean())


def _hazard_season() -> np.ndarray:
    """Return the seasonal term of the distress hazard, industry x month of year."""
    season = parameters.HAZARD_SEASON * np.cos(2 * np.pi * np.arange(12) / 12)
    winter = np.isin(np.arange(12), (0, 1, 11)).astype(float)
    return season[None, :] + np.array([i[6] for i in parameters.INDUSTRIES])[:, None] * winter[None, :]


def _initial_distress(
    customers: Customers,
    months: Months,
    hazard_season: np.ndarray,
    world: np.random.Generator,
    rng: np.random.Generator,
) -> _DistressStart:
    """Return the distress state at the ledger start, for every customer."""
    # Customers already on the books start in the stationary mix of healthy and distressed states.
    n = customers.industry.size
    distressed = np.zeros(n, dtype=bool)
    entry = np.zeros(n, dtype=np.int64)
    default_month = np.full(n, NEVER, dtype=np.int64)
    recover_month = np.full(n, NEVER, dtype=np.int64)
    sojourn = (
        parameters.P_DEFAULT * (parameters.DEFAULT_AFTER + 1).mean()
        + (1 - parameters.P_DEFAULT) * parameters.RECOVERY_AFTER.mean()
    )
    h0 = np.minimum(
        np.exp(
            parameters.HAZARD_BASE + customers.base + customers.idio + hazard_season[customers.industry, months.moy[0]]
        ),
        parameters.HAZARD_CAP,
    )
    starts_distressed = ~customers.is_new & (world.random(n) < h0 * sojourn / (1 + h0 * sojourn))
    episodes = [
        (True, d, d + 1, parameters.P_DEFAULT / parameters.DEFAULT_AFTER.size) for d in parameters.DEFAULT_AFTER
    ]
    episodes += [
        (False, r, r, (1 - parameters.P_DEFAULT) / parameters.RECOVERY_AFTER.size) for r in parameters.RECOVERY_AFTER
    ]
    weights = np.array([p * ages for _, _, ages, p in episodes])
    pick = world.choice(len(episodes), size=n, p=weights / weights.sum())
    ep_default = np.array([e[0] for e in episodes])[pick]
    ep_length = np.array([e[1] for e in episodes])[pick]
    ep_age = (world.random(n) * np.array([e[2] for e in episodes])[pick]).astype(np.int64)
    distressed[starts_distressed] = True
    entry[starts_distressed] = -ep_age[starts_distressed]
    default_month = np.where(starts_distressed & ep_default, entry + ep_length, default_month)
    recover_month = np.where(starts_distressed & ~ep_default, entry + ep_length, recover_month)
    onset = months.first[0] + np.floor((entry - 1 + rng.random(n)) * 30.44).astype(np.int64)
    return _DistressStart(distressed, entry, default_month, recover_month, onset)


def _recovery_day(months: Months, default_month: np.ndarray, recover_month: np.ndarray) -> np.ndarray:
    """Return the day a distress ends in a recovery (the first of its month), or NEVER."""
    n_months = months.count
    inside = (default_month >= NEVER) & (recover_month <= n_months)
    return np.where(inside, months.first[np.minimum(recover_month, n_months)], NEVER)


def draw_history(
    customers: Customers, months: Months, world: np.random.Generator, rng: np.random.Generator
) -> HiddenHistory:
    """Return the hidden history: latent risk and the distress / default process, month by month."""
    industry, onboard_month = customers.industry, customers.onboard_month
    n, n_months = industry.size, months.count
    base, x = customers.base, customers.idio
    macro_sigma = np.array([i[3] for i in parameters.INDUSTRIES])
    macro = np.zeros(len(parameters.INDUSTRIES))
    common = 0.0
    hazard_season = _hazard_season()
    distress_pd = _distress_pd_by_age(int(parameters.DEFAULT_AFTER.max()) + 1)
    risk = np.empty((n, n_months), dtype=np.float64)
    # Behaviour follows the distress from the day it begins: per customer-month, the onset day of the
    # episode under way in (or beginning during) that month, and the day it ends in a recovery.
    onset_of = np.full((n, n_months), NEVER, dtype=np.int64)
    recovery_of = np.full((n, n_months), NEVER, dtype=np.int64)
    pd12 = np.full((n, n_months), np.nan, dtype=np.float64)
    handed_over = np.zeros(n, dtype=bool)
    distressed, entry, default_month, recover_month, onset = _initial_distress(
        customers, months, hazard_season, world, rng
    )

    event_customer, event_day, event_kind = [], [], []  # kind 0 handover, 1 insurer limit change
    for m in range(n_months):
        r_now = base + x + macro[industry] + common
        risk[:, m] = r_now
        distressed &= recover_month != m
        alive = (onboard_month <= m) & (default_month >= m)
        onset_of[:, m] = np.where(distressed, onset, NEVER)
        recovery_of[:, m] = np.where(distressed, _recovery_day(months, default_month, recover_month), NEVER)
        healthy = alive & ~distressed
        # the truth: probability of default within 12 months, as seen from this month's start
        pd_now = np.where(distressed, distress_pd[np.clip(m - entry, 0, distress_pd.size - 1)], 0.0)
        survive = np.ones(n)
        for k in range(int(parameters.DEFAULT_AFTER.min()) + 1):  # a later entry into distress cannot default in time
            idio_var = parameters.IDIO_SIGMA**2 * (1 - parameters.IDIO_PHI ** (2 * k)) / (1 - parameters.IDIO_PHI**2)
            var = idio_var + k * (macro_sigma[industry] ** 2 + parameters.COMMON_SIGMA**2)
            expected_risk = r_now - (1 - parameters.IDIO_PHI**k) * x
            future_season = hazard_season[industry, (months.moy[m] + k) % 12]
            h = np.minimum(
                np.exp(parameters.HAZARD_BASE + expected_risk + future_season + var / 2), parameters.HAZARD_CAP
            )
            pd_now += np.where(healthy, survive * h * parameters.P_DEFAULT * _default_within(10 - k), 0.0)
            survive *= 1 - h
        pd12[:, m] = np.where(alive, pd_now, np.nan)
        # information events of the month: a collections handover (from the second month of a distress)
        day = months.first[m] + (rng.random(n) * months.length[m]).astype(np.int64)
        handover = alive & distressed & (m - entry >= 1) & ~handed_over & (rng.random(n) < parameters.P_HANDOVER)
        handed_over |= handover
        # end of month: healthy customers may slide into distress
        h = np.minimum(
            np.exp(parameters.HAZARD_BASE + r_now + hazard_season[industry, months.moy[m]]), parameters.HAZARD_CAP
        )
        enters = healthy & (world.random(n) < h)
        ends_in_default = world.random(n) < parameters.P_DEFAULT
        length = np.where(
            ends_in_default, world.choice(parameters.DEFAULT_AFTER, n), world.choice(parameters.RECOVERY_AFTER, n)
        )
        distressed |= enters
        entry = np.where(enters, m + 1, entry)
        handed_over &= ~enters
        default_month = np.where(enters & ends_in_default, m + 1 + length, default_month)
        recover_month = np.where(enters & ~ends_in_default, m + 1 + length, recover_month)
        # the trouble begins on a day of this month; the truth records it from the next month start
        onset = np.where(enters, months.first[m] + (rng.random(n) * months.length[m]).astype(np.int64), onset)
        onset_of[enters, m] = onset[enters]
        recovery_of[enters, m] = _recovery_day(months, default_month, recover_month)[enters]
        # the credit insurer's limit changes (`insurer_limit_change`): it hears of the trouble from the
        # customer's other suppliers. The company's own `limit_change` is never drawn: its decisions are not
        # a truth signal of the sample.
        limit = alive & (
            rng.random(n)
            < np.where(
                onset_of[:, m] <= day, parameters.P_INSURER_LIMIT_CHANGE_DISTRESS, parameters.P_INSURER_LIMIT_CHANGE
            )
        )
        for kind, mask in ((0, handover), (1, limit)):
            event_customer.append(np.flatnonzero(mask))
            event_day.append(day[mask])
            event_kind.append(np.full(int(mask.sum()), kind))
        x = parameters.IDIO_PHI * x + parameters.IDIO_SIGMA * world.standard_normal(n)
        macro = macro + macro_sigma * world.standard_normal(len(parameters.INDUSTRIES))
        common = common + parameters.COMMON_SIGMA * world.standard_normal()

    # The default day: uniform within the default month, inside the ledger.
    in_ledger = default_month < n_months
    dm = np.minimum(default_month, n_months - 1)
    default_day = months.first[dm] + (world.random(n) * months.length[dm]).astype(np.int64)
    default_day = np.where(in_ledger, np.maximum(default_day, customers.first_day), NEVER)
    default_day = np.where(default_day < months.end_day, default_day, NEVER)
    return HiddenHistory(
        risk=risk,
        onset_of=onset_of,
        recovery_of=recovery_of,
        pd12=pd12,
        default_month=default_month,
        default_day=default_day,
        event_customer=np.concatenate(event_customer),
        event_day=np.concatenate(event_day),
        event_kind=np.concatenate(event_kind),
    )
