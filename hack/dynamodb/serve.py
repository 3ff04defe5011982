"""Runs moto's DynamoDB and DynamoDB Streams the way the project's tests, demo and bench need them.

Takes moto_server's -H HOST -p PORT. moto's own server is werkzeug's development server; this
serves the same WSGI application (moto's DomainDispatcherApplication) with these changes:

1. One request at a time. moto's backend takes no lock: a conditional write checks its condition
   and then writes, so two writers at the same generation could both pass the check and both win,
   and a transaction that fails puts back a copy of the whole table taken when it began, undoing
   every write other threads made meanwhile (a purged endpoint came back that way). DynamoDB makes
   each write and each transaction atomic; a lock around the backend gives the same here. It costs
   nothing measurable: the backend is pure Python under one interpreter lock, so requests never ran
   in parallel anyway. The request body is read before the lock is taken, so a slow or stalled
   client (the fault tests' proxies) holds up only itself.
2. cheroot instead of werkzeug's development server, for keep-alive connections. werkzeug's server
   answers every request with `Connection: close`, so every request cost a TCP connection and a new
   thread, on both sides. Measured on 2026-12-02 (1 600 conditional PutItems from the AWS SDK, 8 at
   a time): 1.73 ms of server CPU a request before, 1.38 ms with cheroot; the client's CPU went from
   1.42 to 1.15 ms a request. cheroot keeps idle connections out of its worker threads, so a
   client's pool of idle connections holds no thread.
3. No per-request work moto does for nothing here (together 1.38 -> 1.19 ms a PutItem):
   - moto lists its own package directory (a listdir and ~180 stat calls) to find the backend,
     and lists the handler class's methods with inspect.getmembers, on every request; neither
     changes while the server runs, so both are computed once;
   - its Flask apps run in debug mode and add CORS headers for browsers; neither is wanted here.
   No access log is written (werkzeug's was about 5 % of the server's CPU under the bench).
4. DynamoDB Streams' GetRecords answers with json.dumps. Its records are kept in the wire format
   already (attribute values as {"S": ...}); moto walks each one through botocore's shape model to
   serialize it all the same, which made a record cost about 0.9 ms of server CPU (measured over
   HTTP on 2026-12-02: 400 status records read 40 at a time, 350 ms; with json.dumps, 20 ms). Every
   monitor reads every record of the endpoints stream. The one value not already in wire form,
   ApproximateCreationDateTime, is written as moto's serializer writes it: seconds since the
   epoch, to the millisecond.
5. A cancelled TransactWriteItems is undone item by item. moto backs up every table the
   transaction names with a deep copy (items, and every stream record the table ever had) and, on
   cancellation, swaps the copies in. That cost grew with the table: 660 ms of server CPU a
   transaction at 1 000 endpoints with revisions (measured in-process on 2026-12-02). And the swap
   broke the streams: a shard iterator opened before it kept reading the old shard, which held a
   record of the cancelled write (DynamoDB emits none) and never saw a later one, so every
   follower of the table went deaf after one lost condition. Here the transaction runs on the live
   tables; on cancellation the items it names are put back as they were and their streams
   truncated to where they stood.
6. Shard iterators expire 15 minutes after they are issued, as DynamoDB's do, and are then
   forgotten; a GetRecords with one is refused with ExpiredIteratorException. moto kept every
   iterator it ever issued, about 2 KB each, and a follower is issued one with every GetRecords:
   the demo's server grew by about 60 MB an hour. INFERCTL_DYNAMODB_ITERATOR_SECONDS shortens
   the lifetime for a test.
7. It counts the requests it serves, by the access key that signed them and the operation, and
   answers GET /_inferctl/requests with the counts (and the PutItems of a region heartbeat, by
   key). The bench reads the monitors' requests there; it used to count them in a loopback proxy
   of its own, a hop production does not have that cost the bench 0.35-0.56 ms of CPU a request
   (measured on 2026-12-02, 1 000 PutItems through it against none).
"""
import argparse
import calendar
import collections
import copy
import datetime
import functools
import io
import json
import os
import threading
import time

# Read by moto.settings when it is first imported.
os.environ.setdefault("MOTO_DISABLE_GLOBAL_CORS", "true")

import moto.backends  # noqa: E402
import moto.core.responses  # noqa: E402
import moto.dynamodb.models as dynamodb_models  # noqa: E402
from cheroot import wsgi  # noqa: E402
from moto.core.exceptions import JsonRESTError  # noqa: E402
from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: E402
from moto.dynamodb.models.table import Table  # noqa: E402
from moto.dynamodbstreams.models import DynamoDBStreamsBackend  # noqa: E402
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402

_moto_modules = tuple(moto.backends.list_of_moto_modules())
moto.backends.list_of_moto_modules = lambda: _moto_modules
moto.core.responses.method_names_from_class = functools.lru_cache(maxsize=None)(
    moto.core.responses.method_names_from_class
)


def _epoch_seconds(value):
    if isinstance(value, datetime.datetime):
        # moto keeps naive datetimes in UTC; timegm reads them as UTC, as moto's serializer does
        return calendar.timegm(value.utctimetuple()) + (value.microsecond // 1000) / 1000.0
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.0"}

# DynamoDB Streams: a shard iterator expires 15 minutes after it is issued. Tests shorten it.
ITERATOR_LIFETIME_S = float(os.environ.get("INFERCTL_DYNAMODB_ITERATOR_SECONDS", "900"))
# Every iterator issued, oldest first: when, and by which backend (moto keeps every one forever,
# about 2 KB each, and a follower is issued a new one with every GetRecords).
_issued = collections.OrderedDict()


def _issue(backend, arn):
    now = time.monotonic()
    _issued[arn] = (now, backend)
    _issued.move_to_end(arn)
    while _issued:
        oldest, (issued_at, issuer) = next(iter(_issued.items()))
        if now - issued_at < ITERATOR_LIFETIME_S:
            break
        del _issued[oldest]
        issuer.shard_iterators.pop(oldest, None)


def get_records_as_json(self):
    arn = self._get_param("ShardIterator")
    if arn not in self.backend.shard_iterators:
        # What DynamoDB answers for an iterator past its lifetime (moto: an internal error).
        raise JsonRESTError("ExpiredIteratorException", "Iterator expired or unknown")
    limit = self._get_param("Limit")
    result = self.backend.get_records(arn, 1000 if limit is None else limit)
    _issue(self.backend, result["NextShardIterator"])
    return 200, JSON_HEADERS, json.dumps(result, default=_epoch_seconds)


DynamoDBStreamsHandler.get_records = get_records_as_json
_get_shard_iterator = DynamoDBStreamsBackend.get_shard_iterator


def get_shard_iterator_expiring(self, *args, **kwargs):
    iterator = _get_shard_iterator(self, *args, **kwargs)
    _issue(self, iterator.arn)
    return iterator


DynamoDBStreamsBackend.get_shard_iterator = get_shard_iterator_expiring


class _CopyAllButTables:
    """The `copy` module as transact_write_items sees it: its backup of a table is the table."""

    @staticmethod
    def deepcopy(value, memo=None):
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _touched(backend, transact_items):
    """What a transaction may change: each item it names, as it is now, and each stream's length."""
    items = []
    shards = {}
    for entry in transact_items:
        for op in entry.values() if isinstance(entry, dict) else ():
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            key = op.get("Item", op.get("Key")) if table is not None else None
            if not isinstance(key, dict):
                continue
            try:
                hash_key = DynamoType(key[table.hash_key_attr])
                range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            except (KeyError, TypeError):
                continue  # a malformed key is refused before anything is written
            stored = table.items.get(hash_key)
            if range_key is not None:
                stored = stored.get(range_key) if isinstance(stored, dict) else None
            # Update changes an item in place: keep a copy, not the object.
            items.append((table, hash_key, range_key, copy.deepcopy(stored)))
            if table.stream_shard is not None:
                shards.setdefault(id(table.stream_shard), (table.stream_shard, len(table.stream_shard.items)))
    return items, shards.values()


def _put_back(items, shards):
    # Backwards: a key named twice was saved first as it stood before the transaction.
    for table, hash_key, range_key, stored in reversed(items):
        if range_key is None:
            if stored is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = stored
        elif stored is None:
            table.items.get(hash_key, {}).pop(range_key, None)
        else:
            table.items[hash_key][range_key] = stored
    for shard, length in shards:
        del shard.items[length:]


_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def transact_write_items_in_place(self, transact_items):
    # Requests run one at a time (one_at_a_time), so nothing else sees the swapped module.
    items, shards = _touched(self, transact_items)
    dynamodb_models.copy = _CopyAllButTables
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        _put_back(items, shards)
        raise
    finally:
        dynamodb_models.copy = copy


dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items_in_place


def backend_app(service):
    app = create_backend_app(service)
    app.debug = False
    return app


_backend_lock = threading.Lock()

COUNTS_PATH = "/_inferctl/requests"
_counts_lock = threading.Lock()
# access key -> operation -> requests served; access key -> heartbeat PutItems.
_requests = collections.defaultdict(collections.Counter)
_heartbeats = collections.Counter()


def _signing_key(environ):
    """The access key of a SigV4 Authorization header ("... Credential=KEY/date/region/...")."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    at = auth.find("Credential=")
    if at < 0:
        return "(unsigned)"
    return auth[at + len("Credential="):].split("/", 1)[0]


def _count(environ, body):
    target = environ.get("HTTP_X_AMZ_TARGET")
    if not target:
        return
    operation = target.rsplit(".", 1)[-1]
    key = _signing_key(environ)
    with _counts_lock:
        _requests[key][operation] += 1
        # A region heartbeat (its endpoint_name is HEARTBEAT_KEY, src/store/status-codec.ts): a
        # write the bench tells apart from the monitors' other writes.
        if operation == "PutItem" and b'"_region"' in body:
            _heartbeats[key] += 1


def _answer_counts(start_response):
    with _counts_lock:
        counts = {"requests": {k: dict(v) for k, v in _requests.items()}, "heartbeats": dict(_heartbeats)}
    body = json.dumps(counts).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def one_at_a_time(app):
    def serialised(environ, start_response):
        if environ.get("PATH_INFO") == COUNTS_PATH and environ.get("REQUEST_METHOD") == "GET":
            return _answer_counts(start_response)
        # cheroot bounds the stream by Content-Length, or ends it at the last chunk.
        body = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(body)
        _count(environ, body)
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    # moto builds some URLs (queue URLs and the like) from it, as moto_server does.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = one_at_a_time(DomainDispatcherApplication(backend_app))
    # Threads serve requests, not connections: idle keep-alive connections wait in cheroot's
    # selector. 32 leaves room for the fault tests' stalled clients, each holding one. The listen
    # backlog is werkzeug's (cheroot's default is 5): while the server is frozen (SIGSTOP, the
    # fault tests) the kernel still completes new connections into it, so a client's request
    # times out waiting for its answer, as against a server that hangs, rather than its connect.
    server = wsgi.Server(
        (args.host, args.port), app, numthreads=32, request_queue_size=128, server_name="inferctl-dynamodb"
    )
    try:
        server.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
