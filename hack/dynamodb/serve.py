"""Runs moto's server (DynamoDB and DynamoDB Streams) the way the project's tests and demo need it.

Three changes to moto_server, whose arguments (-H host -p port) this takes unchanged:

1. One request at a time. moto's server answers each connection on its own thread, but its
   DynamoDB backend takes no lock: a conditional write checks its condition and then writes, so two
   writers at the same generation could both pass the check and both win, and a transaction that
   fails puts back a copy of the whole table taken when it began, undoing every write other threads
   made meanwhile (a purged endpoint came back that way). DynamoDB makes each write and each
   transaction atomic; a lock around the backend gives the same here. It costs nothing measurable:
   the backend is pure Python under one interpreter lock, so requests never ran in parallel anyway.
   The request body is read before the lock is taken, so a slow or stalled client (the fault
   tests' proxies) holds up only itself.
2. No access log. werkzeug formats and writes a line per request; under the bench's load that was
   about 5 % of the server's CPU, on the same two cores as the API servers and the monitors.
   Warnings and errors are still logged.
3. The list of moto's service modules is read once. moto finds the backend for every request by
   listing its own package directory and testing each of its ~180 entries for being a directory
   (a listdir and 180 stat calls per request); the directory does not change while the server
   runs. Measured in-process on 2026-12-02 (400 conditional PutItems, three repetitions each):
   1.86-1.97 ms a PutItem before, 1.51-1.60 ms after.
4. DynamoDB Streams' GetRecords answers with json.dumps. Its records are kept in the wire format
   already (attribute values as {"S": ...}); moto walks each one through botocore's shape model to
   serialize it all the same, which made a record cost about 0.9 ms of server CPU (measured over
   HTTP on 2026-12-02: 400 status records read 40 at a time, 350 ms). Every monitor reads every
   record of the endpoints stream, so this was a tenth of the server's CPU while a fleet converged.
   The one value not already in wire form, ApproximateCreationDateTime, is written as moto's
   serializer writes it: seconds since the epoch, to the millisecond.
"""
import calendar
import datetime
import io
import json
import logging
import sys
import threading

import moto.backends
import moto.server
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

logging.getLogger("werkzeug").setLevel(logging.WARNING)

_moto_modules = tuple(moto.backends.list_of_moto_modules())
moto.backends.list_of_moto_modules = lambda: _moto_modules



def _epoch_seconds(value):
    if isinstance(value, datetime.datetime):
        # moto keeps naive datetimes in UTC; timegm reads them as UTC, as moto's serializer does
        return calendar.timegm(value.utctimetuple()) + (value.microsecond // 1000) / 1000.0
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def get_records_as_json(self):
    limit = self._get_param("Limit")
    result = self.backend.get_records(self._get_param("ShardIterator"), 1000 if limit is None else limit)
    return 200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(result, default=_epoch_seconds)


DynamoDBStreamsHandler.get_records = get_records_as_json

_backend_lock = threading.Lock()


def one_at_a_time(app):
    def serialised(environ, start_response):
        stream = environ["wsgi.input"]
        if environ.get("wsgi.input_terminated"):
            body = stream.read()  # chunked: the server ends the stream at the last chunk
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = stream.read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        with _backend_lock:
            response = app(environ, start_response)
            try:
                # The body is produced here, under the lock: a lazy response would otherwise run
                # backend code after the lock is released.
                return [b"".join(response)]
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()

    return serialised


_run_simple = moto.server.run_simple


def run_simple_one_at_a_time(host, port, app, **options):
    _run_simple(host, port, one_at_a_time(app), **options)


moto.server.run_simple = run_simple_one_at_a_time
moto.server.main(sys.argv[1:])
