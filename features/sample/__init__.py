"""The synthetic sample portfolio: a hidden world of customers, the ledger it shows, and the truth.

`generate_portfolio` draws the five ledger tables of the contract plus the hidden truth
(`_latent_risk`), `write_portfolio` writes them, and `oracle_snapshots`, `oracle_auc` and
`portfolio_rates` say what the truth and the ledger show. The modules, in the order the generator
runs them:

- `parameters`: `SampleConfig` and the constants of the generative story;
- `days`: days as integers, and the ledger's months;
- `world`: the customers and their latent traits;
- `history`: their hidden history, month by month: latent risk, distress, default, information events;
- `ledger`: what the ledger records of it, as arrays: documents, payment days, disputes, payments;
- `tables`: the contract tables built from those arrays;
- `portfolio`: `generate_portfolio`, which runs the stages in the order of their draws, and `write_portfolio`;
- `truth`: what the hidden truth says.

The generator reads its parameters as `parameters.NAME` when it runs, so setting one in
`features.sample.parameters` re-tunes the next portfolio.
"""

from __future__ import annotations

from features.sample.parameters import SampleConfig
from features.sample.portfolio import LEDGER_TABLES, TRUTH_FILE, TRUTH_TABLE, generate_portfolio, write_portfolio
from features.sample.truth import oracle_auc, oracle_snapshots, portfolio_rates

__all__ = [
    "LEDGER_TABLES",
    "TRUTH_FILE",
    "TRUTH_TABLE",
    "SampleConfig",
    "generate_portfolio",
    "oracle_auc",
    "oracle_snapshots",
    "portfolio_rates",
    "write_portfolio",
]
