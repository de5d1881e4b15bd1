"""The modellers' notebooks run end to end, in order, on a small sample portfolio; any cell error fails."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ORDER = ["01_explore_ledger", "02_train_and_compare", "03_explain_scores", "05_monitor_and_backtest"]


def test_the_notebooks_are_stored_without_outputs():
    found = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert found == ORDER
    for name in ORDER:
        book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        code = [c for c in book.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), name


def test_the_notebooks_run_in_order_on_a_small_portfolio(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADECREDIT_NOTEBOOK_WORK", str(tmp_path / "work"))
    monkeypatch.setenv("TRADECREDIT_NOTEBOOK_CUSTOMERS", "1500")
    monkeypatch.setenv("TRADECREDIT_NOTEBOOK_SAP", "0")  # the SAP import takes minutes: `make notebooks` runs it
    for name in ORDER:
        book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        client = NotebookClient(
            book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
        )
        try:
            client.execute()
        except Exception as exc:  # nbclient's CellExecutionError carries the cell and its traceback
            pytest.fail(f"{name}: {str(exc)[-2000:]}")
    assert (tmp_path / "work" / "monitoring" / "report.html").exists()
    assert not list(NOTEBOOKS.glob("notebook-work"))  # nothing written beside the notebooks
