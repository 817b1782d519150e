// Golden bytes for the consumer-group APIs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
// DescribeGroups, ListGroups, DeleteGroups, OffsetDelete), built field by field from the spec.
#include <gtest/gtest.h>

#include "tests/kafka/protocol/golden.h"

namespace kz::kafka {
namespace {

using testing::B;
using testing::check_versions;
using testing::to_bytes;

TEST(KafkaProtoGolden, JoinGroup) {
  check_versions<JoinGroupRequest>({0, 2, 5}, "request", [](int16_t v, JoinGroupRequest& m, B& b) {
    m.group_id = "g";
    m.session_timeout_ms = 10000;
    b.str("g").i32(10000);
    if (v >= 1) {
      m.rebalance_timeout_ms = 30000;
      b.i32(30000);
    }
    m.member_id = "";
    b.str("");
    if (v >= 5) {
      m.group_instance_id = std::nullopt;
      b.null_str();
    }
    m.protocol_type = "consumer";
    m.protocols.push_back({.name = "range", .metadata = to_bytes(std::string_view("\x00\x01", 2))});
    b.str("consumer").arr(1).str("range").bytes(std::string_view("\x00\x01", 2));
  });
  check_versions<JoinGroupResponse>({0, 2, 5}, "response", [](int16_t v, JoinGroupResponse& m, B& b) {
    if (v >= 2) {
      m.throttle_time_ms = 0;
      b.i32(0);
    }
    m.error_code = 0;
    m.generation_id = 3;
    m.protocol_name = "range";
    m.leader = "m-1";
    m.member_id = "m-2";
    b.i16(0).i32(3).str("range").str("m-1").str("m-2").arr(2);
    for (const char* id : {"m-1", "m-2"}) {
      auto& member = m.members.emplace_back();
      member.member_id = id;
      member.metadata = to_bytes("md");
      b.str(id);
      if (v >= 5) {
        member.group_instance_id = "i-" + std::string(id);
        b.str("i-" + std::string(id));
      }
      b.bytes("md");
    }
  });
}

TEST(KafkaProtoGolden, SyncGroup) {
  check_versions<SyncGroupRequest>({0, 1, 3}, "request", [](int16_t v, SyncGroupRequest& m, B& b) {
    m.group_id = "g";
    m.generation_id = 3;
    m.member_id = "m-1";
    b.str("g").i32(3).str("m-1");
    if (v >= 3) {
      m.group_instance_id = "static";
      b.str("static");
    }
    m.assignments.push_back({.member_id = "m-1", .assignment = to_bytes("A1")});
    m.assignments.push_back({.member_id = "m-2", .assignment = {}});
    b.arr(2).str("m-1").bytes("A1").str("m-2").bytes("");
  });
  check_versions<SyncGroupResponse>({0, 1, 3}, "response", [](int16_t v, SyncGroupResponse& m, B& b) {
    if (v >= 1) {
      m.throttle_time_ms = 4;
      b.i32(4);
    }
    m.error_code = errc::kRebalanceInProgress;
    m.assignment = to_bytes("assignment");
    b.i16(27).bytes("assignment");
  });
}

TEST(KafkaProtoGolden, Heartbeat) {
  check_versions<HeartbeatRequest>({0, 1, 3}, "request", [](int16_t v, HeartbeatRequest& m, B& b) {
    m.group_id = "g";
    m.generation_id = 8;
    m.member_id = "m-1";
    b.str("g").i32(8).str("m-1");
    if (v >= 3) {
      m.group_instance_id = std::nullopt;
      b.null_str();
    }
  });
  check_versions<HeartbeatResponse>({0, 1, 3}, "response", [](int16_t v, HeartbeatResponse& m, B& b) {
    if (v >= 1) {
      m.throttle_time_ms = 100;
      b.i32(100);
    }
    m.error_code = errc::kUnknownMemberId;
    b.i16(25);
  });
}

TEST(KafkaProtoGolden, LeaveGroup) {
  check_versions<LeaveGroupRequest>({0, 1, 3}, "request", [](int16_t v, LeaveGroupRequest& m, B& b) {
    m.group_id = "g";
    b.str("g");
    if (v <= 2) {
      m.member_id = "m-1";
      b.str("m-1");
    } else {
      m.members.push_back({.member_id = "m-1", .group_instance_id = std::nullopt});
      m.members.push_back({.member_id = "m-2", .group_instance_id = "s-2"});
      b.arr(2).str("m-1").null_str().str("m-2").str("s-2");
    }
  });
  check_versions<LeaveGroupResponse>({0, 1, 3}, "response", [](int16_t v, LeaveGroupResponse& m, B& b) {
    if (v >= 1) {
      m.throttle_time_ms = 0;
      b.i32(0);
    }
    m.error_code = 0;
    b.i16(0);
    if (v >= 3) {
      m.members.push_back({.member_id = "m-1", .group_instance_id = "s-1", .error_code = 0});
      b.arr(1).str("m-1").str("s-1").i16(0);
    }
  });
}

TEST(KafkaProtoGolden, DescribeGroups) {
  check_versions<DescribeGroupsRequest>({0, 2, 4}, "request", [](int16_t v, DescribeGroupsRequest& m, B& b) {
    m.groups = {"g1", "g2"};
    b.arr(2).str("g1").str("g2");
    if (v >= 3) {
      m.include_authorized_operations = true;
      b.boolean(true);
    }
  });
  check_versions<DescribeGroupsResponse>({0, 2, 4}, "response", [](int16_t v, DescribeGroupsResponse& m, B& b) {
    if (v >= 1) {
      m.throttle_time_ms = 0;
      b.i32(0);
    }
    auto& group = m.groups.emplace_back();
    group.error_code = 0;
    group.group_id = "g1";
    group.group_state = "Stable";
    group.protocol_type = "consumer";
    group.protocol_data = "range";
    b.arr(1).i16(0).str("g1").str("Stable").str("consumer").str("range").arr(1);
    auto& member = group.members.emplace_back();
    member.member_id = "m-1";
    b.str("m-1");
    if (v >= 4) {
      member.group_instance_id = "s-1";
      b.str("s-1");
    }
    member.client_id = "rdkafka";
    member.client_host = "/127.0.0.1";
    member.member_metadata = to_bytes("meta");
    member.member_assignment = to_bytes("asg");
    b.str("rdkafka").str("/127.0.0.1").bytes("meta").bytes("asg");
    if (v >= 3) {
      group.authorized_operations = 0x08;
      b.i32(0x08);
    }
  });
}

TEST(KafkaProtoGolden, ListGroups) {
  check_versions<ListGroupsRequest>({0, 3, 4}, "request", [](int16_t v, ListGroupsRequest& m, B& b) {
    if (v >= 4) {
      m.states_filter = {"Stable", "Empty"};
      b.arr(2).str("Stable").str("Empty");
    }
    b.tags();
  });
  check_versions<ListGroupsResponse>({0, 3, 4}, "response", [](int16_t v, ListGroupsResponse& m, B& b) {
    if (v >= 1) {
      m.throttle_time_ms = 0;
      b.i32(0);
    }
    m.error_code = 0;
    b.i16(0).arr(2);
    for (const char* id : {"g1", "g2"}) {
      auto& group = m.groups.emplace_back();
      group.group_id = id;
      group.protocol_type = "consumer";
      b.str(id).str("consumer");
      if (v >= 4) {
        group.group_state = "Empty";
        b.str("Empty");
      }
      b.tags();
    }
    b.tags();
  });
}

TEST(KafkaProtoGolden, DeleteGroups) {
  check_versions<DeleteGroupsRequest>({0, 1}, "request", [](int16_t, DeleteGroupsRequest& m, B& b) {
    m.groups_names = {"g1"};
    b.arr(1).str("g1");
  });
  check_versions<DeleteGroupsResponse>({0, 1}, "response", [](int16_t, DeleteGroupsResponse& m, B& b) {
    m.throttle_time_ms = 1;
    m.results.push_back({.group_id = "g1", .error_code = errc::kNonEmptyGroup});
    b.i32(1).arr(1).str("g1").i16(68);
  });
}

TEST(KafkaProtoGolden, OffsetDelete) {
  check_versions<OffsetDeleteRequest>({0}, "request", [](int16_t, OffsetDeleteRequest& m, B& b) {
    m.group_id = "g";
    auto& topic = m.topics.emplace_back();
    topic.name = "t";
    topic.partitions.push_back({.partition_index = 3});
    b.str("g").arr(1).str("t").arr(1).i32(3);
  });
  check_versions<OffsetDeleteResponse>({0}, "response", [](int16_t, OffsetDeleteResponse& m, B& b) {
    m.error_code = 0;
    m.throttle_time_ms = 0;
    auto& topic = m.topics.emplace_back();
    topic.name = "t";
    topic.partitions.push_back({.partition_index = 3, .error_code = errc::kGroupSubscribedToTopic});
    b.i16(0).i32(0).arr(1).str("t").arr(1).i32(3).i16(86);
  });
}

}  // namespace
}  // namespace kz::kafka
