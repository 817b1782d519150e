#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/ (committed).

Request seeds are the kafka-python request bodies of tests/kafka/protocol/fixtures/kafka_python.txt
behind a v1 request header; record batch and log seeds are v2 batches built here (CRC32C included).
Run from anywhere: python3 tests/fuzz/make_seeds.py
"""
import gzip
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def crc32c(data):
    table = crc32c.table
    if table is None:
        table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        crc32c.table = table
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = None


def varint(v):
    v = (v << 1) ^ (v >> 63)  # zig-zag
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def record(offset_delta, key, value, ts_delta=0):
    body = b"\x00" + varint(ts_delta) + varint(offset_delta)
    body += varint(-1) if key is None else varint(len(key)) + key
    body += varint(-1) if value is None else varint(len(value)) + value
    body += varint(0)
    return varint(len(body)) + body


def batch(base_offset, records, codec=0, control=False, epoch=0, ts=1700000000000):
    section = b"".join(record(i, k, v) for i, (k, v) in enumerate(records))
    if codec == 1:
        section = gzip.compress(section, mtime=0)
    attributes = codec | (0x30 if control else 0)
    after_crc = struct.pack(">hiqqqhii", attributes, len(records) - 1, ts, ts, -1 if not control else 7, 0,
                            -1, len(records)) + section
    crc = crc32c(after_crc)
    rest = struct.pack(">ibI", epoch, 2, crc) + after_crc
    return struct.pack(">qi", base_offset, len(rest)) + rest


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def request_seeds():
    path = os.path.join(ROOT, "tests/kafka/protocol/fixtures/kafka_python.txt")
    n = 0
    for line in open(path):
        parts = line.split()
        if len(parts) != 5 or parts[2] != "request" or line.startswith("#"):
            continue
        name, body = parts[3], bytes.fromhex(parts[4])
        api_version = int(name.rsplit("_v", 1)[1])
        api_key = API_KEYS.get(name.rsplit("_v", 1)[0])
        if api_key is None:
            continue
        header = struct.pack(">hhih", api_key, api_version, 7, 2) + b"fz"
        write("kafka_request_fuzz", name, header + body)
        n += 1
    # ApiVersions v3 (flexible header v2: tagged fields after client id; compact strings in the body).
    write("kafka_request_fuzz", "ApiVersionsRequest_v3",
          struct.pack(">hhih", 18, 3, 9, 2) + b"fz" + b"\x00" + b"\x03kz\x020\x00")
    return n


API_KEYS = {"ProduceRequest": 0, "FetchRequest": 1, "OffsetRequest": 2, "MetadataRequest": 3,
            "OffsetCommitRequest": 8, "OffsetFetchRequest": 9, "GroupCoordinatorRequest": 10,
            "FindCoordinatorRequest": 10, "JoinGroupRequest": 11, "HeartbeatRequest": 12,
            "LeaveGroupRequest": 13, "SyncGroupRequest": 14, "DescribeGroupsRequest": 15,
            "ListGroupsRequest": 16, "SaslHandShakeRequest": 17, "ApiVersionRequest": 18,
            "CreateTopicsRequest": 19, "DeleteTopicsRequest": 20, "DeleteRecordsRequest": 21,
            "InitProducerIdRequest": 22, "AddPartitionsToTxnRequest": 24, "AddOffsetsToTxnRequest": 25,
            "EndTxnRequest": 26, "TxnOffsetCommitRequest": 28, "DescribeAclsRequest": 29,
            "CreateAclsRequest": 30, "DeleteAclsRequest": 31, "DescribeConfigsRequest": 32,
            "AlterConfigsRequest": 33, "SaslAuthenticateRequest": 36, "CreatePartitionsRequest": 37,
            "DeleteGroupsRequest": 42}


def batch_seeds():
    kv = [(b"k%d" % i, b"value-%d" % i) for i in range(5)]
    write("record_batch_fuzz", "plain", batch(0, kv))
    write("record_batch_fuzz", "gzip", batch(10, kv, codec=1))
    write("record_batch_fuzz", "tombstone_nullkey", batch(3, [(None, b"v"), (b"k", None)]))
    write("record_batch_fuzz", "control", batch(20, [(b"\x00\x00\x00\x01", b"\x00\x00\x00\x00\x00\x05")],
                                                control=True))
    write("record_batch_fuzz", "three", batch(0, kv[:2]) + batch(2, kv[2:], codec=1) + batch(5, kv[:1])[:30])


def log_seeds():
    def seg(base, data, index=b"", timeindex=b""):
        return struct.pack(">HH", base, len(data)) + data + struct.pack(">B", len(index)) + index + \
            struct.pack(">B", len(timeindex)) + timeindex
    kv = [(b"k%d" % i, b"v%d" % i) for i in range(3)]
    one = batch(0, kv, epoch=1) + batch(3, kv, epoch=1) + batch(6, kv[:1], epoch=2)
    write("log_recovery_fuzz", "one_segment", struct.pack(">BBB", 0, 0, 0) + seg(0, one))
    idx = struct.pack(">II", 3, len(batch(0, kv)))
    two = struct.pack(">BBB", 1, 11, 5) + seg(0, batch(0, kv) + batch(3, kv), idx) + \
        seg(6, batch(6, kv, epoch=2)) + b"0\n2\n1 0\n2 6\n"
    write("log_recovery_fuzz", "two_segments_checkpoints", two)
    torn = batch(0, kv) + batch(3, kv)[:40]
    write("log_recovery_fuzz", "torn_tail", struct.pack(">BBB", 0, 12, 0) + seg(0, torn))


if __name__ == "__main__":
    print("request seeds:", request_seeds())
    batch_seeds()
    log_seeds()
