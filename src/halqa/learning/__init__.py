"""halqa.learning (being built)."""
