// Golden bytes for the inter-broker APIs (LeaderAndIsr, StopReplica, UpdateMetadata,
// ControlledShutdown), built field by field from the spec.
#include <gtest/gtest.h>

#include "tests/kafka/protocol/golden.h"

namespace kz::kafka {
namespace {

using testing::B;
using testing::check_versions;

TEST(KafkaProtoGolden, LeaderAndIsr) {
  check_versions<LeaderAndIsrRequest>({0, 2, 4}, "request", [](int16_t v, LeaderAndIsrRequest& m, B& b) {
    m.controller_id = 1;
    m.controller_epoch = 3;
    b.i32(1).i32(3);
    if (v >= 2) {
      m.broker_epoch = 4294967296;
      b.i64(4294967296);
    }
    LeaderAndIsrRequest::LeaderAndIsrPartitionState state;
    state.partition_index = 0;
    state.controller_epoch = 3;
    state.leader = 2;
    state.leader_epoch = 7;
    state.isr = {2, 3};
    state.zk_version = 11;
    state.replicas = {2, 3, 1};
    auto put_state = [&](B& out) {
      if (v <= 1) out.str("t");
      out.i32(0).i32(3).i32(2).i32(7).arr(2).i32(2).i32(3).i32(11).arr(3).i32(2).i32(3).i32(1);
      if (v >= 3) out.arr(1).i32(1).arr(0);
      if (v >= 1) out.boolean(true);
      out.tags();
    };
    if (v >= 3) state.adding_replicas = {1};
    if (v >= 1) state.is_new = true;
    if (v <= 1) {
      state.topic_name = "t";
      m.ungrouped_partition_states.push_back(state);
      b.arr(1);
      put_state(b);
    } else {
      m.topic_states.push_back({.topic_name = "t", .partition_states = {state}});
      b.arr(1).str("t").arr(1);
      put_state(b);
      b.tags();
    }
    m.live_leaders.push_back({.broker_id = 2, .host_name = "kz-2", .port = 9092});
    b.arr(1).i32(2).str("kz-2").i32(9092).tags().tags();
  });
  check_versions<LeaderAndIsrResponse>({0, 2, 4}, "response", [](int16_t, LeaderAndIsrResponse& m, B& b) {
    m.error_code = 0;
    m.partition_errors.push_back({.topic_name = "t", .partition_index = 0, .error_code = errc::kKafkaStorageError});
    b.i16(0).arr(1).str("t").i32(0).i16(56).tags().tags();
  });
}

TEST(KafkaProtoGolden, StopReplica) {
  check_versions<StopReplicaRequest>({0, 1, 2, 3}, "request", [](int16_t v, StopReplicaRequest& m, B& b) {
    m.controller_id = 1;
    m.controller_epoch = 3;
    b.i32(1).i32(3);
    if (v >= 1) {
      m.broker_epoch = 99;
      b.i64(99);
    }
    if (v <= 2) {
      m.delete_partitions = true;
      b.boolean(true);
    }
    if (v == 0) {
      m.ungrouped_partitions.push_back({.topic_name = "t", .partition_index = 5});
      b.arr(1).str("t").i32(5);
    } else if (v <= 2) {
      m.topics.push_back({.name = "t", .partition_indexes = {5, 6}});
      b.arr(1).str("t").arr(2).i32(5).i32(6).tags();
    } else {
      auto& topic = m.topic_states.emplace_back();
      topic.topic_name = "t";
      topic.partition_states.push_back({.partition_index = 5, .leader_epoch = 8, .delete_partition = true});
      b.arr(1).str("t").arr(1).i32(5).i32(8).boolean(true).tags().tags();
    }
    b.tags();
  });
  check_versions<StopReplicaResponse>({0, 1, 3}, "response", [](int16_t, StopReplicaResponse& m, B& b) {
    m.error_code = errc::kStaleControllerEpoch;
    m.partition_errors.push_back({.topic_name = "t", .partition_index = 5, .error_code = 0});
    b.i16(11).arr(1).str("t").i32(5).i16(0).tags().tags();
  });
}

TEST(KafkaProtoGolden, UpdateMetadata) {
  check_versions<UpdateMetadataRequest>({0, 1, 3, 5, 6}, "request", [](int16_t v, UpdateMetadataRequest& m, B& b) {
    m.controller_id = 1;
    m.controller_epoch = 3;
    b.i32(1).i32(3);
    if (v >= 5) {
      m.broker_epoch = 17;
      b.i64(17);
    }
    UpdateMetadataRequest::UpdateMetadataPartitionState state;
    state.partition_index = 1;
    state.controller_epoch = 3;
    state.leader = 1;
    state.leader_epoch = 2;
    state.isr = {1};
    state.zk_version = 5;
    state.replicas = {1, 2};
    if (v >= 4) state.offline_replicas = {2};
    auto put_state = [&](B& out) {
      if (v <= 4) out.str("t");
      out.i32(1).i32(3).i32(1).i32(2).arr(1).i32(1).i32(5).arr(2).i32(1).i32(2);
      if (v >= 4) out.arr(1).i32(2);
      out.tags();
    };
    if (v <= 4) {
      state.topic_name = "t";
      m.ungrouped_partition_states.push_back(state);
      b.arr(1);
      put_state(b);
    } else {
      m.topic_states.push_back({.topic_name = "t", .partition_states = {state}});
      b.arr(1).str("t").arr(1);
      put_state(b);
      b.tags();
    }
    auto& broker = m.live_brokers.emplace_back();
    broker.id = 1;
    b.arr(1).i32(1);
    if (v == 0) {
      broker.v0_host = "kz-1";
      broker.v0_port = 9092;
      b.str("kz-1").i32(9092);
    } else {
      auto& endpoint = broker.endpoints.emplace_back();
      endpoint.port = 9092;
      endpoint.host = "kz-1";
      b.arr(1).i32(9092).str("kz-1");
      if (v >= 3) {
        endpoint.listener = "PLAINTEXT";
        b.str("PLAINTEXT");
      }
      endpoint.security_protocol = 0;
      b.i16(0).tags();
    }
    if (v >= 2) {
      broker.rack = std::nullopt;
      b.null_str();
    }
    b.tags().tags();
  });
  check_versions<UpdateMetadataResponse>({0, 3, 6}, "response", [](int16_t, UpdateMetadataResponse& m, B& b) {
    m.error_code = 0;
    b.i16(0).tags();
  });
}

TEST(KafkaProtoGolden, ControlledShutdown) {
  check_versions<ControlledShutdownRequest>({0, 2, 3}, "request", [](int16_t v, ControlledShutdownRequest& m, B& b) {
    m.broker_id = 2;
    b.i32(2);
    if (v >= 2) {
      m.broker_epoch = 40;
      b.i64(40);
    }
    b.tags();
  });
  check_versions<ControlledShutdownResponse>({0, 2, 3}, "response", [](int16_t, ControlledShutdownResponse& m,
                                                                       B& b) {
    m.error_code = 0;
    m.remaining_partitions.push_back({.topic_name = "t", .partition_index = 0});
    b.i16(0).arr(1).str("t").i32(0).tags().tags();
  });
}

}  // namespace
}  // namespace kz::kafka
