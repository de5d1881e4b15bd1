"""Serving sub-commands: `score` (the nightly batch) and `serve` (the REST API)."""

from __future__ import annotations

from pathlib import Path

import click

from model.registry import DEFAULT_MODEL_URI, LATE_MODEL_URI
from tradecredit.commands.history import history_folder, history_option, record_scores
from tradecredit.commands.options import (
    check_as_of_or_exit,
    ledger_option,
    parse_date,
    progress_bar,
    quarantine_option,
    read_ledger_or_exit,
    reference_date_option,
    say,
    say_scoring,
    terminate_cleanly,
)

# More than this share of the source's customers without a score and `score` exits SKIPPED_EXIT_CODE.
DEFAULT_MAX_SKIPPED_SHARE = 0.05
SKIPPED_EXIT_CODE = 3


@click.command()
@ledger_option
@click.option(
    "--as-of", "as_of", required=True, callback=parse_date, metavar="DATE", help="Score as known on this date."
)
@click.option(
    "--model",
    "model_uri",
    default=DEFAULT_MODEL_URI,
    show_default=True,
    help="Default model (registry URI); 'none' to score without one (a ledger with no credit events).",
)
@click.option(
    "--late-model",
    "late_uri",
    default=LATE_MODEL_URI,
    show_default=True,
    help="Late-payment model; 'none' to leave it out.",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Parquet file to write.")
@click.option(
    "--limit-policy", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Limit policy (TOML)."
)
@click.option("--chunk-size", default=10_000, show_default=True, type=click.IntRange(min=1))
@click.option("--show", default=0, type=click.IntRange(min=0), help="Print the N riskiest customers with reasons.")
@click.option(
    "--max-skipped-share",
    default=DEFAULT_MAX_SKIPPED_SHARE,
    show_default=True,
    type=click.FloatRange(0, 1),
    metavar="SHARE",
    help=f"Exit with status {SKIPPED_EXIT_CODE} when more than this share of customers is skipped.",
)
@click.option("--tracking-uri", help="MLflow tracking URI. Default: $MLFLOW_TRACKING_URI, else ./mlflow.db.")
@history_option("the scores are recorded in (by as-of date)")
@quarantine_option
@reference_date_option
def score(
    ledger_source,
    as_of,
    model_uri,
    late_uri,
    out,
    limit_policy,
    chunk_size,
    show,
    max_skipped_share,
    tracking_uri,
    history_dir,
    quarantine_dir,
    reference_date,
) -> None:
    """Score the whole portfolio: PD, grade, reasons, late-payment probability and limit advice.

    Writes OUT atomically (an interrupted run leaves no file) and OUT.manifest.json beside it.
    Exit status: 0 every customer scored (or no more skipped than --max-skipped-share), 1 an error
    (nothing written), 2 a wrong command line, 3 scored but more customers skipped than
    --max-skipped-share (no invoice on or before the as-of date, or quarantined).
    """

    from model.registry import TrackingError, connect
    from model.registry import tracking_uri as resolve_uri
    from serving.batch import run_batch
    from serving.limits import PolicyError, load_policy
    from serving.scoring import load_scoring_models

    terminate_cleanly()
    try:
        policy = load_policy(limit_policy)
        connect(resolve_uri(tracking_uri))
        models = load_scoring_models(model_uri, late_uri)
    except (PolicyError, TrackingError) as exc:
        raise click.ClickException(str(exc)) from None
    ledger, report = read_ledger_or_exit(ledger_source, quarantine_dir, reference_date)
    check_as_of_or_exit(ledger, [as_of])
    say_scoring(models, f"{ledger_source} as of {as_of}")
    for note in models.notes:
        say(f"note: {note}")
    try:
        result = run_batch(
            ledger,
            as_of,
            models,
            policy,
            out,
            quarantined=report.rows_quarantined,
            chunk_size=chunk_size,
            progress=progress_bar,
            steps=say,
        )
    except TrackingError as exc:  # a model that needs columns this ledger cannot give
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot be written ({exc.strerror or exc})") from None
    import pyarrow.parquet as pq

    record_scores(history_folder(history_dir, out), pq.read_table(result.out))
    skipped = ", ".join(f"{n:,} {why}" for why, n in result.skipped.items() if n)
    click.echo(
        f"{result.scored:,} customers scored into {result.out} (manifest {result.manifest})"
        + (f"; skipped: {skipped}" if skipped else "")
    )
    if show:
        _print_riskiest(result.out, show)
    if result.skipped_share > max_skipped_share:
        say(
            f"{result.skipped_share:.1%} of {result.rows_in:,} customers skipped, more than --max-skipped-share "
            f"{max_skipped_share:.1%}: exit status {SKIPPED_EXIT_CODE} (the scores are written; see the manifest)"
        )
        click.get_current_context().exit(SKIPPED_EXIT_CODE)


# Customers in default listed by name under the riskiest live ones; the rest are counted.
IN_DEFAULT_LISTED = 5


def _print_riskiest(path: Path, n: int) -> None:
    """Print the `n` riskiest live customers (by PD, else by late-payment probability), then those in default."""
    import pandas as pd

    scores = pd.read_parquet(path)
    live, gone = scores[~scores["in_default_at_as_of"]], scores[scores["in_default_at_as_of"]]
    by_pd = live["pd_12m"].notna().any()
    riskiest = live.nlargest(n, "pd_12m" if by_pd else "late_payment_prob_90d")
    if by_pd:
        click.echo(f"\nThe {len(riskiest)} riskiest customers not yet in default:")
    else:
        click.echo(f"\nThe {len(riskiest)} customers most likely to pay late (no default model: no PD):")
    for row in riskiest.itertuples():
        risk = [f"PD {row.pd_12m:.1%}, grade {row.risk_grade}"] if by_pd else []
        if not pd.isna(row.late_payment_prob_90d):
            risk.append(f"late payment {row.late_payment_prob_90d:.0%} (late-payment grade {row.late_payment_grade})")
        terms = f" ({row.terms_advice})" if isinstance(row.terms_advice, str) else ""
        click.echo(
            f"{row.customer_id}: {', '.join(risk)}; limit {_limit(row)} -> {row.recommended_credit_limit:,.0f}{terms}"
        )
        for i in range(1, 4):
            text = getattr(row, f"reason_{i}_text_en")
            if isinstance(text, str):
                click.echo(f"    - {text}")
    if len(gone):
        largest = gone.sort_values(["current_credit_limit", "customer_id"], ascending=[False, True], na_position="last")
        shown = largest.head(IN_DEFAULT_LISTED)
        which = f"; the {len(shown)} largest limits withdrawn" if len(gone) > len(shown) else ""
        click.echo(f"\nIn default at the as-of date: {len(gone):,} customers, grade D, PD 100%, limit 0{which}:")
        for row in shown.itertuples():
            click.echo(f"{row.customer_id}: limit {_limit(row)} -> {row.recommended_credit_limit:,.0f}")


def _limit(row) -> str:
    import pandas as pd

    return "no limit" if pd.isna(row.current_credit_limit) else f"{row.current_credit_limit:,.0f}"


@click.command()
@click.option("--ledger", "ledger_source", metavar="SRC", help="Ledger to score from (else $TRADECREDIT_LEDGER).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--tracking-uri", help="MLflow tracking URI. Default: $MLFLOW_TRACKING_URI, else ./mlflow.db.")
def serve(ledger_source, host, port, tracking_uri) -> None:
    """Serve scores over REST (FastAPI on uvicorn); OpenAPI docs at /docs.

    Settings come from TRADECREDIT_* variables (docs/api.md); API keys only from TRADECREDIT_API_KEYS,
    so they never show in a process list. /ready answers 503 until models are loaded and warmed up.
    """
    import uvicorn
    from pydantic import ValidationError

    from features.config_errors import validation_problems
    from serving.api.main import create_app
    from serving.api.settings import ApiSettings
    from serving.audit import AuditLog, AuditLogError

    overrides = {k: v for k, v in {"ledger": ledger_source, "tracking_uri": tracking_uri}.items() if v}
    try:
        settings = ApiSettings(**overrides)
    except ValidationError as exc:
        raise click.ClickException(f"settings: {validation_problems(exc)}") from None
    try:
        AuditLog(settings.audit_log)  # refuse to start rather than serve scores it cannot audit
    except AuditLogError as exc:
        raise click.ClickException(str(exc)) from None
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


COMMANDS = [score, serve]
