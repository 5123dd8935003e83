"""Stored tokens: their rows, the services that alone touch them, and the management API."""
