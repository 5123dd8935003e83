"""Cases for no-logging-full-request-path: a marked line must be reported, an ok line not."""

import logging

from tokenward.redaction import redact_uri

log = logging.getLogger(__name__)


def view(self, request, audit_log, catalog):
    # ruleid: no-logging-full-request-path
    log.info("GET %s", request.get_full_path())
    # ruleid: no-logging-full-request-path
    logging.warning(f"refused {request.build_absolute_uri()}")
    # ruleid: no-logging-full-request-path
    log.error("query: %s", request.META["QUERY_STRING"])
    # ruleid: no-logging-full-request-path
    log.error("query: {}".format(request.META.get("QUERY_STRING", "")))
    # ruleid: no-logging-full-request-path
    logging.getLogger("tokenward").debug("%s?%s", request.path_info, request.GET.urlencode())
    url = request.get_full_path()
    # ruleid: no-logging-full-request-path
    log.exception("failed on " + url)
    # ruleid: no-logging-full-request-path
    log.info("wsgi %s", request.environ["RAW_URI"])
    # ruleid: no-logging-full-request-path
    self.logger.warning("path %s", request.get_full_path_info())
    # ruleid: no-logging-full-request-path
    audit_log.info("%s", request.build_absolute_uri())
    # ok: no-logging-full-request-path
    log.info("GET %s", request.path)
    # ok: no-logging-full-request-path
    catalog.info(request.get_full_path())
    # ok: no-logging-full-request-path
    log.info("GET %s", redact_uri(request.get_full_path()))
    # ok: no-logging-full-request-path
    return {"next": request.get_full_path()}
