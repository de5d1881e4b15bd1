"""Monitoring a registered model on a ledger: stability against its training reference, back-tests of
matured outcomes, grade migration and concentration (`tradecredit monitor`)."""
