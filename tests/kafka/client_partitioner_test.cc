// The producer's partitioner: Kafka's murmur2 against known vectors (Kafka's UtilsTest, cross-checked
// with kafka-python's murmur2), and the keyed / unkeyed partition choice.
#include <gtest/gtest.h>

#include <string_view>

#include "core/kafka/client/partitioner.h"

namespace kz::kafka::client {
namespace {

int32_t hash(std::string_view s) {
  return murmur2(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

TEST(ClientPartitioner, Murmur2KnownVectors) {
  EXPECT_EQ(hash("21"), -973932308);
  EXPECT_EQ(hash("foobar"), -790332482);
  EXPECT_EQ(hash("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(hash("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(hash("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(hash("abc"), 479470107);
  // Every tail length (0..3 bytes after the 4-byte blocks).
  EXPECT_EQ(static_cast<uint32_t>(hash("")), 275646681u);
  EXPECT_EQ(static_cast<uint32_t>(hash("kafka")), 3496464228u);
  EXPECT_EQ(static_cast<uint32_t>(hash("key-1")), 193331640u);
}

TEST(ClientPartitioner, ToPositiveClearsTheSignBitOnly) {
  EXPECT_EQ(to_positive(-1), 0x7fffffff);
  EXPECT_EQ(to_positive(INT32_MIN), 0);
  EXPECT_EQ(to_positive(5), 5);
}

TEST(ClientPartitioner, KeyedRecordsFollowTheJavaRule) {
  Partitioner p;
  auto key = [](std::string_view s) {
    return std::optional<std::span<const uint8_t>>(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  // (murmur2(key) & 0x7fffffff) % n, computed by hand from the vectors above.
  EXPECT_EQ(p.partition(key("foobar"), 3), static_cast<int32_t>((3504634814u & 0x7fffffffu) % 3));
  EXPECT_EQ(p.partition(key("key-1"), 7), static_cast<int32_t>(193331640u % 7));
  EXPECT_EQ(p.partition(key("21"), 10), static_cast<int32_t>((3321034988u & 0x7fffffffu) % 10));
  // The same key always lands on the same partition.
  for (int i = 0; i < 5; i++) EXPECT_EQ(p.partition(key("kafka"), 6), p.partition(key("kafka"), 6));
}

TEST(ClientPartitioner, UnkeyedRecordsGoRoundRobin) {
  Partitioner p;
  std::vector<int32_t> seen;
  for (int i = 0; i < 6; i++) seen.push_back(p.partition(std::nullopt, 3));
  EXPECT_EQ(seen, (std::vector<int32_t>{0, 1, 2, 0, 1, 2}));
}

}  // namespace
}  // namespace kz::kafka::client
