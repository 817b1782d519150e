#include "core/kafka/client/partitioner.h"

#include "core/base/assert.h"

namespace kz::kafka::client {

int32_t murmur2(std::span<const uint8_t> data) {
  // All arithmetic is on uint32_t: Java's int overflow wraps the same way, and unsigned shifts
  // are Java's >>>.
  const uint32_t length = static_cast<uint32_t>(data.size());
  const uint32_t seed = 0x9747b28c;
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  uint32_t h = seed ^ length;
  const uint32_t blocks = length / 4;
  for (uint32_t i = 0; i < blocks; i++) {
    const uint8_t* p = data.data() + 4 * i;
    uint32_t k = uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const uint8_t* tail = data.data() + 4 * blocks;
  switch (length % 4) {
    case 3:
      h ^= uint32_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      h ^= uint32_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      h ^= uint32_t{tail[0]};
      h *= m;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t Partitioner::partition(const std::optional<std::span<const uint8_t>>& key, int32_t partitions) {
  KZ_ASSERT_MSG(partitions > 0, "partition() needs at least one partition");
  if (key.has_value()) return to_positive(murmur2(*key)) % partitions;
  int32_t p = static_cast<int32_t>(next_unkeyed_ % static_cast<uint32_t>(partitions));
  next_unkeyed_++;
  return p;
}

}  // namespace kz::kafka::client
