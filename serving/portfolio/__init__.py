"""The credit team's portfolio figures: aging, DSO, expected loss, IFRS 9 provisions, watchlist, worklist, terms.

`build_report` computes every table from a ledger's settled facts and its scores; `write_report` writes
them (Parquet, CSV, report.xlsx, manifest). The CLI (`tradecredit portfolio`), the pages and the
notebooks call these and compute no figure themselves; docs/portfolio.md gives every formula.
"""
