"""Sub-commands of the `tradecredit` CLI, one module per stage."""
