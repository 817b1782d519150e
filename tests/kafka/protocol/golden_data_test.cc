// Golden bytes for the data-path APIs (Produce, Fetch, ListOffsets, Metadata, ApiVersions,
// OffsetCommit, OffsetFetch, FindCoordinator) at their lowest, a middle and their highest version.
// Expected bytes are built field by field from the Kafka protocol spec with the independent B
// builder (golden.h), never by kz's encoder.
#include <gtest/gtest.h>

#include "tests/kafka/protocol/golden.h"

namespace kz::kafka {
namespace {

using testing::B;
using testing::check_versions;
using testing::to_bytes;

TEST(KafkaProtoGolden, Produce) {
  check_versions<ProduceRequest>({0, 3, 7}, "request", [](int16_t v, ProduceRequest& m, B& b) {
    if (v >= 3) {
      m.transactional_id = "txn-1";
      b.str("txn-1");
    }
    m.acks = -1;
    m.timeout_ms = 1500;
    b.i16(-1).i32(1500);
    auto& topic = m.topics.emplace_back();
    topic.name = "orders";
    b.arr(1).str("orders").arr(2);
    auto& p0 = topic.partitions.emplace_back();
    p0.partition_index = 0;
    p0.records = to_bytes("batch-bytes");
    b.i32(0).bytes("batch-bytes");
    auto& p1 = topic.partitions.emplace_back();
    p1.partition_index = 7;
    p1.records = std::nullopt;
    b.i32(7).null_bytes();
  });
  check_versions<ProduceResponse>({0, 3, 7}, "response", [](int16_t v, ProduceResponse& m, B& b) {
    auto& topic = m.responses.emplace_back();
    topic.name = "orders";
    b.arr(1).str("orders").arr(1);
    auto& p = topic.partitions.emplace_back();
    p.partition_index = 2;
    p.error_code = errc::kNotLeaderOrFollower;
    p.base_offset = 0x0102030405060708;
    b.i32(2).i16(6).i64(0x0102030405060708);
    if (v >= 2) {
      p.log_append_time_ms = 1700000000000;
      b.i64(1700000000000);
    }
    if (v >= 5) {
      p.log_start_offset = 42;
      b.i64(42);
    }
    if (v >= 1) {
      m.throttle_time_ms = 5;
      b.i32(5);
    }
  });
}

TEST(KafkaProtoGolden, Fetch) {
  check_versions<FetchRequest>({0, 5, 11}, "request", [](int16_t v, FetchRequest& m, B& b) {
    m.replica_id = -1;
    m.max_wait_ms = 500;
    m.min_bytes = 1;
    b.i32(-1).i32(500).i32(1);
    if (v >= 3) {
      m.max_bytes = 52428800;
      b.i32(52428800);
    }
    if (v >= 4) {
      m.isolation_level = 1;
      b.i8(1);
    }
    if (v >= 7) {
      m.session_id = 99;
      m.session_epoch = 3;
      b.i32(99).i32(3);
    }
    auto& topic = m.topics.emplace_back();
    topic.topic = "t";
    b.arr(1).str("t").arr(1);
    auto& p = topic.partitions.emplace_back();
    p.partition = 4;
    b.i32(4);
    if (v >= 9) {
      p.current_leader_epoch = 12;
      b.i32(12);
    }
    p.fetch_offset = 1000;
    b.i64(1000);
    if (v >= 5) {
      p.log_start_offset = 10;
      b.i64(10);
    }
    p.partition_max_bytes = 1048576;
    b.i32(1048576);
    if (v >= 7) {
      auto& forgotten = m.forgotten_topics_data.emplace_back();
      forgotten.topic = "old";
      forgotten.partitions = {1, 2};
      b.arr(1).str("old").arr(2).i32(1).i32(2);
    }
    if (v >= 11) {
      m.rack_id = "rack-a";
      b.str("rack-a");
    }
  });
  check_versions<FetchResponse>({0, 5, 11}, "response", [](int16_t v, FetchResponse& m, B& b) {
    if (v >= 1) {
      m.throttle_time_ms = 1;
      b.i32(1);
    }
    if (v >= 7) {
      m.error_code = 0;
      m.session_id = 77;
      b.i16(0).i32(77);
    }
    auto& topic = m.responses.emplace_back();
    topic.topic = "t";
    b.arr(1).str("t").arr(1);
    auto& p = topic.partitions.emplace_back();
    p.partition_index = 4;
    p.error_code = 0;
    p.high_watermark = 2000;
    b.i32(4).i16(0).i64(2000);
    if (v >= 4) {
      p.last_stable_offset = 1999;
      b.i64(1999);
    }
    if (v >= 5) {
      p.log_start_offset = 3;
      b.i64(3);
    }
    if (v >= 4) {
      p.aborted_transactions.emplace();
      p.aborted_transactions->push_back({.producer_id = 5000, .first_offset = 1500});
      b.arr(1).i64(5000).i64(1500);
    }
    if (v >= 11) {
      p.preferred_read_replica = 2;
      b.i32(2);
    }
    p.records = to_bytes("RECORDS");
    b.bytes("RECORDS");
  });
}

TEST(KafkaProtoGolden, FetchNullAbortedTransactions) {
  check_versions<FetchResponse>({4}, "response", [](int16_t, FetchResponse& m, B& b) {
    b.i32(0);
    auto& topic = m.responses.emplace_back();
    topic.topic = "x";
    b.arr(1).str("x").arr(1);
    auto& p = topic.partitions.emplace_back();
    p.aborted_transactions = std::nullopt;
    p.records = std::nullopt;
    b.i32(0).i16(0).i64(0).i64(-1).null_arr().null_bytes();
  });
}

TEST(KafkaProtoGolden, ListOffsets) {
  check_versions<ListOffsetsRequest>({0, 2, 5}, "request", [](int16_t v, ListOffsetsRequest& m, B& b) {
    m.replica_id = -1;
    b.i32(-1);
    if (v >= 2) {
      m.isolation_level = 1;
      b.i8(1);
    }
    auto& topic = m.topics.emplace_back();
    topic.name = "t";
    b.arr(1).str("t").arr(1);
    auto& p = topic.partitions.emplace_back();
    p.partition_index = 3;
    b.i32(3);
    if (v >= 4) {
      p.current_leader_epoch = 8;
      b.i32(8);
    }
    p.timestamp = -2;
    b.i64(-2);
    if (v == 0) {
      p.max_num_offsets = 5;
      b.i32(5);
    }
  });
  check_versions<ListOffsetsResponse>({0, 2, 5}, "response", [](int16_t v, ListOffsetsResponse& m, B& b) {
    if (v >= 2) {
      m.throttle_time_ms = 9;
      b.i32(9);
    }
    auto& topic = m.topics.emplace_back();
    topic.name = "t";
    b.arr(1).str("t").arr(1);
    auto& p = topic.partitions.emplace_back();
    p.partition_index = 3;
    p.error_code = 0;
    b.i32(3).i16(0);
    if (v == 0) {
      p.old_style_offsets = {100, 50};
      b.arr(2).i64(100).i64(50);
    }
    if (v >= 1) {
      p.timestamp = 1600000000000;
      p.offset = 100;
      b.i64(1600000000000).i64(100);
    }
    if (v >= 4) {
      p.leader_epoch = 8;
      b.i32(8);
    }
  });
}

TEST(KafkaProtoGolden, Metadata) {
  check_versions<MetadataRequest>({0, 4, 9}, "request", [](int16_t v, MetadataRequest& m, B& b) {
    m.topics.emplace();
    m.topics->push_back({.name = "a"});
    m.topics->push_back({.name = "bb"});
    b.arr(2).str("a").tags().str("bb").tags();
    if (v >= 4) {
      m.allow_auto_topic_creation = false;
      b.boolean(false);
    }
    if (v >= 8) {
      m.include_cluster_authorized_operations = true;
      m.include_topic_authorized_operations = false;
      b.boolean(true).boolean(false);
    }
    b.tags();
  });
  // v1+: a null topic list asks for every topic.
  check_versions<MetadataRequest>({1, 9}, "request", [](int16_t v, MetadataRequest& m, B& b) {
    m.topics = std::nullopt;
    b.null_arr();
    if (v >= 4) b.boolean(true);
    if (v >= 8) b.boolean(false).boolean(false);
    b.tags();
  });
  check_versions<MetadataResponse>({0, 4, 9}, "response", [](int16_t v, MetadataResponse& m, B& b) {
    if (v >= 3) {
      m.throttle_time_ms = 0;
      b.i32(0);
    }
    auto& broker = m.brokers.emplace_back();
    broker.node_id = 1;
    broker.host = "kz-1";
    broker.port = 9092;
    b.arr(1).i32(1).str("kz-1").i32(9092);
    if (v >= 1) {
      broker.rack = std::nullopt;
      b.null_str();
    }
    b.tags();
    if (v >= 2) {
      m.cluster_id = "cluster-x";
      b.str("cluster-x");
    }
    if (v >= 1) {
      m.controller_id = 1;
      b.i32(1);
    }
    auto& topic = m.topics.emplace_back();
    topic.error_code = 0;
    topic.name = "orders";
    b.arr(1).i16(0).str("orders");
    if (v >= 1) {
      topic.is_internal = false;
      b.boolean(false);
    }
    auto& p = topic.partitions.emplace_back();
    p.error_code = 0;
    p.partition_index = 0;
    p.leader_id = 1;
    b.arr(1).i16(0).i32(0).i32(1);
    if (v >= 7) {
      p.leader_epoch = 4;
      b.i32(4);
    }
    p.replica_nodes = {1, 2, 3};
    p.isr_nodes = {1, 2};
    b.arr(3).i32(1).i32(2).i32(3).arr(2).i32(1).i32(2);
    if (v >= 5) {
      p.offline_replicas = {3};
      b.arr(1).i32(3);
    }
    b.tags();
    if (v >= 8) {
      topic.topic_authorized_operations = 0x0ff8;
      b.i32(0x0ff8);
    }
    b.tags();
    if (v >= 8) {
      m.cluster_authorized_operations = -2147483648LL;
      b.i32(-2147483648LL);
    }
    b.tags();
  });
}

TEST(KafkaProtoGolden, ApiVersions) {
  check_versions<ApiVersionsRequest>({0, 2, 3}, "request", [](int16_t v, ApiVersionsRequest& m, B& b) {
    if (v >= 3) {
      m.client_software_name = "kz-client";
      m.client_software_version = "0.1";
      b.str("kz-client").str("0.1");
    }
    b.tags();
  });
  check_versions<ApiVersionsResponse>({0, 2, 3}, "response", [](int16_t v, ApiVersionsResponse& m, B& b) {
    m.error_code = 0;
    m.api_keys.push_back({.api_key = 0, .min_version = 0, .max_version = 7});
    m.api_keys.push_back({.api_key = 18, .min_version = 0, .max_version = 3});
    b.i16(0).arr(2).i16(0).i16(0).i16(7).tags().i16(18).i16(0).i16(3).tags();
    if (v >= 1) {
      m.throttle_time_ms = 0;
      b.i32(0);
    }
    b.tags();
  });
  // Tagged fields in the body (KIP-482): written in tag order, each as tag, size, value.
  check_versions<ApiVersionsResponse>({3}, "response", [](int16_t, ApiVersionsResponse& m, B& b) {
    m.error_code = 35;
    b.i16(35).arr(0).i32(0);
    m.supported_features.push_back({.name = "f", .min_version = 1, .max_version = 2});
    m.finalized_features_epoch = 7;
    b.uv(2);                                                // two tagged fields
    b.uv(0).uv(1 + 2 + 2 + 2 + 1);                          // tag 0, size
    b.arr(1).str("f").i16(1).i16(2).tags();                 // SupportedFeatures
    b.uv(1).uv(8).i64(7);                                   // tag 1: FinalizedFeaturesEpoch
  });
}

TEST(KafkaProtoGolden, FindCoordinator) {
  check_versions<FindCoordinatorRequest>({0, 1, 3}, "request", [](int16_t v, FindCoordinatorRequest& m, B& b) {
    m.key = "group-a";
    b.str("group-a");
    if (v >= 1) {
      m.key_type = 1;
      b.i8(1);
    }
    b.tags();
  });
  check_versions<FindCoordinatorResponse>({0, 1, 3}, "response", [](int16_t v, FindCoordinatorResponse& m, B& b) {
    if (v >= 1) {
      m.throttle_time_ms = 3;
      b.i32(3);
    }
    m.error_code = 0;
    b.i16(0);
    if (v >= 1) {
      m.error_message = v == 3 ? std::optional<std::string>("none") : std::nullopt;
      b.nstr(m.error_message);
    }
    m.node_id = 2;
    m.host = "kz-2";
    m.port = 9093;
    b.i32(2).str("kz-2").i32(9093).tags();
  });
}

TEST(KafkaProtoGolden, OffsetCommit) {
  check_versions<OffsetCommitRequest>({0, 1, 3, 7}, "request", [](int16_t v, OffsetCommitRequest& m, B& b) {
    m.group_id = "g";
    b.str("g");
    if (v >= 1) {
      m.generation_id = 4;
      m.member_id = "m-1";
      b.i32(4).str("m-1");
    }
    if (v >= 7) {
      m.group_instance_id = "static-1";
      b.str("static-1");
    }
    if (v >= 2 && v <= 4) {
      m.retention_time_ms = 86400000;
      b.i64(86400000);
    }
    auto& topic = m.topics.emplace_back();
    topic.name = "t";
    b.arr(1).str("t").arr(1);
    auto& p = topic.partitions.emplace_back();
    p.partition_index = 1;
    p.committed_offset = 77;
    b.i32(1).i64(77);
    if (v >= 6) {
      p.committed_leader_epoch = 2;
      b.i32(2);
    }
    if (v == 1) {
      p.commit_timestamp = 123456;
      b.i64(123456);
    }
    p.committed_metadata = std::nullopt;
    b.null_str();
  });
  check_versions<OffsetCommitResponse>({0, 3, 7}, "response", [](int16_t v, OffsetCommitResponse& m, B& b) {
    if (v >= 3) {
      m.throttle_time_ms = 2;
      b.i32(2);
    }
    auto& topic = m.topics.emplace_back();
    topic.name = "t";
    topic.partitions.push_back({.partition_index = 1, .error_code = errc::kIllegalGeneration});
    b.arr(1).str("t").arr(1).i32(1).i16(22);
  });
}

TEST(KafkaProtoGolden, OffsetFetch) {
  check_versions<OffsetFetchRequest>({0, 3, 6, 7}, "request", [](int16_t v, OffsetFetchRequest& m, B& b) {
    m.group_id = "g";
    b.str("g");
    m.topics.emplace();
    m.topics->push_back({.name = "t", .partition_indexes = {0, 5}});
    b.arr(1).str("t").arr(2).i32(0).i32(5).tags();
    if (v >= 7) {
      m.require_stable = true;
      b.boolean(true);
    }
    b.tags();
  });
  // v2+: null topics = every partition the group has committed.
  check_versions<OffsetFetchRequest>({2, 7}, "request", [](int16_t v, OffsetFetchRequest& m, B& b) {
    m.group_id = "g";
    m.topics = std::nullopt;
    b.str("g").null_arr();
    if (v >= 7) b.boolean(false);
    b.tags();
  });
  check_versions<OffsetFetchResponse>({0, 3, 6, 7}, "response", [](int16_t v, OffsetFetchResponse& m, B& b) {
    if (v >= 3) {
      m.throttle_time_ms = 1;
      b.i32(1);
    }
    auto& topic = m.topics.emplace_back();
    topic.name = "t";
    b.arr(1).str("t").arr(1);
    auto& p = topic.partitions.emplace_back();
    p.partition_index = 5;
    p.committed_offset = 900;
    b.i32(5).i64(900);
    if (v >= 5) {
      p.committed_leader_epoch = 6;
      b.i32(6);
    }
    p.metadata = "meta";
    p.error_code = 0;
    b.str("meta").i16(0).tags().tags();
    if (v >= 2) {
      m.error_code = errc::kCoordinatorLoadInProgress;
      b.i16(14);
    }
    b.tags();
  });
}

}  // namespace
}  // namespace kz::kafka
