// Kafka RecordBatch v2 (magic 2): the unit Kafka stores in its log and sends in Produce and Fetch.
//
// Layout (big-endian; offsets in bytes):
//    0 baseOffset int64          12 partitionLeaderEpoch int32   16 magic int8 (= 2)
//    8 batchLength int32 (bytes after this field)                17 crc uint32: CRC32C of [21, end)
//   21 attributes int16: bits 0-2 compression, 3 timestampType (1 = LogAppendTime), 4 isTransactional,
//      5 isControl, 6 hasDeleteHorizonMs (set by compaction)
//   23 lastOffsetDelta int32  27 baseTimestamp int64  35 maxTimestamp int64  43 producerId int64
//   51 producerEpoch int16    53 baseSequence int32   57 recordCount int32   61 records (maybe compressed)
// Record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//   keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
//   headerCount varint, headers: keyLength varint, key (UTF-8), valueLength varint (-1 = null), value.
//
// The CRC does not cover baseOffset, batchLength, partitionLeaderEpoch or magic, so a broker assigns
// offsets and stamps the leader epoch by rewriting those header bytes in place: no recompression and no
// new CRC (set_base_offset, set_partition_leader_epoch). set_log_append_time does touch covered fields
// (attributes, maxTimestamp) and so recomputes the CRC, still without touching the records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/kafka/records/byte_io.h"
#include "core/kafka/records/compression.h"

namespace kz::kafka {

inline constexpr int8_t kMagicV2 = 2;
inline constexpr size_t kBatchHeaderBytes = 61;
// baseOffset and batchLength: the bytes before what batchLength counts.
inline constexpr size_t kLogOverheadBytes = 12;
// Offset of the magic byte, the same in every message format; lets a reader pick the decoder.
inline constexpr size_t kMagicOffset = 16;

namespace batch_field {
inline constexpr size_t kBaseOffset = 0;
inline constexpr size_t kBatchLength = 8;
inline constexpr size_t kPartitionLeaderEpoch = 12;
inline constexpr size_t kMagic = 16;
inline constexpr size_t kCrc = 17;
inline constexpr size_t kAttributes = 21;
inline constexpr size_t kLastOffsetDelta = 23;
inline constexpr size_t kBaseTimestamp = 27;
inline constexpr size_t kMaxTimestamp = 35;
inline constexpr size_t kProducerId = 43;
inline constexpr size_t kProducerEpoch = 51;
inline constexpr size_t kBaseSequence = 53;
inline constexpr size_t kRecordCount = 57;
inline constexpr size_t kRecords = 61;
}  // namespace batch_field

namespace batch_attr {
inline constexpr uint16_t kCompressionMask = 0x07;
inline constexpr uint16_t kLogAppendTime = 0x08;
inline constexpr uint16_t kTransactional = 0x10;
inline constexpr uint16_t kControl = 0x20;
inline constexpr uint16_t kDeleteHorizon = 0x40;
}  // namespace batch_attr

inline constexpr int64_t kNoTimestamp = -1;
inline constexpr int64_t kNoProducerId = -1;
inline constexpr int16_t kNoProducerEpoch = -1;
inline constexpr int32_t kNoSequence = -1;
inline constexpr int32_t kNoPartitionLeaderEpoch = -1;

enum class TimestampType : uint8_t { kCreateTime = 0, kLogAppendTime = 1 };

struct RecordHeader {
  std::string key;
  std::optional<Bytes> value;
  bool operator==(const RecordHeader&) const = default;
};

// An owned record with absolute offset and timestamp.
struct Record {
  int64_t offset = 0;
  int64_t timestamp_ms = kNoTimestamp;
  std::optional<Bytes> key;
  std::optional<Bytes> value;
  std::vector<RecordHeader> headers;
  bool operator==(const Record&) const = default;
};

struct HeaderView {
  ByteSpan key;
  std::optional<ByteSpan> value;
};

// One record inside a batch's (decompressed) records section; spans point into that section.
struct RecordView {
  int8_t attributes = 0;
  int32_t offset_delta = 0;
  int64_t timestamp_delta_ms = 0;
  int64_t offset = 0;        // baseOffset + offsetDelta
  int64_t timestamp_ms = 0;  // baseTimestamp + timestampDelta, or maxTimestamp under LogAppendTime
  std::optional<ByteSpan> key;
  std::optional<ByteSpan> value;
  std::vector<HeaderView> headers;

  Record to_record() const;
};

struct DecodeOptions {
  // Bound on a compressed batch's decompressed records section (a decompression bomb is an error).
  size_t decompressed_bytes_max = size_t{64} << 20;
};

// A validated, non-owning view of exactly one v2 batch.
class BatchView {
 public:
  // Checks the length field against the buffer, magic, CRC, the compression codec, the record count
  // against lastOffsetDelta, and that the last offset does not overflow. Records are checked when read.
  static Result<BatchView> parse(ByteSpan bytes);

  ByteSpan bytes() const { return bytes_; }
  size_t size_bytes() const { return bytes_.size(); }
  int64_t base_offset() const { return static_cast<int64_t>(load_be64(at(batch_field::kBaseOffset))); }
  int32_t batch_length() const { return i32(batch_field::kBatchLength); }
  int32_t partition_leader_epoch() const { return i32(batch_field::kPartitionLeaderEpoch); }
  int8_t magic() const { return static_cast<int8_t>(bytes_[batch_field::kMagic]); }
  uint32_t crc() const { return load_be32(at(batch_field::kCrc)); }
  uint16_t attributes() const { return load_be16(at(batch_field::kAttributes)); }
  Compression compression() const { return static_cast<Compression>(attributes() & batch_attr::kCompressionMask); }
  TimestampType timestamp_type() const {
    return (attributes() & batch_attr::kLogAppendTime) ? TimestampType::kLogAppendTime : TimestampType::kCreateTime;
  }
  bool is_transactional() const { return (attributes() & batch_attr::kTransactional) != 0; }
  bool is_control() const { return (attributes() & batch_attr::kControl) != 0; }
  int32_t last_offset_delta() const { return i32(batch_field::kLastOffsetDelta); }
  int64_t last_offset() const { return base_offset() + last_offset_delta(); }
  int64_t next_offset() const { return last_offset() + 1; }
  int64_t base_timestamp_ms() const { return static_cast<int64_t>(load_be64(at(batch_field::kBaseTimestamp))); }
  int64_t max_timestamp_ms() const { return static_cast<int64_t>(load_be64(at(batch_field::kMaxTimestamp))); }
  int64_t producer_id() const { return static_cast<int64_t>(load_be64(at(batch_field::kProducerId))); }
  int16_t producer_epoch() const { return static_cast<int16_t>(load_be16(at(batch_field::kProducerEpoch))); }
  int32_t base_sequence() const { return i32(batch_field::kBaseSequence); }
  int32_t record_count() const { return i32(batch_field::kRecordCount); }
  // The records section as stored (compressed if compression() != kNone).
  ByteSpan stored_records() const { return bytes_.subspan(kBatchHeaderBytes); }

  // The records section uncompressed: the stored bytes themselves, or decompressed into *scratch.
  Result<ByteSpan> records_section(const DecodeOptions& options, Bytes* scratch) const;
  // Decodes every record, checking each record's framing, that offset deltas increase within
  // [0, lastOffsetDelta], and that exactly recordCount records fill the section.
  Status decode_records(const DecodeOptions& options, std::vector<Record>* out) const;
  // Calls fn(const RecordView&) -> Status for each record; stops at the first error.
  template <typename Fn>
  Status for_each_record(const DecodeOptions& options, Bytes* scratch, Fn&& fn) const;

 private:
  explicit BatchView(ByteSpan bytes) : bytes_(bytes) {}
  const uint8_t* at(size_t field) const { return bytes_.data() + field; }
  int32_t i32(size_t field) const { return static_cast<int32_t>(load_be32(at(field))); }

  ByteSpan bytes_;
};

// Reads the records of one batch's uncompressed records section in order.
class RecordReader {
 public:
  // `section_offset_bytes`: where the section starts in the batch (for error messages).
  // REQUIRES: `batch` and `section` outlive the reader; views it returns point into `section`.
  RecordReader(const BatchView& batch, ByteSpan section, size_t section_offset_bytes);
  // Fills *out and returns true, or returns false after the last record (having checked that exactly
  // recordCount records filled the section).
  Result<bool> next(RecordView* out);

 private:
  const BatchView& batch_;
  ByteReader reader_;
  int32_t records_read_ = 0;
  int64_t last_offset_delta_ = -1;
};

template <typename Fn>
Status BatchView::for_each_record(const DecodeOptions& options, Bytes* scratch, Fn&& fn) const {
  KZ_ASSIGN_OR_RETURN(ByteSpan section, records_section(options, scratch));
  RecordReader reader(*this, section, compression() == Compression::kNone ? kBatchHeaderBytes : 0);
  RecordView view;
  for (;;) {
    Result<bool> more = reader.next(&view);
    if (!more.is_ok()) {
      return compression() == Compression::kNone ? more.status()
                                                 : more.status().with_context("decompressed records section");
    }
    if (!*more) return Status::ok();
    KZ_RETURN_IF_ERROR(fn(static_cast<const RecordView&>(view)));
  }
}

// In-place header rewrites of a batch that parsed. base offset and leader epoch are outside the CRC.
// REQUIRES (all three): batch.size() >= kBatchHeaderBytes and batch[kMagicOffset] == 2.
void set_base_offset(std::span<uint8_t> batch, int64_t base_offset);
void set_partition_leader_epoch(std::span<uint8_t> batch, int32_t partition_leader_epoch);
// Marks the batch LogAppendTime with maxTimestamp = timestamp_ms (what every record then reports),
// and recomputes the CRC over the unchanged records.
void set_log_append_time(std::span<uint8_t> batch, int64_t timestamp_ms);

// Iterates a buffer of concatenated v2 batches (a Produce or Fetch records field). Fetch responses may
// end in a batch cut short by the size limit: that is the clean end of iteration, not an error.
class BatchReader {
 public:
  explicit BatchReader(ByteSpan bytes) : bytes_(bytes) {}
  // The next complete batch, or std::nullopt when none remains (partial_tail_bytes() tells whether a
  // cut-off batch ended the buffer). A corrupt batch is an error naming its offset.
  Result<std::optional<BatchView>> next();
  size_t position_bytes() const { return position_; }
  size_t partial_tail_bytes() const { return partial_tail_bytes_; }

 private:
  ByteSpan bytes_;
  size_t position_ = 0;
  size_t partial_tail_bytes_ = 0;
};

}  // namespace kz::kafka
