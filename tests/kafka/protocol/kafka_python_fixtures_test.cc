// Cross-checks kz's codecs against bodies encoded by kafka-python 2.0.2 (an independent
// implementation), committed as hex in fixtures/kafka_python.txt by make_kafka_python_fixtures.py.
// For every non-flexible (api, version) both serve: kz decodes the body with nothing left over,
// re-encodes it to the very same bytes, and rejects every truncation of it.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/kafka/protocol/protocol.h"
#include "tests/kafka/protocol/golden.h"

namespace kz::kafka {
namespace {

using testing::hex;
using testing::to_bytes;
using testing::unhex;

struct Fixture {
  int16_t api_key = 0;
  int16_t version = 0;
  std::string direction;
  std::string class_name;
  std::string body_hex;
};

std::vector<Fixture> load_fixtures() {
  std::ifstream in(std::string(KZ_SOURCE_DIR) + "/tests/kafka/protocol/fixtures/kafka_python.txt");
  std::vector<Fixture> fixtures;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Fixture f;
    fields >> f.api_key >> f.version >> f.direction >> f.class_name >> f.body_hex;
    fixtures.push_back(f);
  }
  return fixtures;
}

TEST(KafkaProtoKafkaPython, EveryFixtureDecodesAndReencodesIdentically) {
  std::vector<Fixture> fixtures = load_fixtures();
  ASSERT_GE(fixtures.size(), 160u) << "fixture file missing or truncated";
  std::set<int16_t> keys;
  for (const Fixture& f : fixtures) {
    SCOPED_TRACE(f.class_name + " (api " + std::to_string(f.api_key) + " v" + std::to_string(f.version) + ")");
    keys.insert(f.api_key);
    std::vector<uint8_t> body = unhex(f.body_hex);
    Writer writer;
    if (f.direction == "request") {
      auto decoded = decode_request_body(f.api_key, f.version, body);
      if (!decoded.is_ok()) {
        ADD_FAILURE() << decoded.status().to_string();
        continue;
      }
      EXPECT_TRUE(encode_request_body(*decoded, f.version, writer).is_ok());
      for (size_t n = 0; n < body.size(); n++) {
        EXPECT_FALSE(decode_request_body(f.api_key, f.version, std::span<const uint8_t>(body.data(), n)).is_ok());
      }
    } else {
      EXPECT_EQ(f.direction, "response");
      auto decoded = decode_response_body(f.api_key, f.version, body);
      if (!decoded.is_ok()) {
        ADD_FAILURE() << decoded.status().to_string();
        continue;
      }
      EXPECT_TRUE(encode_response_body(*decoded, f.version, writer).is_ok());
      for (size_t n = 0; n < body.size(); n++) {
        EXPECT_FALSE(decode_response_body(f.api_key, f.version, std::span<const uint8_t>(body.data(), n)).is_ok());
      }
    }
    EXPECT_EQ(hex(writer.data()), f.body_hex);
  }
  // kafka-python covers these kz APIs at some non-flexible version.
  for (int16_t key : {0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 29, 30, 31, 32, 33, 36, 37, 42}) {
    EXPECT_TRUE(keys.count(key)) << "no kafka-python fixture for api " << key;
  }
}

// Field-level spot checks on kafka-python bytes: the filler gives every field a distinct value
// (ints count up, strings are "s<n>"), so a field decoded into the wrong member shows here.
TEST(KafkaProtoKafkaPython, FieldsLandInTheRightMembers) {
  for (const Fixture& f : load_fixtures()) {
    if (f.api_key == 0 && f.version == 3 && f.direction == "request") {
      auto decoded = decode_request_body(0, 3, unhex(f.body_hex));
      ASSERT_TRUE(decoded.is_ok());
      const auto& produce = std::get<ProduceRequest>(*decoded);
      EXPECT_EQ(produce.transactional_id, "s1");
      EXPECT_EQ(produce.acks, 1002);
      EXPECT_EQ(produce.timeout_ms, 100003);
      ASSERT_EQ(produce.topics.size(), 2u);
      EXPECT_EQ(produce.topics[0].name, "s4");
      EXPECT_EQ(produce.topics[0].partitions[0].partition_index, 100005);
      EXPECT_EQ(produce.topics[0].partitions[0].records, to_bytes("b6"));
    }
    if (f.api_key == 11 && f.version == 2 && f.direction == "request") {
      auto decoded = decode_request_body(11, 2, unhex(f.body_hex));
      ASSERT_TRUE(decoded.is_ok());
      const auto& join = std::get<JoinGroupRequest>(*decoded);
      EXPECT_EQ(join.group_id, "s1");
      EXPECT_EQ(join.session_timeout_ms, 100002);
      EXPECT_EQ(join.rebalance_timeout_ms, 100003);
      EXPECT_EQ(join.member_id, "s4");
      EXPECT_EQ(join.protocol_type, "s5");
    }
    if (f.api_key == 3 && f.version == 5 && f.direction == "response") {
      auto decoded = decode_response_body(3, 5, unhex(f.body_hex));
      ASSERT_TRUE(decoded.is_ok());
      const auto& metadata = std::get<MetadataResponse>(*decoded);
      EXPECT_EQ(metadata.throttle_time_ms, 100001);
      EXPECT_EQ(metadata.brokers[0].node_id, 100002);
      EXPECT_EQ(metadata.brokers[0].host, "s3");
      EXPECT_EQ(metadata.brokers[0].port, 100004);
      EXPECT_EQ(metadata.brokers[0].rack, "s5");
    }
  }
}

}  // namespace
}  // namespace kz::kafka
