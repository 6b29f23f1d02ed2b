"""halqa.circles (being built)."""
