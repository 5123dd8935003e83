"""`make bench`: what authenticating a request costs, tokenward against its Django peers."""
