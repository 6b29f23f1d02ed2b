"""halqa.mutual_aid (being built)."""
