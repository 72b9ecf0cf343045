"""Loopback servers that speak each provider's wire protocol from a script."""
