"""halqa.bridge (being built)."""
