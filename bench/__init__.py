"""`make bench`: what authenticating a request costs, tokenward against DRF and knox."""
