"""kz's Kafka client (kz console-producer / console-consumer) against a third-party Kafka-protocol
server: librdkafka's built-in mock cluster (harness/mock_broker/mock_cluster.c, built here with cc),
with kcat and confluent-kafka (librdkafka 2.0.2) as independent readers and writers.

What the mock cannot check: it has no CreateTopics/DeleteTopics/CreatePartitions/DescribeConfigs/
ListGroups/DescribeGroups/DeleteGroups/DeleteRecords handlers (its ApiVersions lists none of them),
so kz's admin client is not exercised here (see docs/kafka-client.md)."""
import os
import pathlib
import shutil
import subprocess

import pytest

from conftest import KZ, ROOT

MOCK_SRC = ROOT / "harness" / "mock_broker" / "mock_cluster.c"
KCAT = shutil.which("kcat")


def _have_rdkafka():
    return subprocess.run(["pkg-config", "--exists", "rdkafka"]).returncode == 0


pytestmark = [
    pytest.mark.skipif(not _have_rdkafka(), reason="librdkafka-dev (pkg-config rdkafka) is not installed"),
    pytest.mark.skipif(KCAT is None, reason="kcat is not installed"),
]


class MockCluster:
    def __init__(self, binary, brokers, topics):
        args = [str(binary), "--brokers", str(brokers)]
        for name, parts in topics.items():
            args += ["--topic", f"{name}:{parts}"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("BOOTSTRAP "), f"mock_cluster said {line!r}: {self.proc.stderr.read()}"
        self.bootstrap = line.split()[1]

    def stop(self):
        self.proc.stdin.close()  # the program exits when stdin closes
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


CODECS = ["gzip", "snappy", "lz4", "zstd"]
TOPICS = {"roundtrip": 3, "group": 2, "fromkcat": 1, "tokcat": 1, "idem": 2, "acks0": 1, **{f"codec-{c}": 1 for c in CODECS}}


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    out = tmp_path_factory.mktemp("mock") / "mock_cluster"
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "rdkafka"], capture_output=True, text=True,
                           check=True).stdout.split()
    subprocess.run(["cc", "-O1", "-Wall", "-Werror", "-o", str(out), str(MOCK_SRC), *flags], check=True)
    cluster = MockCluster(out, 3, TOPICS)
    yield cluster
    cluster.stop()


def kz(*args, stdin=b"", timeout=60):
    """Runs build/kz with bytes on stdin; returns the CompletedProcess (stdout/stderr as bytes)."""
    return subprocess.run([str(KZ), *args], input=stdin, capture_output=True, timeout=timeout)


def produce(mock, topic, lines, *extra):
    p = kz("console-producer", "--bootstrap-server", mock.bootstrap, "--topic", topic, *extra,
           stdin=b"".join(l + b"\n" for l in lines))
    assert p.returncode == 0, p.stderr.decode()
    return p


def consume(mock, topic, *extra, timeout=60):
    p = kz("console-consumer", "--bootstrap-server", mock.bootstrap, "--topic", topic, *extra, timeout=timeout)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.splitlines()


def java_partition(key, partitions):
    """The Java client's partition for a key, by kafka-python's independent murmur2."""
    from kafka.partitioner.default import murmur2
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def test_console_round_trip_with_keys(mock):
    lines = [b"key-%d:value %d" % (i, i) for i in range(30)]
    produce(mock, "roundtrip", lines, "--property", "parse.key=true", "--property", "key.separator=:",
            "--producer-property", "acks=all")
    out = consume(mock, "roundtrip", "--from-beginning", "--max-messages", "30", "--property", "print.key=true",
                  "--property", "print.partition=true", "--property", "key.separator=:")
    # Each line is Partition:<p>:<key>:<value> (key.separator ':').
    got = {}
    for line in out:
        label, part, key, value = line.split(b":", 3)
        assert label == b"Partition"
        got[key] = (int(part), value)
    assert len(out) == 30
    for i in range(30):
        key = b"key-%d" % i
        assert key in got, out
        partition, value = got[key]
        assert value == b"value %d" % i
        assert partition == java_partition(key, 3), f"{key} on {partition}"
    # Per partition, records come back in the order they were sent.
    order = {}
    for line in out:
        key = line.split(b":")[2]
        order.setdefault(java_partition(key, 3), []).append(int(key.split(b"-")[1]))
    for seq in order.values():
        assert seq == sorted(seq)


def test_group_commits_and_second_run_resumes(mock):
    produce(mock, "group", [b"g%d" % i for i in range(8)])
    first = consume(mock, "group", "--group", "kzg", "--from-beginning", "--max-messages", "5")
    assert len(first) == 5
    # Each join waits out the mock coordinator's fixed 3 s initial rebalance delay.
    second = consume(mock, "group", "--group", "kzg", "--from-beginning", "--max-messages", "3")
    assert sorted(first + second) == sorted(b"g%d" % i for i in range(8))
    # An independent client reads the same committed offsets: 8 records in all were consumed.
    import confluent_kafka
    c = confluent_kafka.Consumer({"bootstrap.servers": mock.bootstrap, "group.id": "kzg"})
    try:
        tps = c.committed([confluent_kafka.TopicPartition("group", p) for p in range(2)], timeout=10)
    finally:
        c.close()
    assert sum(tp.offset for tp in tps) == 8, tps


def test_kcat_records_read_by_kz_byte_for_byte(mock):
    sent = [(b"k1", b"plain value", [(b"h", b"v")]),
            (b"k\xc3\xa9 2", b"caf\xc3\xa9 \xe2\x82\xac, commas; and spaces", [(b"h1", b"v1"), (b"h2", b"")]),
            (b"k3", b"no headers", [])]
    for key, value, headers in sent:
        args = [KCAT, "-P", "-b", mock.bootstrap, "-t", "fromkcat", "-k", key]
        for hk, hv in headers:
            args += ["-H", hk + b"=" + hv]
        subprocess.run(args, input=value + b"\n", check=True, timeout=30)
    out = consume(mock, "fromkcat", "--from-beginning", "--max-messages", "3", "--property", "print.key=true",
                  "--property", "print.headers=true", "--property", "key.separator=|")
    want = []
    for key, value, headers in sent:
        h = b",".join(hk + b":" + hv for hk, hv in headers) if headers else b"NO_HEADERS"
        want.append(h + b"|" + key + b"|" + value)
    assert out == want


def test_kz_records_read_by_kcat_byte_for_byte(mock):
    lines = [b"a:1,b:2\tkey one\tvalue \xc3\xa9 one", b"x:\tk2\tv2 with: colons", b"h:v\tk3\t"]
    produce(mock, "tokcat", lines, "--property", "parse.key=true", "--property", "parse.headers=true")
    p = subprocess.run([KCAT, "-C", "-b", mock.bootstrap, "-t", "tokcat", "-e", "-f", "%k|%s|%h\n"],
                       capture_output=True, timeout=30, check=True)
    assert p.stdout.splitlines() == [b"key one|value \xc3\xa9 one|a=1,b=2", b"k2|v2 with: colons|x=",
                                     b"k3||h=v"]


@pytest.mark.parametrize("codec", CODECS)
def test_compressed_batches_read_by_kcat_and_kz(mock, codec):
    topic = f"codec-{codec}"
    lines = [b"%s-%d" % (codec.encode(), i) for i in range(20)]
    produce(mock, topic, lines, "--compression-codec", codec, "--producer-property", "acks=1",
            "--producer-property", "linger.ms=50")
    p = subprocess.run([KCAT, "-C", "-b", mock.bootstrap, "-t", topic, "-e", "-f", "%s\n"],
                       capture_output=True, timeout=30, check=True)
    assert p.stdout.splitlines() == lines
    assert consume(mock, topic, "--from-beginning", "--max-messages", "20") == lines


def test_acks_zero_records_arrive(mock):
    lines = [b"fire-and-forget %d" % i for i in range(5)]
    produce(mock, "acks0", lines, "--producer-property", "acks=0")
    assert consume(mock, "acks0", "--from-beginning", "--max-messages", "5") == lines


def test_idempotent_producer(mock):
    p = produce(mock, "idem", [b"i%d" % i for i in range(10)], "--producer-property", "enable.idempotence=true",
                "--log-level", "info")
    assert b"idempotent producer id" in p.stderr
    out = consume(mock, "idem", "--from-beginning", "--max-messages", "10")
    assert sorted(out) == sorted(b"i%d" % i for i in range(10))


def test_bad_arguments_are_clear_errors(mock):
    p = kz("console-producer", "--bootstrap-server", "nohostport", "--topic", "t")
    assert p.returncode == 2 and b"bootstrap" in p.stderr
    p = kz("console-consumer", "--bootstrap-server", mock.bootstrap, "--topic", "t", "--property", "print.nope=1")
    assert p.returncode == 2 and b"print.nope" in p.stderr
    p = kz("console-producer", "--bootstrap-server", mock.bootstrap, "--topic", "t", "--producer-property", "acks=2")
    assert p.returncode == 2 and b"acks" in p.stderr
    # Nobody listening: a clear error, exit 1, no hang.
    p = kz("console-consumer", "--bootstrap-server", "127.0.0.1:1", "--topic", "t", timeout=60)
    assert p.returncode == 1 and b"refused" in p.stderr.lower()
