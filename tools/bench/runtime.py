"""A minimal Lambda custom-runtime loop for the Python peers of the benchmarks.

Usage: python runtime.py <handler module>. It imports the module (its boto3 clients are built at
import time, which is Lambda's init phase), then polls the Runtime API at AWS_LAMBDA_RUNTIME_API
exactly as the Rust binaries do: GET .../invocation/next, then POST .../response or .../error.
So the peers are measured by the same harness, from exec to the first `next`.
"""

import http.client
import importlib
import json
import os
import sys
import traceback

BASE = "/2018-06-01/runtime"


def main() -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler = importlib.import_module(sys.argv[1]).handler
    except Exception as exc:  # the init error is reported, as the managed runtime does
        post(connection, f"{BASE}/init/error", error_body(exc))
        raise
    while True:
        connection.request("GET", f"{BASE}/invocation/next")
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            return
        request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
        try:
            result = json.dumps(handler(json.loads(body), None)).encode()
            post(connection, f"{BASE}/invocation/{request_id}/response", result)
        except Exception as exc:
            post(connection, f"{BASE}/invocation/{request_id}/error", error_body(exc))


def post(connection: http.client.HTTPConnection, path: str, body: bytes) -> None:
    connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    connection.getresponse().read()


def error_body(exc: Exception) -> bytes:
    return json.dumps(
        {
            "errorType": type(exc).__name__,
            "errorMessage": str(exc),
            "stackTrace": traceback.format_exception(exc),
        }
    ).encode()


if __name__ == "__main__":
    main()
