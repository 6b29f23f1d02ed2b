"""halqa.ledger (being built)."""
