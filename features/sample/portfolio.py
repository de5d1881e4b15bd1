"""The sample portfolio: generate it and write it.

`generate_portfolio` returns the five ledger tables of the contract (`features.contract`) plus
`_latent_risk`, the generator's own probability that each customer defaults within the next
12 months, per month. That hidden truth is what lets tests and documentation say how good a
model could possibly be (`oracle_auc`). `docs/sample-portfolio.md` tells the generative story;
`features.sample.parameters` holds its parameters.

Everything is vectorised numpy over customers x months matrices and over document rows; the only
Python loops run over months or over the (at most three) instalments of a payment. The output
depends on the seed only: two `numpy.random.Generator`s spawned from it draw, in a fixed order, the
hidden world (customers, latent risk, distress, defaults) and what the ledger shows of it
(documents, payments, disputes, events), so re-tuning behaviour leaves the hidden world as it was;
no clock is read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from features.ledger_files import to_arrow, write_table, write_tables
from features.sample.days import month_grid
from features.sample.history import draw_history
from features.sample.ledger import draw_disputes, draw_invoices, draw_payment_days, draw_payments
from features.sample.parameters import SampleConfig
from features.sample.tables import credit_events_table, customer_master, latent_table, ledger_tables, numbered_ids
from features.sample.world import draw_customers

LEDGER_TABLES = ("customers", "invoices", "payments", "disputes", "credit_events")
TRUTH_TABLE = "_latent_risk"
TRUTH_FILE = Path("_truth") / "latent_risk.parquet"


def generate_portfolio(config: SampleConfig, progress: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """Return the tables customers, invoices, payments, disputes, credit_events (contract columns, typed),
    plus '_latent_risk' (hidden truth, NOT a ledger table): customer_id, month (date, first of month),
    pd_12m_true = the generator's true probability that the customer defaults within the next 12 months
    from that month start."""
    say = progress or (lambda message: None)
    # Two streams from the seed: `world` draws the customers and their hidden risk, distress and default;
    # `rng` everything the ledger shows of them. Re-tuning behaviour leaves the hidden world unchanged.
    # Each stage below draws from them in turn: the order of the stages is the order of the draws.
    world, rng = (np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(2))
    months = month_grid(config)

    say(f"customers: {config.customers:,}")
    customers = draw_customers(config, months, world)
    say(f"latent risk: {months.count} months")
    hidden = draw_history(customers, months, world, rng)
    say("invoices")
    docs = draw_invoices(customers, hidden, months, rng)
    say(f"payments for {docs.cust.size:,} documents")
    timing = draw_payment_days(customers, hidden, docs, months, rng)
    disputed = draw_disputes(hidden, docs, timing, months, rng)
    paid = draw_payments(hidden, docs, timing, disputed, months, rng)
    del timing

    say("assembling tables")
    customer_ids = numbered_ids("C", config.customers, 6)
    invoices, payments, disputes = ledger_tables(customers, docs, paid, disputed, customer_ids, months)
    has_open_balance = paid.has_open_balance
    del docs, paid, disputed  # the largest arrays: one entry per document or payment
    credit_events = credit_events_table(customers, hidden, has_open_balance, customer_ids, months, rng)
    customer_table = customer_master(customers, hidden.risk, customer_ids, rng)
    say("latent risk table")
    latent = latent_table(config, hidden.pd12, customer_ids, months)
    say("done")
    return {
        "customers": customer_table,
        "invoices": invoices,
        "payments": payments,
        "disputes": disputes,
        "credit_events": credit_events,
        TRUTH_TABLE: latent,
    }


def write_portfolio(tables: dict[str, pd.DataFrame], out_dir: Path, fmt: str = "csv") -> dict[str, int]:
    """Write the ledger tables as out_dir/<table>.csv or .parquet and the hidden truth as
    out_dir/_truth/latent_risk.parquet, each atomically; return rows written per table."""
    out_dir = Path(out_dir)
    written = write_tables({name: tables[name] for name in LEDGER_TABLES}, out_dir, fmt)
    if TRUTH_TABLE in tables:
        target = out_dir / TRUTH_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        table = to_arrow(tables[TRUTH_TABLE])
        write_table(table, target, "parquet")
        written[TRUTH_TABLE] = table.num_rows
    return written
