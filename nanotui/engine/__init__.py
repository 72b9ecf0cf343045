"""The domain: no Textual import anywhere below this package (tests enforce it)."""
