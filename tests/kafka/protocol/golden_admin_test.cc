// Golden bytes for the admin and security APIs (CreateTopics, DeleteTopics, DeleteRecords,
// CreatePartitions, Describe/Alter configs, ACLs, SASL), built field by field from the spec.
#include <gtest/gtest.h>

#include "tests/kafka/protocol/golden.h"

namespace kz::kafka {
namespace {

using testing::B;
using testing::check_versions;
using testing::to_bytes;

TEST(KafkaProtoGolden, CreateTopics) {
  check_versions<CreateTopicsRequest>({0, 3, 5}, "request", [](int16_t v, CreateTopicsRequest& m, B& b) {
    auto& topic = m.topics.emplace_back();
    topic.name = "new";
    topic.num_partitions = -1;
    topic.replication_factor = -1;
    topic.assignments.push_back({.partition_index = 0, .broker_ids = {1, 2}});
    topic.configs.push_back({.name = "cleanup.policy", .value = "compact"});
    topic.configs.push_back({.name = "retention.ms", .value = std::nullopt});
    b.arr(1).str("new").i32(-1).i16(-1);
    b.arr(1).i32(0).arr(2).i32(1).i32(2).tags();
    b.arr(2).str("cleanup.policy").str("compact").tags().str("retention.ms").null_str().tags();
    b.tags();
    m.timeout_ms = 30000;
    b.i32(30000);
    if (v >= 1) {
      m.validate_only = true;
      b.boolean(true);
    }
    b.tags();
  });
  check_versions<CreateTopicsResponse>({0, 3, 5}, "response", [](int16_t v, CreateTopicsResponse& m, B& b) {
    if (v >= 2) {
      m.throttle_time_ms = 0;
      b.i32(0);
    }
    auto& topic = m.topics.emplace_back();
    topic.name = "new";
    topic.error_code = errc::kTopicAlreadyExists;
    b.arr(1).str("new").i16(36);
    if (v >= 1) {
      topic.error_message = "exists";
      b.str("exists");
    }
    if (v >= 5) {
      topic.num_partitions = 3;
      topic.replication_factor = 2;
      topic.configs.emplace();
      topic.configs->push_back(
          {.name = "segment.bytes", .value = "1024", .read_only = false, .config_source = 5, .is_sensitive = false});
      b.i32(3).i16(2).arr(1).str("segment.bytes").str("1024").boolean(false).i8(5).boolean(false).tags();
      // TopicConfigErrorCode is tagged (tag 0) and written only when it differs from 0.
      topic.topic_config_error_code = errc::kTopicAuthorizationFailed;
      b.uv(1).uv(0).uv(2).i16(29);
    }
    b.tags();
  });
}

TEST(KafkaProtoGolden, DeleteTopics) {
  check_versions<DeleteTopicsRequest>({0, 2, 4}, "request", [](int16_t, DeleteTopicsRequest& m, B& b) {
    m.topic_names = {"a", "b"};
    m.timeout_ms = 1000;
    b.arr(2).str("a").str("b").i32(1000).tags();
  });
  check_versions<DeleteTopicsResponse>({0, 2, 4}, "response", [](int16_t v, DeleteTopicsResponse& m, B& b) {
    if (v >= 1) {
      m.throttle_time_ms = 0;
      b.i32(0);
    }
    m.responses.push_back({.name = "a", .error_code = 0});
    m.responses.push_back({.name = "b", .error_code = errc::kUnknownTopicOrPartition});
    b.arr(2).str("a").i16(0).tags().str("b").i16(3).tags().tags();
  });
}

TEST(KafkaProtoGolden, DeleteRecords) {
  check_versions<DeleteRecordsRequest>({0, 1}, "request", [](int16_t, DeleteRecordsRequest& m, B& b) {
    auto& topic = m.topics.emplace_back();
    topic.name = "t";
    topic.partitions.push_back({.partition_index = 1, .offset = 500});
    m.timeout_ms = 2000;
    b.arr(1).str("t").arr(1).i32(1).i64(500).i32(2000);
  });
  check_versions<DeleteRecordsResponse>({0, 1}, "response", [](int16_t, DeleteRecordsResponse& m, B& b) {
    m.throttle_time_ms = 0;
    auto& topic = m.topics.emplace_back();
    topic.name = "t";
    topic.partitions.push_back({.partition_index = 1, .low_watermark = 500, .error_code = 0});
    b.i32(0).arr(1).str("t").arr(1).i32(1).i64(500).i16(0);
  });
}

TEST(KafkaProtoGolden, CreatePartitions) {
  check_versions<CreatePartitionsRequest>({0, 1}, "request", [](int16_t, CreatePartitionsRequest& m, B& b) {
    auto& t1 = m.topics.emplace_back();
    t1.name = "a";
    t1.count = 4;
    t1.assignments.emplace();
    t1.assignments->push_back({.broker_ids = {1, 2}});
    auto& t2 = m.topics.emplace_back();
    t2.name = "b";
    t2.count = 2;
    t2.assignments = std::nullopt;
    m.timeout_ms = 100;
    m.validate_only = false;
    b.arr(2).str("a").i32(4).arr(1).arr(2).i32(1).i32(2).str("b").i32(2).null_arr().i32(100).boolean(false);
  });
  check_versions<CreatePartitionsResponse>({0, 1}, "response", [](int16_t, CreatePartitionsResponse& m, B& b) {
    m.throttle_time_ms = 0;
    m.results.push_back({.name = "a", .error_code = errc::kInvalidPartitions, .error_message = "too few"});
    b.i32(0).arr(1).str("a").i16(37).str("too few");
  });
}

TEST(KafkaProtoGolden, DescribeConfigs) {
  check_versions<DescribeConfigsRequest>({0, 1, 2}, "request", [](int16_t v, DescribeConfigsRequest& m, B& b) {
    m.resources.push_back({.resource_type = 2, .resource_name = "t", .configuration_keys = std::nullopt});
    m.resources.push_back(
        {.resource_type = 4, .resource_name = "1", .configuration_keys = std::vector<std::string>{"log.dirs"}});
    b.arr(2).i8(2).str("t").null_arr().i8(4).str("1").arr(1).str("log.dirs");
    if (v >= 1) {
      m.include_synonyms = true;
      b.boolean(true);
    }
  });
  check_versions<DescribeConfigsResponse>({0, 1, 2}, "response", [](int16_t v, DescribeConfigsResponse& m, B& b) {
    m.throttle_time_ms = 0;
    auto& result = m.results.emplace_back();
    result.error_code = 0;
    result.error_message = std::nullopt;
    result.resource_type = 2;
    result.resource_name = "t";
    b.i32(0).arr(1).i16(0).null_str().i8(2).str("t").arr(1);
    auto& config = result.configs.emplace_back();
    config.name = "retention.ms";
    config.value = "1000";
    config.read_only = false;
    b.str("retention.ms").str("1000").boolean(false);
    if (v == 0) {
      config.is_default = true;
      b.boolean(true);
    } else {
      config.config_source = 1;
      b.i8(1);
    }
    config.is_sensitive = false;
    b.boolean(false);
    if (v >= 1) {
      config.synonyms.push_back({.name = "log.retention.ms", .value = std::nullopt, .source = 5});
      b.arr(1).str("log.retention.ms").null_str().i8(5);
    }
  });
}

TEST(KafkaProtoGolden, AlterConfigs) {
  check_versions<AlterConfigsRequest>({0, 1}, "request", [](int16_t, AlterConfigsRequest& m, B& b) {
    auto& resource = m.resources.emplace_back();
    resource.resource_type = 2;
    resource.resource_name = "t";
    resource.configs.push_back({.name = "retention.ms", .value = "5"});
    m.validate_only = true;
    b.arr(1).i8(2).str("t").arr(1).str("retention.ms").str("5").boolean(true);
  });
  check_versions<AlterConfigsResponse>({0, 1}, "response", [](int16_t, AlterConfigsResponse& m, B& b) {
    m.throttle_time_ms = 0;
    m.responses.push_back(
        {.error_code = errc::kInvalidConfig, .error_message = "bad", .resource_type = 2, .resource_name = "t"});
    b.i32(0).arr(1).i16(40).str("bad").i8(2).str("t");
  });
}

TEST(KafkaProtoGolden, DescribeAcls) {
  check_versions<DescribeAclsRequest>({0, 1, 2}, "request", [](int16_t v, DescribeAclsRequest& m, B& b) {
    m.resource_type_filter = 2;
    m.resource_name_filter = std::nullopt;
    b.i8(2).null_str();
    if (v >= 1) {
      m.pattern_type_filter = 1;
      b.i8(1);
    }
    m.principal_filter = "User:alice";
    m.host_filter = std::nullopt;
    m.operation = 1;
    m.permission_type = 3;
    b.str("User:alice").null_str().i8(1).i8(3).tags();
  });
  check_versions<DescribeAclsResponse>({0, 1, 2}, "response", [](int16_t v, DescribeAclsResponse& m, B& b) {
    m.throttle_time_ms = 0;
    m.error_code = 0;
    m.error_message = std::nullopt;
    b.i32(0).i16(0).null_str();
    auto& resource = m.resources.emplace_back();
    resource.resource_type = 2;
    resource.resource_name = "orders";
    b.arr(1).i8(2).str("orders");
    if (v >= 1) {
      resource.pattern_type = 3;
      b.i8(3);
    }
    resource.acls.push_back({.principal = "User:alice", .host = "*", .operation = 3, .permission_type = 3});
    b.arr(1).str("User:alice").str("*").i8(3).i8(3).tags().tags().tags();
  });
}

TEST(KafkaProtoGolden, CreateAcls) {
  check_versions<CreateAclsRequest>({0, 1, 2}, "request", [](int16_t v, CreateAclsRequest& m, B& b) {
    auto& creation = m.creations.emplace_back();
    creation.resource_type = 3;
    creation.resource_name = "g";
    b.arr(1).i8(3).str("g");
    if (v >= 1) {
      creation.resource_pattern_type = 4;
      b.i8(4);
    }
    creation.principal = "User:bob";
    creation.host = "*";
    creation.operation = 2;
    creation.permission_type = 3;
    b.str("User:bob").str("*").i8(2).i8(3).tags().tags();
  });
  check_versions<CreateAclsResponse>({0, 1, 2}, "response", [](int16_t, CreateAclsResponse& m, B& b) {
    m.throttle_time_ms = 0;
    m.results.push_back({.error_code = errc::kSecurityDisabled, .error_message = "no authorizer"});
    b.i32(0).arr(1).i16(54).str("no authorizer").tags().tags();
  });
}

TEST(KafkaProtoGolden, DeleteAcls) {
  check_versions<DeleteAclsRequest>({0, 1, 2}, "request", [](int16_t v, DeleteAclsRequest& m, B& b) {
    auto& filter = m.filters.emplace_back();
    filter.resource_type_filter = 1;
    filter.resource_name_filter = std::nullopt;
    b.arr(1).i8(1).null_str();
    if (v >= 1) {
      filter.pattern_type_filter = 1;
      b.i8(1);
    }
    filter.principal_filter = std::nullopt;
    filter.host_filter = "h";
    filter.operation = 1;
    filter.permission_type = 1;
    b.null_str().str("h").i8(1).i8(1).tags().tags();
  });
  check_versions<DeleteAclsResponse>({0, 1, 2}, "response", [](int16_t v, DeleteAclsResponse& m, B& b) {
    m.throttle_time_ms = 0;
    auto& result = m.filter_results.emplace_back();
    result.error_code = 0;
    result.error_message = std::nullopt;
    b.i32(0).arr(1).i16(0).null_str().arr(1);
    auto& acl = result.matching_acls.emplace_back();
    acl.error_code = 0;
    acl.error_message = std::nullopt;
    acl.resource_type = 2;
    acl.resource_name = "orders";
    b.i16(0).null_str().i8(2).str("orders");
    if (v >= 1) {
      acl.pattern_type = 3;
      b.i8(3);
    }
    acl.principal = "User:alice";
    acl.host = "*";
    acl.operation = 4;
    acl.permission_type = 2;
    b.str("User:alice").str("*").i8(4).i8(2).tags().tags().tags();
  });
}

TEST(KafkaProtoGolden, SaslHandshake) {
  check_versions<SaslHandshakeRequest>({0, 1}, "request", [](int16_t, SaslHandshakeRequest& m, B& b) {
    m.mechanism = "PLAIN";
    b.str("PLAIN");
  });
  check_versions<SaslHandshakeResponse>({0, 1}, "response", [](int16_t, SaslHandshakeResponse& m, B& b) {
    m.error_code = errc::kUnsupportedSaslMechanism;
    m.mechanisms = {"PLAIN", "SCRAM-SHA-256"};
    b.i16(33).arr(2).str("PLAIN").str("SCRAM-SHA-256");
  });
}

TEST(KafkaProtoGolden, SaslAuthenticate) {
  check_versions<SaslAuthenticateRequest>({0, 1}, "request", [](int16_t, SaslAuthenticateRequest& m, B& b) {
    m.auth_bytes = to_bytes(std::string_view("\0alice\0secret", 13));
    b.bytes(std::string_view("\0alice\0secret", 13));
  });
  check_versions<SaslAuthenticateResponse>({0, 1}, "response", [](int16_t v, SaslAuthenticateResponse& m, B& b) {
    m.error_code = 0;
    m.error_message = std::nullopt;
    m.auth_bytes = {};
    b.i16(0).null_str().bytes("");
    if (v >= 1) {
      m.session_lifetime_ms = 3600000;
      b.i64(3600000);
    }
  });
}

}  // namespace
}  // namespace kz::kafka
