"""`make bench-http`: requests per second through a real ``tokenward serve``, per credential."""
