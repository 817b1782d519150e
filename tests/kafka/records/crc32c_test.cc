#include "core/kafka/records/crc32c.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string_view>
#include <vector>

#include "core/kafka/records/byte_io.h"

namespace kz::kafka {
namespace {

// Vectors from RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value.
struct Vector {
  std::vector<uint8_t> data;
  uint32_t crc;
};

std::vector<Vector> known_vectors() {
  std::vector<Vector> v;
  v.push_back({std::vector<uint8_t>(as_bytes("123456789").begin(), as_bytes("123456789").end()), 0xE3069283});
  v.push_back({std::vector<uint8_t>(32, 0x00), 0x8A9136AA});
  v.push_back({std::vector<uint8_t>(32, 0xFF), 0x62A8AB43});
  std::vector<uint8_t> ascending(32);
  std::vector<uint8_t> descending(32);
  for (int i = 0; i < 32; i++) {
    ascending[i] = static_cast<uint8_t>(i);
    descending[i] = static_cast<uint8_t>(31 - i);
  }
  v.push_back({ascending, 0x46DD794E});
  v.push_back({descending, 0x113FDB5C});
  v.push_back({{}, 0});
  return v;
}

TEST(KafkaRecCrc32c, KnownVectorsPortable) {
  for (const Vector& v : known_vectors()) EXPECT_EQ(crc32c_extend_portable(0, v.data), v.crc);
}

// Every x86-64 CPU kz targets has SSE4.2 (2008 on); failing here means detection broke.
TEST(KafkaRecCrc32c, HardwareDetected) {
#if defined(__x86_64__)
  EXPECT_TRUE(crc32c_hardware_available());
#endif
}

TEST(KafkaRecCrc32c, KnownVectorsHardware) {
  ASSERT_TRUE(crc32c_hardware_available());
  for (const Vector& v : known_vectors()) EXPECT_EQ(crc32c_extend_hardware(0, v.data), v.crc);
}

TEST(KafkaRecCrc32c, DispatchMatchesKnownVector) { EXPECT_EQ(crc32c(as_bytes("123456789")), 0xE3069283u); }

TEST(KafkaRecCrc32c, Crc32IeeeKnownVector) { EXPECT_EQ(crc32_ieee(as_bytes("123456789")), 0xCBF43926u); }

// Sizes around the hardware path's block boundaries (3 x 256 and 3 x 8192 bytes), at odd alignments.
TEST(KafkaRecCrc32c, HardwareMatchesPortableAcrossBlockBoundaries) {
  ASSERT_TRUE(crc32c_hardware_available());
  std::vector<uint8_t> data(3 * 8192 * 2 + 64);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (uint8_t& b : data) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<uint8_t>(x);
  }
  const size_t sizes[] = {0, 1, 7, 8, 9, 767, 768, 769, 1000, 24575, 24576, 24577, 30000, 49152 + 17};
  for (size_t align = 0; align < 8; align++) {
    for (size_t size : sizes) {
      std::span<const uint8_t> s(data.data() + align, size);
      ASSERT_EQ(crc32c_extend_hardware(0x12345678, s), crc32c_extend_portable(0x12345678, s))
          << "size " << size << " align " << align;
    }
  }
}

RC_GTEST_PROP(KafkaRecCrc32cProp, HardwareEqualsPortable, (const std::vector<uint8_t>& data, uint32_t seed)) {
  RC_ASSERT(crc32c_hardware_available());
  RC_ASSERT(crc32c_extend_hardware(seed, data) == crc32c_extend_portable(seed, data));
}

RC_GTEST_PROP(KafkaRecCrc32cProp, ExtendIsConcatenation, (const std::vector<uint8_t>& a, const std::vector<uint8_t>& b)) {
  std::vector<uint8_t> ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  RC_ASSERT(crc32c_extend(crc32c(a), b) == crc32c(ab));
  RC_ASSERT(crc32c_extend_portable(crc32c_extend_portable(0, a), b) == crc32c_extend_portable(0, ab));
}

}  // namespace
}  // namespace kz::kafka
