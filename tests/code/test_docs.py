"""Pages generated from code stay in step with it (`make docs` regenerates them)."""

from __future__ import annotations

from helpers import REPO

from features.contract import render_markdown
from features.docs import with_catalogue


def test_ledger_contract_page_is_generated_from_the_contract():
    page = (REPO / "docs" / "ledger-contract.md").read_text()
    assert page == render_markdown(), "docs/ledger-contract.md is stale: run `make docs`"


def test_feature_catalogue_page_matches_the_definitions():
    page = (REPO / "docs" / "features.md").read_text()
    assert page == with_catalogue(page), "the catalogue in docs/features.md is stale: run `make docs`"


def test_portfolio_settings_on_the_page_are_the_defaults():
    import re
    import tomllib

    from serving.portfolio.settings import PortfolioSettings

    page = (REPO / "docs" / "portfolio.md").read_text()
    block = re.search(r"```toml\n(.*?)```", page, re.S)
    assert block, "docs/portfolio.md shows the settings as a TOML block"
    assert PortfolioSettings.model_validate(tomllib.loads(block.group(1))) == PortfolioSettings()
