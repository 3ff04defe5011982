"""Runs moto's server (DynamoDB and DynamoDB Streams) without werkzeug's per-request access log.

The access log line is formatted and written for every request; under the bench's load that was
about 5 % of the server's CPU, on the same two cores as the API servers and the monitors. Warnings
and errors are still logged. Arguments are moto_server's own (-H host -p port).
"""
import logging
import sys

from moto.server import main

logging.getLogger("werkzeug").setLevel(logging.WARNING)
main(sys.argv[1:])
