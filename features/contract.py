"""The ledger contract: the tables tradecredit reads, their columns, types and rules.

This module is the single source of truth: validation (`features.validate`) applies
these rules and `docs/ledger-contract.md` is generated from them
(`python -m features.contract > docs/ledger-contract.md`; a test keeps the two equal).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Amounts are compared with this tolerance when deciding whether payments cover an invoice:
# ERP exports round to the cent, and a residual below one cent is not an open balance.
SETTLEMENT_TOLERANCE = 0.01

DEFAULT_EVENT_TYPES = ("default", "insolvency", "write_off")

# Dates outside this window are typos (a year 2091 for 2019), not business events.
EARLIEST_DATE = "1900-01-01"
MAX_DAYS_AFTER_REFERENCE = 731  # two years


@dataclass(frozen=True)
class Column:
    """One column of a ledger table."""

    name: str
    type: str  # DuckDB logical type: VARCHAR, DATE, DOUBLE, INTEGER
    required: bool
    description: str
    # Row rules as (SQL predicate that must hold on the typed value, human wording).
    # Predicates only see non-null values; a missing value is the `required` rule's business.
    checks: tuple[tuple[str, str], ...] = ()
    unique: bool = False


@dataclass(frozen=True)
class Reference:
    """A foreign key: every value of `column` must exist in `parent_table.parent_column`."""

    column: str
    parent_table: str
    parent_column: str


@dataclass(frozen=True)
class DateOrder:
    """`later` must not be before `earlier` (same row, or the parent row when `parent` is set)."""

    later: str
    earlier: str
    parent: Reference | None = None


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    description: str
    columns: tuple[Column, ...]
    references: tuple[Reference, ...] = ()
    date_orders: tuple[DateOrder, ...] = ()
    keeps_extra_columns: bool = False
    notes: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def key(self) -> str | None:
        return next((c.name for c in self.columns if c.unique), None)

    @property
    def record_key(self) -> str:
        """Return the name of the integer standing for one of this table's records: `invoice_row` for invoices."""
        return f"{self.name[:-1]}_row"


def _id(name: str, description: str, unique: bool = False) -> Column:
    return Column(name, "VARCHAR", True, description, unique=unique)


_POSITIVE = (("{col} > 0", "must be greater than 0"),)

CUSTOMERS = Table(
    name="customers",
    required=True,
    description="One row per customer (the buyer who is granted trade credit).",
    columns=(
        _id("customer_id", "Customer key, as in the ERP.", unique=True),
        Column("name", "VARCHAR", False, "Customer name."),
        Column(
            "country",
            "VARCHAR",
            False,
            "ISO 3166-1 alpha-2 country code.",
            checks=(
                (r"regexp_full_match({col}, '[A-Z]{{2}}')", "must be an ISO 3166 alpha-2 code (two capital letters)"),
            ),
        ),
        Column("industry", "VARCHAR", False, "Industry or sector label."),
        Column("onboarding_date", "DATE", False, "Date the customer relationship started."),
        Column(
            "credit_limit",
            "DOUBLE",
            False,
            "Approved credit limit in ledger currency (empty: no limit set).",
            checks=(("{col} >= 0", "must be 0 or more"),),
        ),
        Column(
            "payment_terms_days",
            "INTEGER",
            False,
            "Standard payment terms in days (30 for net 30).",
            checks=(("{col} >= 0", "must be 0 or more"),),
        ),
    ),
    keeps_extra_columns=True,
    notes=(
        "Any further column (an external rating, financial ratios, an insured limit) is kept: "
        "numeric columns flow to the models as numeric features, text columns as categorical ones. "
        "A column named `insured_limit` is also honoured by the credit-limit policy.",
    ),
)

INVOICES = Table(
    name="invoices",
    required=True,
    description="Receivables: invoices and credit notes issued to customers.",
    columns=(
        _id("invoice_id", "Document key.", unique=True),
        _id("customer_id", "The customer billed."),
        Column("invoice_date", "DATE", True, "Document date."),
        Column("due_date", "DATE", True, "Net due date (invoice date + terms)."),
        Column(
            "amount",
            "DOUBLE",
            True,
            "Gross amount, always positive; the document type gives the sign.",
            checks=_POSITIVE,
        ),
        Column(
            "document_type",
            "VARCHAR",
            False,
            "`invoice` (default when empty) or `credit_note`; a credit note reduces exposure.",
            checks=(("{col} IN ('invoice', 'credit_note')", "must be 'invoice' or 'credit_note'"),),
        ),
        Column(
            "currency",
            "VARCHAR",
            False,
            "ISO 4217 code. A ledger may hold one currency only: there is no rate table to convert with.",
        ),
    ),
    references=(Reference("customer_id", "customers", "customer_id"),),
    date_orders=(DateOrder("due_date", "invoice_date"),),
)

PAYMENTS = Table(
    name="payments",
    required=True,
    description=(
        "Cash applied to documents. Partial payments are normal: a document is settled on the date "
        f"its payments first cover its amount, within {SETTLEMENT_TOLERANCE} (one cent)."
    ),
    columns=(
        _id("payment_id", "Payment (clearing) key.", unique=True),
        _id("invoice_id", "The document the cash is applied to."),
        Column("payment_date", "DATE", True, "Value date of the payment."),
        Column("amount", "DOUBLE", True, "Amount applied, positive.", checks=_POSITIVE),
    ),
    references=(Reference("invoice_id", "invoices", "invoice_id"),),
    date_orders=(DateOrder("payment_date", "invoice_date", parent=Reference("invoice_id", "invoices", "invoice_id")),),
)

DISPUTES = Table(
    name="disputes",
    required=False,
    description="Disputes raised by customers on documents.",
    columns=(
        _id("invoice_id", "The disputed document."),
        Column("opened_date", "DATE", True, "Date the dispute was raised."),
        Column("resolved_date", "DATE", False, "Date it was closed; empty while open."),
        Column("outcome", "VARCHAR", False, "Free text or code: credited, rejected, ..."),
    ),
    references=(Reference("invoice_id", "invoices", "invoice_id"),),
    date_orders=(DateOrder("resolved_date", "opened_date"),),
)

CREDIT_EVENTS = Table(
    name="credit_events",
    required=False,
    description=(
        "Credit events per customer. `default`, `insolvency` and `write_off` mean default; any other type "
        "is information: `insurer_limit_change` (a limit decision of the credit insurer or a bureau, an outside "
        "view of the customer), `limit_change` and `collections_handover` (the company's own decisions, which "
        "models leave out by default: see docs/models.md), ..."
    ),
    columns=(
        _id("customer_id", "The customer concerned."),
        Column("event_date", "DATE", True, "Date of the event."),
        Column("event_type", "VARCHAR", True, "Event code, lower case."),
    ),
    references=(Reference("customer_id", "customers", "customer_id"),),
)

TABLES: tuple[Table, ...] = (CUSTOMERS, INVOICES, PAYMENTS, DISPUTES, CREDIT_EVENTS)
TABLES_BY_NAME = {t.name: t for t in TABLES}
# Tables other tables refer to: each of their records gets an integer key (`Table.record_key`).
REFERENCED_TABLES = tuple(dict.fromkeys(ref.parent_table for t in TABLES for ref in t.references))


def record_keys(table: Table) -> tuple[str, ...]:
    """Return the integer key columns validation gives `table`'s records: its own if it is referenced, then its parents'."""
    own = (table.record_key,) if table.name in REFERENCED_TABLES else ()
    return own + tuple(TABLES_BY_NAME[ref.parent_table].record_key for ref in table.references)


def render_markdown() -> str:
    """Return the contract as the Markdown page `docs/ledger-contract.md`."""
    lines = [
        "# Ledger contract",
        "",
        "<!-- generated by `python -m features.contract`; do not edit by hand -->",
        "",
        "A ledger is a set of tables, given as a folder of CSV or Parquet files named after the tables "
        "(`customers.csv`, `invoices.parquet`, ...), a DuckDB database file holding those tables, or a "
        "PostgreSQL database as a `postgresql://` URL (tables or views of those names). "
        "Every command that reads a ledger checks it against this contract (`tradecredit validate`).",
        "",
        "Dates are ISO `YYYY-MM-DD`. Amounts are in the ledger's single currency. "
        f"Dates before {EARLIEST_DATE} or more than {MAX_DAYS_AFTER_REFERENCE} days after the reference date "
        "(today, unless `--reference-date` says otherwise) are rejected as typos.",
        "",
    ]
    for table in TABLES:
        lines += [f"## `{table.name}` ({'required' if table.required else 'optional'})", "", table.description, ""]
        lines += ["| column | type | required | rules | meaning |", "|---|---|---|---|---|"]
        for col in table.columns:
            rules = [wording for _, wording in col.checks]
            if col.unique:
                rules.append("unique")
            for ref in table.references:
                if ref.column == col.name:
                    rules.append(f"must exist in `{ref.parent_table}.{ref.parent_column}`")
            for order in table.date_orders:
                if order.later == col.name:
                    where = f"the {order.parent.parent_table[:-1]}'s " if order.parent else ""
                    rules.append(f"not before {where}`{order.earlier}`")
            lines.append(
                f"| `{col.name}` | {col.type} | {'yes' if col.required else 'no'} | "
                f"{'; '.join(rules) or '-'} | {col.description} |"
            )
        lines.append("")
        lines += [f"{note}\n" for note in table.notes]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
