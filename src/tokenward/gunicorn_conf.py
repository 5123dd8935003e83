"""gunicorn settings for ``tokenward serve``: logs to the terminal, never a credential."""

accesslog = "-"
errorlog = "-"
# Query-string credentials (?token=, ?access_token=) are redacted by the logger class.
logger_class = "tokenward.accesslog.RedactingLogger"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
timeout = 30
graceful_timeout = 10
# Trust X-Forwarded-* only from the local proxy.
forwarded_allow_ips = "127.0.0.1,::1"
# gunicorn 27 opens a control socket in ~/.gunicorn shared by every instance; not needed here.
control_socket_disable = True


def post_worker_init(worker: object) -> None:
    """Start the thread that writes coalesced last-use records."""
    from tokenward.tokens.flusher import start_background_flusher

    start_background_flusher()


def worker_exit(server: object, worker: object) -> None:
    """Write the last-use records still in memory before the worker goes."""
    from tokenward.tokens.flusher import flush_all

    flush_all()


def child_exit(server: object, worker: object) -> None:
    """Let prometheus_client forget a dead worker's live-only samples (multiprocess mode,
    set up by ``tokenward serve`` when metrics are on; see ``tokenward.metrics``). Runs in
    the master, which has not set Django up: only prometheus_client is imported."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
