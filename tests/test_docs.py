"""Pages generated from code stay in step with it."""

from __future__ import annotations

from conftest import REPO

from features.contract import render_markdown


def test_ledger_contract_page_is_generated_from_the_contract():
    page = (REPO / "docs" / "ledger-contract.md").read_text()
    assert page == render_markdown(), "docs/ledger-contract.md is stale: run `make docs`"
