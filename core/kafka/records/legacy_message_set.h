// Legacy Kafka message sets, magic 0 (Kafka 0.8) and magic 1 (0.10, adds a timestamp): decoded when
// old clients produce, encoded when old clients fetch. kz stores only v2 batches.
//
// A message set is a concatenation of:
//   offset int64, messageSize int32 (bytes after this field), crc uint32 (CRC32 IEEE of the rest),
//   magic int8, attributes int8 (bits 0-2 compression; magic 1: bit 3 LogAppendTime),
//   [timestamp int64, magic 1 only], key int32-length bytes (-1 = null), value likewise.
// A compressed message is a wrapper: its value is a compressed message set of uncompressed inner
// messages of the same magic. The wrapper's offset is the offset of its last inner message; with
// magic 1 the inner offsets are relative (0, 1, ...), with magic 0 they are absolute.
#pragma once

#include <span>

#include "core/kafka/records/batch_builder.h"
#include "core/kafka/records/record_batch.h"

namespace kz::kafka {

inline constexpr int8_t kMagicV0 = 0;
inline constexpr int8_t kMagicV1 = 1;
inline constexpr uint8_t kLegacyAttrLogAppendTime = 0x08;
// crc, magic, attributes, key length, value length.
inline constexpr size_t kLegacyMessageBytesMinV0 = 14;
inline constexpr size_t kLegacyMessageBytesMinV1 = 22;  // plus the timestamp

struct LegacyMessage {
  int64_t offset = 0;  // absolute, inner offsets resolved
  int8_t magic = 0;
  TimestampType timestamp_type = TimestampType::kCreateTime;
  int64_t timestamp_ms = kNoTimestamp;  // kNoTimestamp for magic 0
  Compression wrapper_compression = Compression::kNone;  // the codec of the wrapper it came in, if any
  std::optional<Bytes> key;
  std::optional<Bytes> value;
};

// Decodes a message set, checking every CRC and flattening compressed wrappers into their inner
// messages. A partial message at the end (a Fetch size cut) ends decoding cleanly and its size goes to
// *partial_tail_bytes (may be null). Inside a wrapper everything must be complete and uncompressed.
Status decode_message_set(ByteSpan bytes, const DecodeOptions& options, std::vector<LegacyMessage>* out,
                          size_t* partial_tail_bytes);

// Converts a legacy message set (an old Produce's records) to one v2 batch. The records keep their
// order, keys, values and timestamps; their offsets become base_offset + 0, 1, ... because the offsets
// a producer puts in a message set are placeholders the broker replaces. `options.compression` is used
// as given unless keep_source_compression, which takes the first wrapper's codec (none if no wrapper).
Result<Bytes> convert_message_set_to_v2(ByteSpan message_set, const DecodeOptions& decode_options,
                                        BatchOptions options, bool keep_source_compression);

// Appends `records` as a message set of `magic` (0 or 1). Uncompressed: one message per record at its
// own offset. Compressed: one wrapper holding them all (offset = last record's; magic 1 inner offsets
// relative to the first record; wrapper timestamp = the largest). Headers are dropped: the format has
// none. zstd needs magic 2 (kUnsupported); lz4 with magic 0 gets Kafka's legacy header checksum.
Status append_message_set(int8_t magic, Compression compression, TimestampType timestamp_type,
                          std::span<const Record> records, Bytes* out);

// Down-converts one v2 batch for an old Fetch version, keeping its codec. Control batches yield nothing
// (old consumers cannot read them). zstd batches are kUnsupported, as in Kafka.
Status down_convert_batch(const BatchView& batch, int8_t magic, const DecodeOptions& options, Bytes* out);

// Decodes a buffer that may mix v2 batches and legacy message sets (a Fetch of a log written across a
// format upgrade), stopping cleanly at a partial tail. Records of control batches are skipped.
Status decode_record_set(ByteSpan bytes, const DecodeOptions& options, std::vector<Record>* out,
                         size_t* partial_tail_bytes);

}  // namespace kz::kafka
