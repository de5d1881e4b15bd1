"""The `portfolio` sub-command: the credit team's report (aging, DSO, expected loss, IFRS 9 provisions,
watchlist, collections worklist, terms and payment plans) from a ledger and its scores."""

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


@click.command()
@ledger_option
@click.option(
    "--as-of", "as_of", required=True, callback=parse_date, metavar="DATE", help="Report as known on this date."
)
@click.option(
    "--compare-to",
    callback=parse_date,
    metavar="DATE",
    help="Date the watchlist compares with (grades, days late, disputes). Default: the previous month-end.",
)
@click.option(
    "--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Portfolio settings (TOML)."
)
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write the report to."
)
@click.option(
    "--scores",
    "scores_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Scores of the as-of date (a `tradecredit score` file) instead of scoring with the champion models.",
)
@click.option(
    "--model", "model_uri", default=DEFAULT_MODEL_URI, show_default=True, help="Default model; 'none' leaves it out."
)
@click.option("--late-model", "late_uri", default=LATE_MODEL_URI, show_default=True, help="Late-payment model; 'none'.")
@click.option(
    "--limit-policy", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Limit policy (TOML)."
)
@click.option("--tracking-uri", help="MLflow tracking URI. Default: $MLFLOW_TRACKING_URI, else ./mlflow.db.")
@history_option("the scores are recorded in and the compare-to grades read from")
@quarantine_option
@reference_date_option
def portfolio(
    ledger_source,
    as_of,
    compare_to,
    config,
    out,
    scores_file,
    model_uri,
    late_uri,
    limit_policy,
    tracking_uri,
    history_dir,
    quarantine_dir,
    reference_date,
) -> None:
    """Write the portfolio report: aging and its trend, DSO, expected loss, the IFRS 9 provision matrix,
    watchlist, collections worklist, terms advice and payment plans (docs/portfolio.md).

    Each table goes to OUT as Parquet and CSV, all of them to OUT/report.xlsx, with OUT/manifest.json;
    OUT is replaced whole or not at all. Scores come from the champion models (recorded in the score
    history) or from --scores.
    """
    from features.pipeline import LedgerFacts
    from serving.portfolio.files import write_report
    from serving.portfolio.open_items import previous_month_end
    from serving.portfolio.report import PortfolioError, build_report, check_compare_to
    from serving.portfolio.scores import ScoresError, read_scores
    from serving.portfolio.settings import PortfolioSettingsError, load_portfolio_settings

    terminate_cleanly()
    compare_to = compare_to or previous_month_end(as_of)
    try:
        check_compare_to(as_of, compare_to)  # before anything is read
        settings = load_portfolio_settings(config)
    except (PortfolioError, PortfolioSettingsError) as exc:
        raise click.ClickException(str(exc)) from None
    history = history_folder(history_dir, out)
    models, policy = _models(scores_file, model_uri, late_uri, limit_policy, tracking_uri)
    scores = None
    if scores_file:
        try:
            scores = read_scores(scores_file, as_of)
        except ScoresError as exc:
            raise click.ClickException(str(exc)) from None
    ledger, _ = read_ledger_or_exit(ledger_source, quarantine_dir, reference_date)
    check_as_of_or_exit(ledger, [as_of])
    check_as_of_or_exit(ledger, [compare_to], option="--compare-to")
    notes: list[str] = []
    with LedgerFacts(ledger, progress=say) as facts:
        if scores is None:
            scores = _score(facts, as_of, models, policy)
            record_scores(history, scores)
        compare_scores = _compare_scores(history, facts, compare_to, models, policy, notes)
        say("computing the portfolio figures")
        try:
            report = build_report(facts, as_of, compare_to, scores, settings, compare_scores, notes)
        except PortfolioError as exc:
            raise click.ClickException(str(exc)) from None
    manifest = {
        "ledger": ledger.source,
        "ledger_digest": ledger.digest(),
        "scores": str(scores_file) if scores_file else "scored by this run",
        "models": models.describe() if models else None,
        "settings": settings.model_dump(mode="json"),
    }
    try:
        path = write_report(report, out, manifest, settings.excel_max_rows)
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot be written ({exc.strerror or exc})") from None
    _print_totals(report, out, path)


def _models(scores_file, model_uri, late_uri, limit_policy, tracking_uri):
    """Return (the scoring models, the limit policy), or (None, None) when the scores are given."""
    if scores_file:
        return None, None
    from model.registry import TrackingError, connect
    from model.registry import tracking_uri as resolve_uri
    from serving.limits import PolicyError, load_policy
    from serving.scoring import load_scoring_models

    try:
        policy = load_policy(limit_policy)
        connect(resolve_uri(tracking_uri))
        return load_scoring_models(model_uri, late_uri), policy
    except (PolicyError, TrackingError) as exc:
        raise click.ClickException(str(exc)) from None


def _score(facts, as_of, models, policy):
    """Return the explained scores of every customer at `as_of`, built on `facts`."""
    from model.registry import TrackingError
    from serving.scoring import check_models_fit, score_all

    try:
        check_models_fit(models, facts.ledger)
    except TrackingError as exc:
        raise click.ClickException(str(exc)) from None
    say_scoring(models, f"as of {as_of}")
    return score_all(facts, as_of, models, policy, progress=progress_bar, steps=say)


def _compare_scores(history, facts, compare_to, models, policy, notes):
    """Return the scores at the compare-to date: as recorded, else scored afresh (said in a note), else None."""
    from serving.score_history import ScoreHistoryError, scores_to_compare

    score = (lambda: _score(facts, compare_to, models, policy)) if models is not None else None
    try:
        return scores_to_compare(history, compare_to, score, notes)
    except ScoreHistoryError as exc:
        raise click.ClickException(str(exc)) from None


def _print_totals(report, out: Path, manifest: Path) -> None:
    t = report.totals

    def money(value) -> str:
        return "-" if value is None else f"{value:,.0f}"

    def days(value) -> str:
        return "-" if value is None else f"{value:.1f} days"

    click.echo(f"Portfolio report as of {report.as_of} written to {out} (manifest {manifest})")
    click.echo(f"  open receivables      {money(t['open_receivables'])}")
    share = t["overdue_share"]
    click.echo(f"  overdue share         {'-' if share is None else f'{share:.1%}'}")
    target = f" (target {t['dso_target_days']:g} days)" if t["dso_target_days"] else ""
    click.echo(
        f"  DSO (count-back)      {days(t['dso_countback'])}; balance/sales 3 months {days(t['dso_3m'])}{target}"
    )
    click.echo(f"  provision, matrix     {money(t['provision_matrix'])}")
    click.echo(f"  provision, model      {money(t['provision_model'])}")
    click.echo(f"  expected loss         {money(t['expected_loss'])} (with the unused limits' conversion)")
    click.echo(f"  watchlist             {t['watchlist_customers']:,} customers")
    click.echo(
        f"  worklist              {t['worklist_invoices']:,} overdue invoices to chase, "
        f"{t['disputed_invoices']:,} in dispute"
    )
    for note in report.notes:
        click.echo(f"  note: {note}")


COMMANDS = [portfolio]
