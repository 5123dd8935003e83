"""gunicorn settings for ``tokenward serve``: logs to the terminal, never a credential."""

accesslog = "-"
errorlog = "-"
# The path without its query string: query strings may carry ?token= and ?access_token=.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
timeout = 30
graceful_timeout = 10
# Trust X-Forwarded-* only from the local proxy.
forwarded_allow_ips = "127.0.0.1,::1"
# gunicorn 27 opens a control socket in ~/.gunicorn shared by every instance; not needed here.
control_socket_disable = True
