// CRC-32C: the hardware path (SSE4.2, when the CPU has it) and the table path must agree with the
// bit-at-a-time definition for every length and alignment, and with the published check value.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/zk/storage/checksum.h"

namespace kz::zk::storage {
namespace {

uint32_t crc32c_bitwise(std::span<const uint8_t> data) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : data) {
    c ^= b;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(ZkChecksum, Crc32cCheckValue) {
  EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c(bytes_of("")), 0u);
}

RC_GTEST_PROP(ZkChecksum, MatchesBitwiseDefinitionAtAnyOffsetAndSplit, (std::vector<uint8_t> data, uint8_t offset)) {
  const size_t skip = data.empty() ? 0 : offset % data.size();
  std::span<const uint8_t> tail = std::span<const uint8_t>(data).subspan(skip);
  RC_ASSERT(crc32c(tail) == crc32c_bitwise(tail));
  const size_t cut = tail.size() / 3;
  RC_ASSERT(crc32c_extend(crc32c(tail.first(cut)), tail.subspan(cut)) == crc32c(tail));
}

}  // namespace
}  // namespace kz::zk::storage
