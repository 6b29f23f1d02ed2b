"""halqa.listening (being built)."""
