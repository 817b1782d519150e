// Partitioners: which partition a record goes to. Keyed records use the Java client's rule,
// toPositive(murmur2(key)) % partitions, so kz, the Java client and librdkafka's
// "murmur2_random" partitioner put the same key on the same partition. Records without a key are
// spread round-robin over the partitions (a deterministic counter, no randomness).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace kz::kafka::client {

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), seed 0x9747b28c.
int32_t murmur2(std::span<const uint8_t> data);
// Utils.toPositive: clears the sign bit (not abs(): abs(INT32_MIN) is negative).
inline int32_t to_positive(int32_t n) { return n & 0x7fffffff; }

class Partitioner {
 public:
  // REQUIRES: partitions > 0.
  int32_t partition(const std::optional<std::span<const uint8_t>>& key, int32_t partitions);

 private:
  uint32_t next_unkeyed_ = 0;
};

}  // namespace kz::kafka::client
