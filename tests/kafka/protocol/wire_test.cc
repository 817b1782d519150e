// Kafka wire primitives: byte layouts from the protocol spec, varint edge cases, and hostile input
// (truncation, absurd lengths, overlong varints) that must give errors, never crashes or
// allocations sized by the attacker.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>

#include "core/kafka/protocol/wire.h"
#include "tests/kafka/protocol/golden.h"

namespace kz::kafka {
namespace {

using testing::hex;
using testing::unhex;

TEST(KafkaProtoWire, FixedWidthIntegersAreBigEndian) {
  Writer w;
  w.int8(-2);
  w.int16(0x0102);
  w.int32(-1);
  w.int64(0x0102030405060708);
  w.boolean(true);
  w.float64(1.5);
  EXPECT_EQ(hex(w.data()), "fe0102ffffffff010203040506070801" "3ff8000000000000");
  Reader r(w.data());
  int8_t a = 0;
  int16_t b = 0;
  int32_t c = 0;
  int64_t d = 0;
  bool e = false;
  double f = 0;
  ASSERT_TRUE(r.int8(&a).is_ok());
  ASSERT_TRUE(r.int16(&b).is_ok());
  ASSERT_TRUE(r.int32(&c).is_ok());
  ASSERT_TRUE(r.int64(&d).is_ok());
  ASSERT_TRUE(r.boolean(&e).is_ok());
  ASSERT_TRUE(r.float64(&f).is_ok());
  EXPECT_EQ(a, -2);
  EXPECT_EQ(b, 0x0102);
  EXPECT_EQ(c, -1);
  EXPECT_EQ(d, 0x0102030405060708);
  EXPECT_TRUE(e);
  EXPECT_EQ(f, 1.5);
  EXPECT_TRUE(r.empty());
}

TEST(KafkaProtoWire, VarintsMatchTheSpecExamples) {
  // Unsigned varint 300 = 0xac 0x02 (protobuf's example, which Kafka shares).
  Writer w;
  w.unsigned_varint(300);
  w.unsigned_varint(0);
  w.unsigned_varint(std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(hex(w.data()), "ac0200ffffffff0f");
  // Zigzag: 0->0, -1->1, 1->2, -2->3, 63->126, -64->127, 64->128 (two bytes).
  Writer z;
  for (int32_t v : {0, -1, 1, -2, 63, -64, 64}) z.varint(v);
  EXPECT_EQ(hex(z.data()), "000102037e7f8001");
  Writer l;
  l.varlong(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(hex(l.data()), "ffffffffffffffffff01");
}

TEST(KafkaProtoWire, CompactAndClassicStrings) {
  Writer w;
  ASSERT_TRUE(w.string("ab", false).is_ok());
  ASSERT_TRUE(w.string("ab", true).is_ok());
  ASSERT_TRUE(w.nullable_string(std::nullopt, false, true).is_ok());
  ASSERT_TRUE(w.nullable_string(std::nullopt, true, true).is_ok());
  ASSERT_TRUE(w.bytes(std::vector<uint8_t>{7}, false).is_ok());
  ASSERT_TRUE(w.bytes(std::vector<uint8_t>{7}, true).is_ok());
  ASSERT_TRUE(w.array_length(2, false).is_ok());
  ASSERT_TRUE(w.array_length(2, true).is_ok());
  w.null_array(false);
  w.null_array(true);
  EXPECT_EQ(hex(w.data()), "0002616203616" "2ffff00" "0000000107" "0207" "00000002" "03" "ffffffff" "00");
  EXPECT_FALSE(w.nullable_string(std::nullopt, false, /*nullable=*/false).is_ok());
  EXPECT_FALSE(w.string(std::string(40000, 'x'), false).is_ok()) << "int16 length limit";
  EXPECT_TRUE(w.string(std::string(40000, 'x'), true).is_ok());
}

TEST(KafkaProtoWire, NullWhereNotAllowedIsAnError) {
  auto bytes = unhex("ffff");
  Reader r(bytes);
  std::string s;
  Status status = r.string(&s, false);
  EXPECT_EQ(status.code(), Code::kCorruption);
  EXPECT_NE(status.message().find("null"), std::string::npos) << status.message();
  auto compact_null = unhex("00");
  Reader rc(compact_null);
  int32_t count = 0;
  EXPECT_FALSE(rc.array_length(&count, true, false, 1).is_ok());
  Reader rc2(compact_null);
  ASSERT_TRUE(rc2.array_length(&count, true, true, 1).is_ok());
  EXPECT_EQ(count, -1);
}

TEST(KafkaProtoWire, AbsurdLengthsFailBeforeAllocating) {
  // A string claiming 32767 bytes, bytes claiming 2^31-1, an array claiming 2^31-1 elements, and
  // a compact string claiming 2^32-2 bytes: all must fail against the few bytes actually present.
  auto bytes = unhex("7fff41");
  Reader r1(bytes);
  std::string s;
  EXPECT_EQ(r1.string(&s, false).code(), Code::kCorruption);
  auto big = unhex("7fffffff0102");
  Reader r2(big);
  Bytes out;
  EXPECT_EQ(r2.bytes(&out, false).code(), Code::kCorruption);
  Reader r3(big);
  int32_t count = 0;
  EXPECT_EQ(r3.array_length(&count, false, false, 1).code(), Code::kCorruption);
  auto compact = unhex("ffffffff0f41");
  Reader r4(compact);
  EXPECT_EQ(r4.string(&s, true).code(), Code::kCorruption);
  // Four int32 elements need 16 bytes: a count of 4 with 15 bytes left is rejected up front.
  auto arr = unhex("00000004" "000000000000000000000000000000");
  Reader r5(arr);
  EXPECT_EQ(r5.array_length(&count, false, false, 4).code(), Code::kCorruption);
  auto negative = unhex("fffffffe");
  Reader r6(negative);
  EXPECT_EQ(r6.array_length(&count, false, true, 1).code(), Code::kCorruption);
}

TEST(KafkaProtoWire, OverlongVarintsAreRejected) {
  auto six = unhex("ffffffffff01");
  Reader r(six);
  uint32_t v = 0;
  EXPECT_EQ(r.unsigned_varint(&v).code(), Code::kCorruption);
  auto overflow = unhex("ffffffff1f");  // 5th byte sets bits above 32
  Reader r2(overflow);
  EXPECT_EQ(r2.unsigned_varint(&v).code(), Code::kCorruption);
  auto eleven = unhex("ffffffffffffffffffff01");
  Reader r3(eleven);
  uint64_t l = 0;
  EXPECT_EQ(r3.unsigned_varlong(&l).code(), Code::kCorruption);
  auto truncated = unhex("80");
  Reader r4(truncated);
  EXPECT_EQ(r4.unsigned_varint(&v).code(), Code::kCorruption);
}

TEST(KafkaProtoWire, TruncatedFixedWidthReadsFail) {
  auto bytes = unhex("010203");
  Reader r(bytes);
  int32_t v = 0;
  Status status = r.int32(&v);
  EXPECT_EQ(status.code(), Code::kCorruption);
  EXPECT_EQ(status.message(), "need 4 bytes, 3 left");
  EXPECT_EQ(r.remaining_bytes(), 3u) << "a failed read consumes nothing";
  Uuid id{};
  EXPECT_FALSE(r.uuid(&id).is_ok());
}

RC_GTEST_PROP(KafkaProtoWire, VarintsRoundTrip, (int32_t a, int64_t b, uint32_t c)) {
  Writer w;
  w.varint(a);
  w.varlong(b);
  w.unsigned_varint(c);
  Reader r(w.data());
  int32_t a2 = 0;
  int64_t b2 = 0;
  uint32_t c2 = 0;
  RC_ASSERT(r.varint(&a2).is_ok());
  RC_ASSERT(r.varlong(&b2).is_ok());
  RC_ASSERT(r.unsigned_varint(&c2).is_ok());
  RC_ASSERT(a2 == a);
  RC_ASSERT(b2 == b);
  RC_ASSERT(c2 == c);
  RC_ASSERT(r.empty());
}

RC_GTEST_PROP(KafkaProtoWire, ArbitraryBytesNeverCrashTheReader, (std::vector<uint8_t> bytes, bool compact)) {
  Reader r(bytes);
  std::optional<std::string> s;
  Bytes b;
  int32_t count = 0;
  uint64_t l = 0;
  // Whatever the outcome, the reader stays within the input.
  (void)r.nullable_string(&s, compact, true);
  (void)r.bytes(&b, compact);
  (void)r.array_length(&count, compact, true, 1);
  (void)r.unsigned_varlong(&l);
  RC_ASSERT(r.position() <= bytes.size());
  if (count > 0) RC_ASSERT(static_cast<size_t>(count) <= bytes.size());
}

}  // namespace
}  // namespace kz::kafka
