"""Units of time and conversions between them."""
