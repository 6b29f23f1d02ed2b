"""halqa.web: the local web app (being built)."""
