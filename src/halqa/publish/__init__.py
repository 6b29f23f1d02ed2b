"""halqa.publish (being built)."""
