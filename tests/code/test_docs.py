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
