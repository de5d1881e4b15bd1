"""tradecredit: trade-credit risk models built on accounts-receivable ledgers."""
