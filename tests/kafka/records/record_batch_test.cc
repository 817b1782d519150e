#include "core/kafka/records/record_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/kafka/records/batch_builder.h"
#include "core/kafka/records/crc32c.h"
#include "tests/kafka/records/record_gen.h"

namespace kz::kafka {
namespace {

using testing::make_record;

const Compression kAllCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy, Compression::kLz4,
                                  Compression::kZstd};

std::vector<Record> decode_or_die(ByteSpan bytes) {
  Result<BatchView> view = BatchView::parse(bytes);
  EXPECT_TRUE(view.is_ok()) << view.status().to_string();
  std::vector<Record> out;
  if (!view.is_ok()) return out;
  Status s = view->decode_records(DecodeOptions{}, &out);
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return out;
}

// The layout written out field by field from the spec, independently of the builder.
TEST(KafkaRecBatch, LayoutMatchesTheSpecByteForByte) {
  Record r = make_record(100, 1700000000123, "k", "vv");
  r.headers.push_back({"h", Bytes{'x'}});
  BatchOptions options;
  options.base_offset = 100;
  options.partition_leader_epoch = 7;
  options.producer_id = 42;
  options.producer_epoch = 3;
  options.base_sequence = 9;
  Result<Bytes> built = build_batch(options, std::span<const Record>(&r, 1));
  ASSERT_TRUE(built.is_ok()) << built.status().to_string();

  // Record: attributes 0, timestampDelta 0, offsetDelta 0, key "k", value "vv", 1 header "h" = "x".
  const Bytes record_body = {0x00, 0x00, 0x00, 0x02, 'k', 0x04, 'v', 'v', 0x02, 0x02, 'h', 0x02, 'x'};
  Bytes expected = {
      0, 0, 0, 0, 0, 0, 0, 100,  // baseOffset
      0, 0, 0, 0,                // batchLength, patched below
      0, 0, 0, 7,                // partitionLeaderEpoch
      2,                         // magic
      0, 0, 0, 0,                // crc, patched below
      0, 0,                      // attributes
      0, 0, 0, 0,                // lastOffsetDelta
  };
  const uint64_t ts = 1700000000123;
  for (int i = 7; i >= 0; i--) expected.push_back(static_cast<uint8_t>(ts >> (8 * i)));  // baseTimestamp
  for (int i = 7; i >= 0; i--) expected.push_back(static_cast<uint8_t>(ts >> (8 * i)));  // maxTimestamp
  for (uint8_t b : {0, 0, 0, 0, 0, 0, 0, 42}) expected.push_back(b);                      // producerId
  for (uint8_t b : {0, 3}) expected.push_back(b);                                         // producerEpoch
  for (uint8_t b : {0, 0, 0, 9}) expected.push_back(b);                                   // baseSequence
  for (uint8_t b : {0, 0, 0, 1}) expected.push_back(b);                                   // recordCount
  ASSERT_EQ(expected.size(), 61u);
  expected.push_back(static_cast<uint8_t>(record_body.size() * 2));  // zig-zag varint length 13 -> 26
  expected.insert(expected.end(), record_body.begin(), record_body.end());
  expected[11] = static_cast<uint8_t>(expected.size() - 12);
  const uint32_t crc = crc32c_extend_portable(0, ByteSpan(expected).subspan(21));
  expected[17] = static_cast<uint8_t>(crc >> 24);
  expected[18] = static_cast<uint8_t>(crc >> 16);
  expected[19] = static_cast<uint8_t>(crc >> 8);
  expected[20] = static_cast<uint8_t>(crc);
  EXPECT_EQ(*built, expected);
}

TEST(KafkaRecBatch, HeaderFieldsReadBack) {
  std::vector<Record> records = {make_record(10, 5000, "a", "1"), make_record(11, 7000, "b", "2"),
                                 make_record(14, 4000, "c", "3")};
  BatchOptions options;
  options.base_offset = 10;
  options.partition_leader_epoch = 3;
  options.is_transactional = true;
  options.producer_id = 77;
  options.producer_epoch = 2;
  options.base_sequence = 100;
  options.compression = Compression::kZstd;
  Result<Bytes> bytes = build_batch(options, records);
  ASSERT_TRUE(bytes.is_ok());
  Result<BatchView> view = BatchView::parse(*bytes);
  ASSERT_TRUE(view.is_ok()) << view.status().to_string();
  EXPECT_EQ(view->base_offset(), 10);
  EXPECT_EQ(view->last_offset_delta(), 4);
  EXPECT_EQ(view->last_offset(), 14);
  EXPECT_EQ(view->next_offset(), 15);
  EXPECT_EQ(view->partition_leader_epoch(), 3);
  EXPECT_EQ(view->magic(), 2);
  EXPECT_EQ(view->compression(), Compression::kZstd);
  EXPECT_EQ(view->timestamp_type(), TimestampType::kCreateTime);
  EXPECT_TRUE(view->is_transactional());
  EXPECT_FALSE(view->is_control());
  EXPECT_EQ(view->base_timestamp_ms(), 5000);
  EXPECT_EQ(view->max_timestamp_ms(), 7000);
  EXPECT_EQ(view->producer_id(), 77);
  EXPECT_EQ(view->producer_epoch(), 2);
  EXPECT_EQ(view->base_sequence(), 100);
  EXPECT_EQ(view->record_count(), 3);
  EXPECT_EQ(static_cast<size_t>(view->batch_length()) + 12, bytes->size());
  EXPECT_EQ(decode_or_die(*bytes), records);
}

TEST(KafkaRecBatch, RoundTripEveryCodecWithNullsAndHeaders) {
  std::vector<Record> records;
  for (int i = 0; i < 200; i++) {
    Record r = make_record(1000 + i, 1600000000000 + i, "key-" + std::to_string(i % 7),
                           std::string(50 + i, static_cast<char>('a' + i % 26)));
    if (i % 5 == 0) r.key.reset();
    if (i % 11 == 0) r.value.reset();
    if (i % 3 == 0) r.headers.push_back({"trace", Bytes{1, 2, 3}});
    if (i % 4 == 0) r.headers.push_back({"", std::nullopt});
    records.push_back(std::move(r));
  }
  size_t uncompressed_bytes = 0;
  for (Compression codec : kAllCodecs) {
    BatchOptions options;
    options.base_offset = 1000;
    options.compression = codec;
    Result<Bytes> bytes = build_batch(options, records);
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
    if (codec == Compression::kNone) {
      uncompressed_bytes = bytes->size();
    } else {
      EXPECT_LT(bytes->size(), uncompressed_bytes / 2) << compression_name(codec);
    }
    EXPECT_EQ(decode_or_die(*bytes), records) << compression_name(codec);
  }
}

TEST(KafkaRecBatch, ForEachRecordViewsWithoutCopying) {
  std::vector<Record> records = {make_record(0, 1, "k0", "v0"), make_record(1, 2, "k1", "v1")};
  Result<Bytes> bytes = build_batch(BatchOptions{}, records);
  ASSERT_TRUE(bytes.is_ok());
  Result<BatchView> view = BatchView::parse(*bytes);
  ASSERT_TRUE(view.is_ok());
  Bytes scratch;
  int seen = 0;
  Status s = view->for_each_record(DecodeOptions{}, &scratch, [&](const RecordView& r) {
    // Uncompressed: keys and values point into the batch itself.
    EXPECT_GE(r.key->data(), bytes->data());
    EXPECT_LT(r.value->data(), bytes->data() + bytes->size());
    EXPECT_EQ(r.offset, seen);
    seen++;
    return Status::ok();
  });
  EXPECT_TRUE(s.is_ok());
  EXPECT_EQ(seen, 2);
  EXPECT_TRUE(scratch.empty());
  // An error from the callback stops the walk and comes back.
  int calls = 0;
  Status stopped = view->for_each_record(DecodeOptions{}, &scratch, [&](const RecordView&) {
    calls++;
    return error(Code::kCancelled, "enough");
  });
  EXPECT_EQ(stopped.code(), Code::kCancelled);
  EXPECT_EQ(calls, 1);
}

TEST(KafkaRecBatch, OffsetAndEpochRewriteKeepsCrcAndRecords) {
  std::vector<Record> records = {make_record(0, 10, "a", "x"), make_record(1, 11, "b", "y")};
  BatchOptions options;
  options.compression = Compression::kLz4;
  Result<Bytes> built = build_batch(options, records);
  ASSERT_TRUE(built.is_ok());
  Bytes bytes = *built;
  const uint32_t crc_before = BatchView::parse(bytes)->crc();
  const Bytes records_before(bytes.begin() + 21, bytes.end());
  set_base_offset(bytes, 5000);
  set_partition_leader_epoch(bytes, 12);
  // Exactly bytes [0, 8) and [12, 16) changed; everything the CRC covers is untouched.
  for (size_t i = 0; i < bytes.size(); i++) {
    const bool rewritten = i < 8 || (i >= 12 && i < 16);
    if (!rewritten) {
      EXPECT_EQ(bytes[i], (*built)[i]) << "byte " << i;
    }
  }
  Result<BatchView> view = BatchView::parse(bytes);
  ASSERT_TRUE(view.is_ok()) << view.status().to_string();
  EXPECT_EQ(view->crc(), crc_before);
  EXPECT_EQ(view->base_offset(), 5000);
  EXPECT_EQ(view->partition_leader_epoch(), 12);
  std::vector<Record> out = decode_or_die(bytes);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].offset, 5000);
  EXPECT_EQ(out[1].offset, 5001);
  EXPECT_EQ(out[1].value, records[1].value);
}

TEST(KafkaRecBatch, LogAppendTimeRewriteRecomputesCrc) {
  std::vector<Record> records = {make_record(0, 10, "a", "x"), make_record(1, 20, "b", "y")};
  Result<Bytes> built = build_batch(BatchOptions{}, records);
  ASSERT_TRUE(built.is_ok());
  Bytes bytes = *built;
  set_log_append_time(bytes, 99999);
  Result<BatchView> view = BatchView::parse(bytes);
  ASSERT_TRUE(view.is_ok()) << view.status().to_string();
  EXPECT_EQ(view->timestamp_type(), TimestampType::kLogAppendTime);
  EXPECT_EQ(view->max_timestamp_ms(), 99999);
  EXPECT_EQ(view->base_timestamp_ms(), 10);  // untouched
  for (const Record& r : decode_or_die(bytes)) EXPECT_EQ(r.timestamp_ms, 99999);
}

TEST(KafkaRecBatch, ControlBatchCommitAndAbort) {
  BatchOptions options;
  options.base_offset = 40;
  options.producer_id = 5;
  options.producer_epoch = 1;
  for (ControlType type : {ControlType::kAbort, ControlType::kCommit}) {
    Result<Bytes> bytes = build_control_batch(options, type, 17, 123456);
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
    Result<BatchView> view = BatchView::parse(*bytes);
    ASSERT_TRUE(view.is_ok()) << view.status().to_string();
    EXPECT_TRUE(view->is_control());
    EXPECT_TRUE(view->is_transactional());
    EXPECT_EQ(view->record_count(), 1);
    Bytes scratch;
    int seen = 0;
    ASSERT_TRUE(view->for_each_record(DecodeOptions{}, &scratch, [&](const RecordView& r) {
      Result<ControlRecord> control = parse_control_record(r);
      EXPECT_TRUE(control.is_ok());
      EXPECT_EQ(control->type, static_cast<int16_t>(type));
      EXPECT_EQ(control->coordinator_epoch, 17);
      EXPECT_EQ(control->key_version, 0);
      EXPECT_EQ(r.key->size(), 4u);
      EXPECT_EQ(r.value->size(), 6u);
      EXPECT_EQ(r.offset, 40);
      seen++;
      return Status::ok();
    }).is_ok());
    EXPECT_EQ(seen, 1);
  }
  BatchOptions no_producer;
  EXPECT_FALSE(build_control_batch(no_producer, ControlType::kCommit, 0, 0).is_ok());
  RecordView short_key;
  const Bytes two = {0, 0};
  short_key.key = ByteSpan(two);
  EXPECT_FALSE(parse_control_record(short_key).is_ok());
}

TEST(KafkaRecBatch, BuilderRejectsBadOffsets) {
  std::vector<Record> backwards = {make_record(5, 0, "a", "b"), make_record(5, 0, "a", "b")};
  BatchOptions options;
  options.base_offset = 5;
  EXPECT_EQ(build_batch(options, backwards).status().code(), Code::kInvalidArgument);
  std::vector<Record> below = {make_record(4, 0, "a", "b")};
  EXPECT_EQ(build_batch(options, below).status().code(), Code::kInvalidArgument);
  std::vector<Record> far = {make_record(5 + (int64_t{1} << 31), 0, "a", "b")};
  EXPECT_EQ(build_batch(options, far).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(build_batch(options, {}).status().code(), Code::kInvalidArgument);
  // A failed append leaves the buffer as it was.
  Bytes out = {9};
  EXPECT_FALSE(append_batch(options, backwards, &out).is_ok());
  EXPECT_EQ(out, Bytes{9});
}

TEST(KafkaRecBatch, ParseRejectsWithNamedProblems) {
  std::vector<Record> records = {make_record(0, 1, "k", "v"), make_record(1, 2, "k", "v")};
  const Bytes good = *build_batch(BatchOptions{}, records);
  auto expect_error = [](Bytes bytes, const char* needle) {
    Result<BatchView> view = BatchView::parse(bytes);
    ASSERT_FALSE(view.is_ok()) << needle;
    EXPECT_EQ(view.status().code(), Code::kCorruption);
    EXPECT_NE(view.status().message().find(needle), std::string::npos) << view.status().to_string();
  };
  expect_error(Bytes(good.begin(), good.begin() + 60), "shorter than the 61-byte header");
  Bytes bad_magic = good;
  bad_magic[16] = 1;
  expect_error(bad_magic, "magic 1");
  Bytes bad_length = good;
  bad_length[11]++;
  expect_error(bad_length, "batchLength");
  Bytes flipped = good;
  flipped[good.size() - 1] ^= 1;
  expect_error(flipped, "crc mismatch");
  // A codec number 6 with a valid CRC is still rejected by name.
  Bytes bad_codec = good;
  bad_codec[22] |= 6;
  const uint32_t crc = crc32c(ByteSpan(bad_codec).subspan(21));
  store_be32(bad_codec.data() + 17, crc);
  expect_error(bad_codec, "unknown compression codec 6");
  // recordCount above lastOffsetDelta + 1, CRC fixed up.
  Bytes bad_count = good;
  store_be32(bad_count.data() + 57, 3);
  store_be32(bad_count.data() + 17, crc32c(ByteSpan(bad_count).subspan(21)));
  expect_error(bad_count, "recordCount 3");
}

// Records whose framing is wrong under a valid CRC: decoding names the problem.
TEST(KafkaRecBatch, RecordLevelCorruptionUnderValidCrc) {
  std::vector<Record> records = {make_record(0, 1, "k", "v"), make_record(1, 2, "k", "v")};
  const Bytes good = *build_batch(BatchOptions{}, records);
  auto decode_after = [](Bytes bytes) {
    store_be32(bytes.data() + 17, crc32c(ByteSpan(bytes).subspan(21)));
    Result<BatchView> view = BatchView::parse(bytes);
    EXPECT_TRUE(view.is_ok());
    std::vector<Record> out;
    return view->decode_records(DecodeOptions{}, &out);
  };
  Bytes fewer = good;
  store_be32(fewer.data() + 57, 1);
  Status s = decode_after(fewer);
  EXPECT_NE(s.message().find("bytes after the last of 1 records"), std::string::npos) << s.to_string();
  // The second record's offsetDelta (byte 3 of its body) set to 0: not increasing.
  Bytes repeat = good;
  const size_t second = 61 + 1 + good[61] / 2;
  repeat[second + 3] = 0;
  s = decode_after(repeat);
  EXPECT_NE(s.message().find("offsetDelta 0"), std::string::npos) << s.to_string();
  // A key length of -2.
  Bytes bad_key = good;
  bad_key[61 + 4] = 3;  // zig-zag 3 = -2
  s = decode_after(bad_key);
  EXPECT_NE(s.message().find("bad record key length -2"), std::string::npos) << s.to_string();
}

TEST(KafkaRecBatch, ReaderIteratesAndStopsAtPartialTail) {
  Bytes buffer;
  for (int b = 0; b < 3; b++) {
    std::vector<Record> records = {make_record(b * 10, 1, "k", "v"), make_record(b * 10 + 1, 2, "k", "v")};
    BatchOptions options;
    options.base_offset = b * 10;
    options.compression = b == 1 ? Compression::kSnappy : Compression::kNone;
    ASSERT_TRUE(append_batch(options, records, &buffer).is_ok());
  }
  const size_t full = buffer.size();
  for (size_t cut : {full, full - 1, full - 40, full - 70}) {
    BatchReader reader(ByteSpan(buffer).first(cut));
    std::vector<int64_t> bases;
    for (;;) {
      Result<std::optional<BatchView>> next = reader.next();
      ASSERT_TRUE(next.is_ok()) << next.status().to_string();
      if (!*next) break;
      bases.push_back((*next)->base_offset());
    }
    if (cut == full) {
      EXPECT_EQ(bases, (std::vector<int64_t>{0, 10, 20}));
      EXPECT_EQ(reader.partial_tail_bytes(), 0u);
    } else {
      EXPECT_EQ(bases, (std::vector<int64_t>{0, 10}));
      EXPECT_EQ(reader.position_bytes() + reader.partial_tail_bytes(), cut);
      EXPECT_GT(reader.partial_tail_bytes(), 0u);
    }
  }
  // A corrupt middle batch is an error naming where it is.
  BatchReader first_reader(buffer);
  const size_t first_size = (*first_reader.next())->size_bytes();
  Bytes corrupt = buffer;
  corrupt[first_size + 30] ^= 1;
  BatchReader reader(corrupt);
  ASSERT_TRUE(reader.next().is_ok());
  Result<std::optional<BatchView>> bad = reader.next();
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("batch at offset"), std::string::npos) << bad.status().to_string();
}

TEST(KafkaRecBatch, DecompressedSizeLimitApplies) {
  std::vector<Record> records;
  for (int i = 0; i < 100; i++) records.push_back(make_record(i, 0, "", std::string(10000, 'z')));
  BatchOptions options;
  options.compression = Compression::kGzip;
  Result<Bytes> bytes = build_batch(options, records);
  ASSERT_TRUE(bytes.is_ok());
  EXPECT_LT(bytes->size(), 20000u);
  Result<BatchView> view = BatchView::parse(*bytes);
  ASSERT_TRUE(view.is_ok());
  DecodeOptions tight;
  tight.decompressed_bytes_max = 100000;
  std::vector<Record> out;
  Status s = view->decode_records(tight, &out);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("limit"), std::string::npos) << s.to_string();
  out.clear();
  EXPECT_TRUE(view->decode_records(DecodeOptions{}, &out).is_ok());
  EXPECT_EQ(out.size(), 100u);
}

}  // namespace
}  // namespace kz::kafka
