// Golden bytes for the idempotence/transaction APIs (InitProducerId, AddPartitionsToTxn,
// AddOffsetsToTxn, EndTxn, TxnOffsetCommit, WriteTxnMarkers) and OffsetForLeaderEpoch, built
// field by field from the spec (kafka-python 2.0.2 has none of these).
#include <gtest/gtest.h>

#include "tests/kafka/protocol/golden.h"

namespace kz::kafka {
namespace {

using testing::B;
using testing::check_versions;

TEST(KafkaProtoGolden, InitProducerId) {
  check_versions<InitProducerIdRequest>({0, 2, 4}, "request", [](int16_t v, InitProducerIdRequest& m, B& b) {
    m.transactional_id = v == 0 ? std::nullopt : std::optional<std::string>("tx");
    m.transaction_timeout_ms = 60000;
    b.nstr(m.transactional_id).i32(60000);
    if (v >= 3) {
      m.producer_id = 1000;
      m.producer_epoch = 2;
      b.i64(1000).i16(2);
    }
    b.tags();
  });
  check_versions<InitProducerIdResponse>({0, 2, 4}, "response", [](int16_t, InitProducerIdResponse& m, B& b) {
    m.throttle_time_ms = 0;
    m.error_code = 0;
    m.producer_id = 1000;
    m.producer_epoch = 3;
    b.i32(0).i16(0).i64(1000).i16(3).tags();
  });
}

TEST(KafkaProtoGolden, OffsetForLeaderEpoch) {
  check_versions<OffsetForLeaderEpochRequest>({0, 2, 3}, "request", [](int16_t v, OffsetForLeaderEpochRequest& m,
                                                                       B& b) {
    if (v >= 3) {
      m.replica_id = 2;
      b.i32(2);
    }
    auto& topic = m.topics.emplace_back();
    topic.topic = "t";
    b.arr(1).str("t").arr(1);
    auto& p = topic.partitions.emplace_back();
    p.partition = 0;
    b.i32(0);
    if (v >= 2) {
      p.current_leader_epoch = 5;
      b.i32(5);
    }
    p.leader_epoch = 4;
    b.i32(4);
  });
  check_versions<OffsetForLeaderEpochResponse>({0, 2, 3}, "response", [](int16_t v, OffsetForLeaderEpochResponse& m,
                                                                         B& b) {
    if (v >= 2) {
      m.throttle_time_ms = 0;
      b.i32(0);
    }
    auto& topic = m.topics.emplace_back();
    topic.topic = "t";
    b.arr(1).str("t").arr(1);
    auto& p = topic.partitions.emplace_back();
    p.error_code = 0;
    p.partition = 0;
    b.i16(0).i32(0);
    if (v >= 1) {
      p.leader_epoch = 4;
      b.i32(4);
    }
    p.end_offset = 1234;
    b.i64(1234);
  });
}

TEST(KafkaProtoGolden, AddPartitionsToTxn) {
  check_versions<AddPartitionsToTxnRequest>({0, 1}, "request", [](int16_t, AddPartitionsToTxnRequest& m, B& b) {
    m.transactional_id = "tx";
    m.producer_id = 7;
    m.producer_epoch = 1;
    m.topics.push_back({.name = "t", .partitions = {0, 1}});
    b.str("tx").i64(7).i16(1).arr(1).str("t").arr(2).i32(0).i32(1);
  });
  check_versions<AddPartitionsToTxnResponse>({0, 1}, "response", [](int16_t, AddPartitionsToTxnResponse& m, B& b) {
    m.throttle_time_ms = 0;
    auto& result = m.results.emplace_back();
    result.name = "t";
    result.results.push_back({.partition_index = 0, .error_code = errc::kConcurrentTransactions});
    b.i32(0).arr(1).str("t").arr(1).i32(0).i16(51);
  });
}

TEST(KafkaProtoGolden, AddOffsetsToTxn) {
  check_versions<AddOffsetsToTxnRequest>({0, 1}, "request", [](int16_t, AddOffsetsToTxnRequest& m, B& b) {
    m.transactional_id = "tx";
    m.producer_id = 7;
    m.producer_epoch = 1;
    m.group_id = "g";
    b.str("tx").i64(7).i16(1).str("g");
  });
  check_versions<AddOffsetsToTxnResponse>({0, 1}, "response", [](int16_t, AddOffsetsToTxnResponse& m, B& b) {
    m.throttle_time_ms = 10;
    m.error_code = errc::kInvalidProducerEpoch;
    b.i32(10).i16(47);
  });
}

TEST(KafkaProtoGolden, EndTxn) {
  check_versions<EndTxnRequest>({0, 1}, "request", [](int16_t, EndTxnRequest& m, B& b) {
    m.transactional_id = "tx";
    m.producer_id = 7;
    m.producer_epoch = 1;
    m.committed = true;
    b.str("tx").i64(7).i16(1).boolean(true);
  });
  check_versions<EndTxnResponse>({0, 1}, "response", [](int16_t, EndTxnResponse& m, B& b) {
    m.throttle_time_ms = 0;
    m.error_code = errc::kInvalidTxnState;
    b.i32(0).i16(48);
  });
}

TEST(KafkaProtoGolden, TxnOffsetCommit) {
  check_versions<TxnOffsetCommitRequest>({0, 2, 3}, "request", [](int16_t v, TxnOffsetCommitRequest& m, B& b) {
    m.transactional_id = "tx";
    m.group_id = "g";
    m.producer_id = 7;
    m.producer_epoch = 1;
    b.str("tx").str("g").i64(7).i16(1);
    if (v >= 3) {
      m.generation_id = 5;
      m.member_id = "m-1";
      m.group_instance_id = std::nullopt;
      b.i32(5).str("m-1").null_str();
    }
    auto& topic = m.topics.emplace_back();
    topic.name = "t";
    b.arr(1).str("t").arr(1);
    auto& p = topic.partitions.emplace_back();
    p.partition_index = 2;
    p.committed_offset = 300;
    b.i32(2).i64(300);
    if (v >= 2) {
      p.committed_leader_epoch = 9;
      b.i32(9);
    }
    p.committed_metadata = "";
    b.str("").tags().tags().tags();
  });
  check_versions<TxnOffsetCommitResponse>({0, 2, 3}, "response", [](int16_t, TxnOffsetCommitResponse& m, B& b) {
    m.throttle_time_ms = 0;
    auto& topic = m.topics.emplace_back();
    topic.name = "t";
    topic.partitions.push_back({.partition_index = 2, .error_code = 0});
    b.i32(0).arr(1).str("t").arr(1).i32(2).i16(0).tags().tags().tags();
  });
}

TEST(KafkaProtoGolden, WriteTxnMarkers) {
  check_versions<WriteTxnMarkersRequest>({0}, "request", [](int16_t, WriteTxnMarkersRequest& m, B& b) {
    auto& marker = m.markers.emplace_back();
    marker.producer_id = 7;
    marker.producer_epoch = 1;
    marker.transaction_result = false;
    marker.topics.push_back({.name = "t", .partition_indexes = {0}});
    marker.coordinator_epoch = 3;
    b.arr(1).i64(7).i16(1).boolean(false).arr(1).str("t").arr(1).i32(0).i32(3);
  });
  check_versions<WriteTxnMarkersResponse>({0}, "response", [](int16_t, WriteTxnMarkersResponse& m, B& b) {
    auto& marker = m.markers.emplace_back();
    marker.producer_id = 7;
    auto& topic = marker.topics.emplace_back();
    topic.name = "t";
    topic.partitions.push_back({.partition_index = 0, .error_code = 0});
    b.arr(1).i64(7).arr(1).str("t").arr(1).i32(0).i16(0);
  });
}

}  // namespace
}  // namespace kz::kafka
