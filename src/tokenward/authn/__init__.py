"""Authentication: one class per transport, tried in a fixed order by one pipeline."""
