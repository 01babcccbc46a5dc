"""Logs are JSON lines carrying the request id."""

import json
import logging

from services.common.log import JsonFormatter, request_id_var


def test_a_log_line_is_json_with_the_request_id_and_extra_fields() -> None:
    record = logging.LogRecord("services.demo", logging.WARNING, __file__, 1,
                               "relay failed %s", ("again",), None)
    record.queue = "portail.notifier.x"
    token = request_id_var.set("req-42")
    try:
        line = JsonFormatter("demo").format(record)
    finally:
        request_id_var.reset(token)
    entry = json.loads(line)
    assert entry["level"] == "warning"
    assert entry["service"] == "demo"
    assert entry["msg"] == "relay failed again"
    assert entry["request_id"] == "req-42"
    assert entry["queue"] == "portail.notifier.x"
