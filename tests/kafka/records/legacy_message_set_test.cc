#include "core/kafka/records/legacy_message_set.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/kafka/records/crc32c.h"
#include "tests/kafka/records/record_gen.h"

namespace kz::kafka {
namespace {

using testing::make_record;

const Compression kLegacyCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy, Compression::kLz4};

std::vector<Record> sample_records(int64_t first_offset, int count) {
  std::vector<Record> records;
  for (int i = 0; i < count; i++) {
    Record r = make_record(first_offset + i, 1000 + i, "key" + std::to_string(i), "value-" + std::to_string(i));
    if (i % 3 == 1) r.key.reset();
    if (i % 4 == 3) r.value.reset();
    records.push_back(std::move(r));
  }
  return records;
}

// A v0 message written out field by field from the spec.
TEST(KafkaRecLegacy, V0LayoutMatchesTheSpec) {
  std::vector<Record> records = {make_record(5, 0, "k", "val")};
  Bytes out;
  ASSERT_TRUE(append_message_set(kMagicV0, Compression::kNone, TimestampType::kCreateTime, records, &out).is_ok());
  Bytes expected = {0, 0, 0, 0, 0, 0, 0, 5,  // offset
                    0, 0, 0, 0,              // messageSize, patched below
                    0, 0, 0, 0,              // crc, patched below
                    0,                       // magic
                    0,                       // attributes
                    0, 0, 0, 1, 'k',         // key
                    0, 0, 0, 3, 'v', 'a', 'l'};
  expected[11] = static_cast<uint8_t>(expected.size() - 12);
  store_be32(expected.data() + 12, crc32_ieee(ByteSpan(expected).subspan(16)));
  EXPECT_EQ(out, expected);
}

TEST(KafkaRecLegacy, V1LayoutCarriesTimestamp) {
  std::vector<Record> records = {make_record(0, 0x0102030405, "", "")};
  records[0].key.reset();
  Bytes out;
  ASSERT_TRUE(append_message_set(kMagicV1, Compression::kNone, TimestampType::kCreateTime, records, &out).is_ok());
  ASSERT_EQ(out.size(), 12u + 22u);
  EXPECT_EQ(out[16], 1);
  EXPECT_EQ(load_be64(out.data() + 18), 0x0102030405u);
  EXPECT_EQ(load_be32(out.data() + 26), 0xFFFFFFFFu);  // null key
  EXPECT_EQ(load_be32(out.data() + 30), 0u);           // empty value
}

TEST(KafkaRecLegacy, RoundTripEveryMagicAndCodec) {
  for (int8_t magic : {kMagicV0, kMagicV1}) {
    for (Compression codec : kLegacyCodecs) {
      const std::vector<Record> records = sample_records(500, 12);
      Bytes out;
      ASSERT_TRUE(append_message_set(magic, codec, TimestampType::kCreateTime, records, &out).is_ok());
      std::vector<LegacyMessage> messages;
      size_t tail = 99;
      Status s = decode_message_set(out, DecodeOptions{}, &messages, &tail);
      ASSERT_TRUE(s.is_ok()) << s.to_string();
      EXPECT_EQ(tail, 0u);
      ASSERT_EQ(messages.size(), records.size());
      for (size_t i = 0; i < records.size(); i++) {
        EXPECT_EQ(messages[i].offset, records[i].offset) << int(magic) << compression_name(codec);
        EXPECT_EQ(messages[i].magic, magic);
        EXPECT_EQ(messages[i].key, records[i].key);
        EXPECT_EQ(messages[i].value, records[i].value);
        EXPECT_EQ(messages[i].timestamp_ms, magic == kMagicV1 ? records[i].timestamp_ms : kNoTimestamp);
        EXPECT_EQ(messages[i].wrapper_compression, codec);
      }
    }
  }
}

TEST(KafkaRecLegacy, CompressedV1UsesRelativeInnerOffsets) {
  const std::vector<Record> records = sample_records(1000, 3);
  Bytes out;
  ASSERT_TRUE(append_message_set(kMagicV1, Compression::kGzip, TimestampType::kCreateTime, records, &out).is_ok());
  // One wrapper at the last offset; its value holds inner offsets 0, 1, 2.
  EXPECT_EQ(load_be64(out.data()), 1002u);
  EXPECT_EQ(out[17] & 0x07, 1);
  const int32_t value_bytes = static_cast<int32_t>(load_be32(out.data() + 12 + 4 + 2 + 8 + 4));
  Bytes inner;
  ASSERT_TRUE(decompress(Compression::kGzip, ByteSpan(out).subspan(34, value_bytes), DecompressOptions{}, &inner).is_ok());
  EXPECT_EQ(load_be64(inner.data()), 0u);
  // Wrapper timestamp is the largest inner one.
  EXPECT_EQ(load_be64(out.data() + 18), 1002u);
}

TEST(KafkaRecLegacy, LogAppendTimeWrapperOverridesInnerTimestamps) {
  const std::vector<Record> records = sample_records(0, 3);
  Bytes out;
  ASSERT_TRUE(append_message_set(kMagicV1, Compression::kSnappy, TimestampType::kLogAppendTime, records, &out).is_ok());
  // Stamp the wrapper as a broker would, then fix its CRC.
  store_be64(out.data() + 18, 777);
  store_be32(out.data() + 12, crc32_ieee(ByteSpan(out).subspan(16)));
  std::vector<LegacyMessage> messages;
  ASSERT_TRUE(decode_message_set(out, DecodeOptions{}, &messages, nullptr).is_ok());
  ASSERT_EQ(messages.size(), 3u);
  for (const LegacyMessage& m : messages) {
    EXPECT_EQ(m.timestamp_ms, 777);
    EXPECT_EQ(m.timestamp_type, TimestampType::kLogAppendTime);
  }
}

TEST(KafkaRecLegacy, PartialTrailingMessageStopsCleanly) {
  const std::vector<Record> records = sample_records(0, 4);
  Bytes out;
  ASSERT_TRUE(append_message_set(kMagicV1, Compression::kNone, TimestampType::kCreateTime, records, &out).is_ok());
  for (size_t cut = 1; cut < 20; cut++) {
    std::vector<LegacyMessage> messages;
    size_t tail = 0;
    ASSERT_TRUE(decode_message_set(ByteSpan(out).first(out.size() - cut), DecodeOptions{}, &messages, &tail).is_ok());
    EXPECT_EQ(messages.size(), 3u);
    EXPECT_GT(tail, 0u);
  }
}

TEST(KafkaRecLegacy, CorruptionIsNamed) {
  const std::vector<Record> records = sample_records(0, 2);
  Bytes good;
  ASSERT_TRUE(append_message_set(kMagicV0, Compression::kNone, TimestampType::kCreateTime, records, &good).is_ok());
  // Recomputes the first message's CRC after an edit, so the check under test is reached.
  auto fix_crc = [](Bytes* bytes) {
    const size_t size = load_be32(bytes->data() + 8);
    store_be32(bytes->data() + 12, crc32_ieee(ByteSpan(*bytes).subspan(16, size - 4)));
  };
  auto decode = [](const Bytes& bytes) {
    std::vector<LegacyMessage> messages;
    return decode_message_set(bytes, DecodeOptions{}, &messages, nullptr);
  };
  Bytes flipped = good;
  flipped[25] ^= 0x40;
  EXPECT_NE(decode(flipped).message().find("crc mismatch at offset 0"), std::string::npos);
  Bytes tiny = good;
  store_be32(tiny.data() + 8, 5);
  EXPECT_NE(decode(tiny).message().find("messageSize 5"), std::string::npos);
  Bytes magic2 = good;
  magic2[16] = 2;
  fix_crc(&magic2);
  EXPECT_NE(decode(magic2).message().find("magic 2"), std::string::npos) << decode(magic2).to_string();
  // A wrapper claiming zstd (needs magic 2).
  Bytes zstd = good;
  zstd[17] = 4;
  fix_crc(&zstd);
  EXPECT_NE(decode(zstd).message().find("zstd needs magic 2"), std::string::npos) << decode(zstd).to_string();
}

TEST(KafkaRecLegacy, NestedCompressionIsRejected) {
  const std::vector<Record> records = sample_records(0, 2);
  Bytes inner_wrapper;
  ASSERT_TRUE(append_message_set(kMagicV1, Compression::kGzip, TimestampType::kCreateTime, records, &inner_wrapper).is_ok());
  Bytes compressed;
  ASSERT_TRUE(compress(Compression::kGzip, inner_wrapper, CompressOptions{}, &compressed).is_ok());
  Record outer = make_record(1, 0, "", "");
  outer.key.reset();
  outer.value = compressed;
  Bytes set;
  ASSERT_TRUE(append_message_set(kMagicV1, Compression::kNone, TimestampType::kCreateTime, {&outer, 1}, &set).is_ok());
  set[17] = 1;  // mark the outer message gzip
  store_be32(set.data() + 12, crc32_ieee(ByteSpan(set).subspan(16)));
  std::vector<LegacyMessage> messages;
  Status s = decode_message_set(set, DecodeOptions{}, &messages, nullptr);
  EXPECT_NE(s.message().find("nested compression"), std::string::npos) << s.to_string();
}

TEST(KafkaRecLegacy, ConvertToV2KeepsRecordsAndCodec) {
  const std::vector<Record> records = sample_records(70, 6);
  Bytes legacy;
  ASSERT_TRUE(append_message_set(kMagicV1, Compression::kLz4, TimestampType::kCreateTime, records, &legacy).is_ok());
  BatchOptions options;
  options.base_offset = 0;
  Result<Bytes> batch = convert_message_set_to_v2(legacy, DecodeOptions{}, options, true);
  ASSERT_TRUE(batch.is_ok()) << batch.status().to_string();
  Result<BatchView> view = BatchView::parse(*batch);
  ASSERT_TRUE(view.is_ok());
  EXPECT_EQ(view->compression(), Compression::kLz4);
  std::vector<Record> out;
  ASSERT_TRUE(view->decode_records(DecodeOptions{}, &out).is_ok());
  ASSERT_EQ(out.size(), records.size());
  for (size_t i = 0; i < out.size(); i++) {
    EXPECT_EQ(out[i].offset, static_cast<int64_t>(i));  // producer offsets are placeholders
    EXPECT_EQ(out[i].timestamp_ms, records[i].timestamp_ms);
    EXPECT_EQ(out[i].key, records[i].key);
    EXPECT_EQ(out[i].value, records[i].value);
  }
  // Truncated produce payloads are corrupt, not partial.
  EXPECT_FALSE(convert_message_set_to_v2(ByteSpan(legacy).first(legacy.size() - 1), DecodeOptions{}, options, true).is_ok());
}

TEST(KafkaRecLegacy, DownConvertV2ForOldFetch) {
  std::vector<Record> records = sample_records(300, 5);
  records[0].headers.push_back({"dropped", Bytes{1}});
  for (int8_t magic : {kMagicV0, kMagicV1}) {
    for (Compression codec : kLegacyCodecs) {
      BatchOptions options;
      options.base_offset = 300;
      options.compression = codec;
      Result<Bytes> batch = build_batch(options, records);
      ASSERT_TRUE(batch.is_ok());
      Bytes legacy;
      ASSERT_TRUE(down_convert_batch(*BatchView::parse(*batch), magic, DecodeOptions{}, &legacy).is_ok());
      std::vector<LegacyMessage> messages;
      ASSERT_TRUE(decode_message_set(legacy, DecodeOptions{}, &messages, nullptr).is_ok());
      ASSERT_EQ(messages.size(), records.size());
      for (size_t i = 0; i < records.size(); i++) {
        EXPECT_EQ(messages[i].offset, records[i].offset);
        EXPECT_EQ(messages[i].value, records[i].value);
        EXPECT_EQ(messages[i].wrapper_compression, codec);
      }
    }
  }
  BatchOptions zstd;
  zstd.base_offset = 300;
  zstd.compression = Compression::kZstd;
  Bytes legacy;
  EXPECT_EQ(down_convert_batch(*BatchView::parse(*build_batch(zstd, records)), kMagicV1, DecodeOptions{}, &legacy).code(),
            Code::kUnsupported);
  BatchOptions marker;
  marker.producer_id = 1;
  marker.producer_epoch = 0;
  const Bytes control = *build_control_batch(marker, ControlType::kCommit, 0, 0);
  EXPECT_TRUE(down_convert_batch(*BatchView::parse(control), kMagicV1, DecodeOptions{}, &legacy).is_ok());
  EXPECT_TRUE(legacy.empty());
}

TEST(KafkaRecLegacy, MixedRecordSetDecodes) {
  Bytes buffer;
  const std::vector<Record> old_records = sample_records(0, 3);
  ASSERT_TRUE(append_message_set(kMagicV1, Compression::kGzip, TimestampType::kCreateTime, old_records, &buffer).is_ok());
  ASSERT_TRUE(append_message_set(kMagicV0, Compression::kNone, TimestampType::kCreateTime,
                                 std::vector<Record>{make_record(3, 0, "a", "b")}, &buffer).is_ok());
  BatchOptions marker;
  marker.base_offset = 4;
  marker.producer_id = 1;
  marker.producer_epoch = 0;
  const Bytes control = *build_control_batch(marker, ControlType::kCommit, 0, 0);
  buffer.insert(buffer.end(), control.begin(), control.end());
  BatchOptions options;
  options.base_offset = 5;
  options.compression = Compression::kZstd;
  ASSERT_TRUE(append_batch(options, std::vector<Record>{make_record(5, 9, "x", "y"), make_record(6, 9, "x", "z")},
                           &buffer).is_ok());
  for (size_t cut : {size_t{0}, size_t{5}}) {
    std::vector<Record> out;
    size_t tail = 0;
    Status s = decode_record_set(ByteSpan(buffer).first(buffer.size() - cut), DecodeOptions{}, &out, &tail);
    ASSERT_TRUE(s.is_ok()) << s.to_string();
    std::vector<int64_t> offsets;
    for (const Record& r : out) offsets.push_back(r.offset);
    if (cut == 0) {
      EXPECT_EQ(offsets, (std::vector<int64_t>{0, 1, 2, 3, 5, 6}));
      EXPECT_EQ(tail, 0u);
    } else {
      EXPECT_EQ(offsets, (std::vector<int64_t>{0, 1, 2, 3}));
      EXPECT_GT(tail, 0u);
    }
  }
}

}  // namespace
}  // namespace kz::kafka
