#!/usr/bin/python3
"""Regenerates fixtures/kafka_python.txt: golden request/response bodies produced by kafka-python
2.0.2's protocol classes (Debian's python3-kafka), an encoder independent of kz's.

Run with Debian's interpreter: /usr/bin/python3 tests/kafka/protocol/make_kafka_python_fixtures.py
Every (api, version) that kz serves, that kafka-python defines and that is not flexible in kz's
table gets one request and one response, filled deterministically from kafka-python's own schema
(distinct values per field, two elements per array), so a misplaced or mis-sized field shows up.
The C++ test (kafka_python_fixtures_test.cc) decodes each body with kz's codecs, expects nothing
left over, re-encodes, and compares bytes. Output format, one per line:
  <api_key> <version> <request|response> <kafka-python class> <hex body>
"""

import glob
import importlib
import os
import pkgutil
import re
import sys

import kafka
import kafka.protocol as protocol
from kafka.protocol import types
from kafka.protocol.api import Request, Response

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


# kafka-python classes whose layout contradicts Apache Kafka's message schemas (checked against
# clients/src/main/resources/common/message/*.json); they are listed, not used as fixtures.
KAFKA_PYTHON_BUGS = {
    "OffsetRequest_v4": "current_leader_epoch is Int64; ListOffsetsRequest.json says int32",
    "OffsetRequest_v5": "current_leader_epoch is Int64; ListOffsetsRequest.json says int32",
    "GroupCoordinatorResponse_v1": "no throttle_time_ms; FindCoordinatorResponse.json has ThrottleTimeMs in v1+",
    "DescribeGroupsResponse_v3": "authorized_operations after the groups array; DescribeGroupsResponse.json "
                                 "has AuthorizedOperations inside each group",
}


def kz_api_table():
    table = {}
    for path in glob.glob(os.path.join(ROOT, "core/kafka/protocol/schema/*.kzs")):
        with open(path) as fh:
            for line in fh:
                m = re.match(r"api (\w+) key=(\d+) versions=(\d+)-(\d+) flexible=(\w+)", line)
                if m:
                    flexible = None if m.group(5) == "none" else int(m.group(5))
                    table[int(m.group(2))] = (m.group(1), int(m.group(3)), int(m.group(4)), flexible)
    return table


class Filler:
    def __init__(self):
        self.counter = 0

    def next(self):
        self.counter += 1
        return self.counter

    def value(self, t):
        if isinstance(t, types.Schema):
            return tuple(self.value(f) for f in t.fields)
        if isinstance(t, types.Array):
            inner = t.array_of
            return [self.value(inner) for _ in range(2)]
        kind = t if isinstance(t, type) else type(t)
        if issubclass(kind, types.Int8):
            return self.next() % 100
        if issubclass(kind, types.Int16):
            return 1000 + self.next()
        if issubclass(kind, types.Int32):
            return 100000 + self.next()
        if issubclass(kind, types.Int64):
            return 10_000_000_000 + self.next()
        if issubclass(kind, types.Boolean):
            return self.next() % 2 == 1
        if issubclass(kind, types.String):
            return "s%d" % self.next()
        if issubclass(kind, types.Bytes):
            return b"b%d" % self.next()
        raise TypeError("unhandled kafka-python type %r" % (t,))


def message_lists():
    """Yields (name, [classes by version]) for every request/response list kafka-python defines."""
    for info in pkgutil.iter_modules(protocol.__path__):
        module = importlib.import_module("kafka.protocol." + info.name)
        for name in sorted(dir(module)):
            value = getattr(module, name)
            if isinstance(value, list) and value and all(isinstance(c, type) for c in value):
                if all(issubclass(c, (Request, Response)) for c in value):
                    yield name, value


def main():
    assert kafka.__version__ == "2.0.2", kafka.__version__
    table = kz_api_table()
    lines = []
    skipped = []
    for name, classes in message_lists():
        for version, cls in enumerate(classes):
            key = cls.API_KEY
            if key not in table:
                continue
            api_name, vmin, vmax, flexible = table[key]
            if not vmin <= version <= vmax or (flexible is not None and version >= flexible):
                continue
            direction = "request" if issubclass(cls, Request) else "response"
            if cls.__name__ in KAFKA_PYTHON_BUGS:
                skipped.append("# skipped %s: %s" % (cls.__name__, KAFKA_PYTHON_BUGS[cls.__name__]))
                continue
            filler = Filler()
            values = [filler.value(f) for f in cls.SCHEMA.fields]
            message = cls(*values)  # kept alive: kafka-python binds encode() weakly
            try:
                body = message.encode()
            except TypeError as e:
                # A few kafka-python schemas cannot encode at all (e.g. a bare String class).
                skipped.append("# skipped %s: kafka-python cannot encode it (%s)" % (cls.__name__, e))
                continue
            lines.append("%d %d %s %s %s" % (key, version, direction, cls.__name__, body.hex()))
    lines.sort(key=lambda l: (int(l.split()[0]), int(l.split()[1]), l.split()[2]))
    out = os.path.join(HERE, "fixtures", "kafka_python.txt")
    with open(out, "w") as fh:
        fh.write("# Generated by make_kafka_python_fixtures.py with kafka-python 2.0.2; do not edit.\n")
        fh.write("\n".join(sorted(set(skipped)) + lines) + "\n")
    print("wrote %d fixtures to %s" % (len(lines), out), file=sys.stderr)


if __name__ == "__main__":
    main()
