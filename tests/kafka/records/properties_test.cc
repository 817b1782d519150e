// RapidCheck properties over the record formats: every codec round-trips random records, and damage
// (truncation, bit flips) is detected or reported as an error, never a crash.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "core/kafka/records/batch_builder.h"
#include "core/kafka/records/crc32c.h"
#include "core/kafka/records/legacy_message_set.h"
#include "tests/kafka/records/record_gen.h"

namespace kz::kafka {
namespace {

using testing::gen_records;

rc::Gen<Compression> gen_codec() {
  return rc::gen::element(Compression::kNone, Compression::kGzip, Compression::kSnappy, Compression::kLz4,
                          Compression::kZstd);
}

rc::Gen<Compression> gen_legacy_codec() {
  return rc::gen::element(Compression::kNone, Compression::kGzip, Compression::kSnappy, Compression::kLz4);
}

// Decodes everything a damaged buffer holds; returns the status (and checks no record escapes bounds).
Status decode_all(ByteSpan bytes) {
  BatchReader reader(bytes);
  for (;;) {
    KZ_ASSIGN_OR_RETURN(std::optional<BatchView> batch, reader.next());
    if (!batch) return Status::ok();
    std::vector<Record> out;
    DecodeOptions options;
    options.decompressed_bytes_max = 1 << 20;
    KZ_RETURN_IF_ERROR(batch->decode_records(options, &out));
  }
}

RC_GTEST_PROP(KafkaRecProp, BatchRoundTripEveryCodec, ()) {
  const int64_t base_offset = *rc::gen::inRange<int64_t>(0, int64_t{1} << 50);
  const std::vector<Record> records = *gen_records(base_offset);
  BatchOptions options;
  options.base_offset = base_offset;
  options.compression = *gen_codec();
  options.partition_leader_epoch = *rc::gen::inRange<int32_t>(-1, 1000);
  options.producer_id = *rc::gen::inRange<int64_t>(-1, 1 << 20);
  Result<Bytes> bytes = build_batch(options, records);
  RC_ASSERT(bytes.is_ok());
  Result<BatchView> view = BatchView::parse(*bytes);
  RC_ASSERT(view.is_ok());
  RC_ASSERT(view->compression() == options.compression);
  RC_ASSERT(view->record_count() == static_cast<int32_t>(records.size()));
  RC_ASSERT(view->last_offset() == records.back().offset);
  std::vector<Record> out;
  RC_ASSERT(view->decode_records(DecodeOptions{}, &out).is_ok());
  RC_ASSERT(out == records);
}

RC_GTEST_PROP(KafkaRecProp, TruncationEndsCleanlyOrErrs, ()) {
  std::vector<Record> records = *gen_records(0);
  BatchOptions options;
  options.compression = *gen_codec();
  Bytes buffer;
  RC_ASSERT(append_batch(options, records, &buffer).is_ok());
  const size_t first_size = buffer.size();
  options.base_offset = records.back().offset + 1;
  for (Record& r : records) r.offset += options.base_offset;
  RC_ASSERT(append_batch(options, records, &buffer).is_ok());
  const size_t cut = *rc::gen::inRange<size_t>(0, buffer.size());
  BatchReader reader(ByteSpan(buffer).first(cut));
  size_t complete = 0;
  for (;;) {
    Result<std::optional<BatchView>> next = reader.next();
    RC_ASSERT(next.is_ok());  // a cut is never corruption: it is a partial tail
    if (!*next) break;
    complete++;
  }
  RC_ASSERT(complete == (cut == buffer.size() ? 2u : cut >= first_size ? 1u : 0u));
  RC_ASSERT(reader.position_bytes() + reader.partial_tail_bytes() == cut);
  // A single batch cut anywhere fails to parse.
  RC_ASSERT(!BatchView::parse(ByteSpan(buffer).first(std::min(cut, first_size - 1))).is_ok());
}

RC_GTEST_PROP(KafkaRecProp, BitFlipIsDetected, ()) {
  const std::vector<Record> records = *gen_records(0);
  BatchOptions options;
  options.compression = *gen_codec();
  Bytes bytes = *build_batch(options, records);
  const size_t bit = *rc::gen::inRange<size_t>(0, bytes.size() * 8);
  bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  const size_t byte = bit / 8;
  Result<BatchView> view = BatchView::parse(bytes);
  if (byte < 8 || (byte >= 12 && byte < 16)) {
    // baseOffset and partitionLeaderEpoch are outside the CRC by design (rewritten in place).
    if (view.is_ok()) {
      std::vector<Record> out;
      RC_ASSERT(view->decode_records(DecodeOptions{}, &out).is_ok());
      RC_ASSERT(out.size() == records.size());
    }
    return;
  }
  // Anything else (length, magic, CRC, covered bytes) must fail to parse.
  RC_ASSERT(!view.is_ok());
  RC_ASSERT(view.status().code() == Code::kCorruption);
}

// Damage under a recomputed CRC (as a buggy or hostile writer could send): decoding returns an error or
// records, never crashes or over-allocates.
RC_GTEST_PROP(KafkaRecProp, DamageUnderValidCrcNeverCrashes, ()) {
  const std::vector<Record> records = *gen_records(0);
  BatchOptions options;
  options.compression = *gen_codec();
  Bytes bytes = *build_batch(options, records);
  const int flips = *rc::gen::inRange(1, 4);
  for (int i = 0; i < flips; i++) {
    const size_t at = *rc::gen::inRange<size_t>(kBatchHeaderBytes - 40, bytes.size());
    bytes[at] = *rc::gen::arbitrary<uint8_t>();
  }
  if (*rc::gen::arbitrary<bool>()) bytes.resize(*rc::gen::inRange<size_t>(kBatchHeaderBytes, bytes.size() + 1));
  store_be32(bytes.data() + 8, static_cast<uint32_t>(bytes.size() - kLogOverheadBytes));
  bytes[16] = 2;
  store_be32(bytes.data() + 17, crc32c(ByteSpan(bytes).subspan(21)));
  Status s = decode_all(bytes);
  RC_ASSERT(s.is_ok() || s.code() == Code::kCorruption);
}

RC_GTEST_PROP(KafkaRecProp, LegacyRoundTripAndDamage, ()) {
  const int8_t magic = *rc::gen::element<int8_t>(0, 1);
  const std::vector<Record> with_headers = *gen_records(*rc::gen::inRange<int64_t>(0, 1 << 30), false);
  const Compression codec = *gen_legacy_codec();
  Bytes bytes;
  RC_ASSERT(append_message_set(magic, codec, TimestampType::kCreateTime, with_headers, &bytes).is_ok());
  std::vector<LegacyMessage> messages;
  size_t tail = 0;
  RC_ASSERT(decode_message_set(bytes, DecodeOptions{}, &messages, &tail).is_ok());
  RC_ASSERT(tail == 0u);
  RC_ASSERT(messages.size() == with_headers.size());
  for (size_t i = 0; i < messages.size(); i++) {
    RC_ASSERT(messages[i].offset == with_headers[i].offset);
    RC_ASSERT(messages[i].key == with_headers[i].key);
    RC_ASSERT(messages[i].value == with_headers[i].value);
    RC_ASSERT(messages[i].timestamp_ms == (magic == 1 ? with_headers[i].timestamp_ms : kNoTimestamp));
  }
  // A flipped bit is caught (CRC32, length checks), or it hit what no CRC covers (a message's offset
  // or messageSize): then the records decoded are the originals, or a prefix of them, with offsets
  // possibly changed.
  const size_t bit = *rc::gen::inRange<size_t>(0, bytes.size() * 8);
  bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  messages.clear();
  Status s = decode_message_set(bytes, DecodeOptions{}, &messages, &tail);
  RC_ASSERT(s.is_ok() || s.code() == Code::kCorruption);
  if (s.is_ok()) {
    RC_ASSERT(messages.size() <= with_headers.size());
    if (tail == 0) RC_ASSERT(messages.size() == with_headers.size());
    for (size_t i = 0; i < messages.size(); i++) {
      RC_ASSERT(messages[i].key == with_headers[i].key);
      RC_ASSERT(messages[i].value == with_headers[i].value);
    }
  }
}

}  // namespace
}  // namespace kz::kafka
