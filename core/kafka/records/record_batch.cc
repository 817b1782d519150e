#include "core/kafka/records/record_batch.h"

#include <fmt/format.h>

#include <limits>

#include "core/kafka/records/crc32c.h"

namespace kz::kafka {

namespace {

// The smallest record: length, attributes, timestampDelta, offsetDelta, keyLength, valueLength and
// headerCount, one byte each. Bounds how many records a section can hold before any allocation.
constexpr size_t kRecordBytesMin = 7;

// Wrapping addition: Kafka computes absolute timestamps with Java's wrapping long arithmetic.
int64_t add_wrapping(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// Reads a varint length-prefixed field: -1 is null, other negatives are corrupt.
Status read_nullable(ByteReader* r, const char* what, std::optional<ByteSpan>* out) {
  const size_t at = r->offset_bytes();
  int32_t length = 0;
  KZ_RETURN_IF_ERROR(r->read_varint(what, &length));
  if (length == -1) {
    out->reset();
    return Status::ok();
  }
  if (length < -1) {
    return error(Code::kCorruption, fmt::format("bad {} length {} at offset {}", what, length, at));
  }
  ByteSpan bytes;
  KZ_RETURN_IF_ERROR(r->read_span(what, static_cast<size_t>(length), &bytes));
  *out = bytes;
  return Status::ok();
}

Bytes to_bytes(ByteSpan s) { return Bytes(s.begin(), s.end()); }

}  // namespace

Record RecordView::to_record() const {
  Record record;
  record.offset = offset;
  record.timestamp_ms = timestamp_ms;
  if (key) record.key = to_bytes(*key);
  if (value) record.value = to_bytes(*value);
  record.headers.reserve(headers.size());
  for (const HeaderView& h : headers) {
    RecordHeader header;
    header.key.assign(reinterpret_cast<const char*>(h.key.data()), h.key.size());
    if (h.value) header.value = to_bytes(*h.value);
    record.headers.push_back(std::move(header));
  }
  return record;
}

Result<BatchView> BatchView::parse(ByteSpan bytes) {
  if (bytes.size() < kBatchHeaderBytes) {
    return error(Code::kCorruption,
                 fmt::format("batch of {} bytes is shorter than the {}-byte header", bytes.size(), kBatchHeaderBytes));
  }
  const int32_t batch_length = static_cast<int32_t>(load_be32(bytes.data() + batch_field::kBatchLength));
  if (batch_length < 0 || static_cast<size_t>(batch_length) != bytes.size() - kLogOverheadBytes) {
    return error(Code::kCorruption, fmt::format("batchLength {} at offset {} does not match the {} bytes given",
                                                batch_length, batch_field::kBatchLength, bytes.size()));
  }
  const int8_t magic = static_cast<int8_t>(bytes[batch_field::kMagic]);
  if (magic != kMagicV2) {
    return error(Code::kCorruption, fmt::format("magic {} at offset {} is not a v2 batch", magic, batch_field::kMagic));
  }
  const uint32_t crc_stored = load_be32(bytes.data() + batch_field::kCrc);
  const uint32_t crc_computed = crc32c(bytes.subspan(batch_field::kAttributes));
  if (crc_stored != crc_computed) {
    return error(Code::kCorruption, fmt::format("batch crc mismatch: stored {:#010x}, computed {:#010x}", crc_stored,
                                                crc_computed));
  }
  BatchView view(bytes);
  const int compression_bits = view.attributes() & batch_attr::kCompressionMask;
  if (!compression_from_bits(compression_bits).is_ok()) {
    return error(Code::kCorruption, fmt::format("unknown compression codec {} in attributes at offset {}",
                                                compression_bits, batch_field::kAttributes));
  }
  if (view.last_offset_delta() < 0) {
    return error(Code::kCorruption, fmt::format("negative lastOffsetDelta {}", view.last_offset_delta()));
  }
  // Offset deltas are distinct and within [0, lastOffsetDelta].
  if (view.record_count() < 0 || int64_t{view.record_count()} > int64_t{view.last_offset_delta()} + 1) {
    return error(Code::kCorruption, fmt::format("recordCount {} impossible with lastOffsetDelta {}",
                                                view.record_count(), view.last_offset_delta()));
  }
  if (view.base_offset() > std::numeric_limits<int64_t>::max() - view.last_offset_delta()) {
    return error(Code::kCorruption, fmt::format("baseOffset {} + lastOffsetDelta {} overflows", view.base_offset(),
                                                view.last_offset_delta()));
  }
  return view;
}

Result<ByteSpan> BatchView::records_section(const DecodeOptions& options, Bytes* scratch) const {
  if (compression() == Compression::kNone) return stored_records();
  KZ_ASSERT(scratch != nullptr);
  scratch->clear();
  DecompressOptions decompress_options;
  decompress_options.output_bytes_max = options.decompressed_bytes_max;
  decompress_options.magic = kMagicV2;
  Status s = decompress(compression(), stored_records(), decompress_options, scratch);
  if (!s.is_ok()) return s.with_context(fmt::format("records of batch at base offset {}", base_offset()));
  return ByteSpan(*scratch);
}

Status BatchView::decode_records(const DecodeOptions& options, std::vector<Record>* out) const {
  KZ_ASSERT(out != nullptr);
  Bytes scratch;
  KZ_ASSIGN_OR_RETURN(ByteSpan section, records_section(options, &scratch));
  // recordCount was checked against lastOffsetDelta, not the bytes; bound the reservation by both.
  out->reserve(out->size() + std::min<size_t>(static_cast<size_t>(record_count()), section.size() / kRecordBytesMin));
  const bool compressed = compression() != Compression::kNone;
  RecordReader reader(*this, section, compressed ? 0 : kBatchHeaderBytes);
  RecordView view;
  for (;;) {
    Result<bool> more = reader.next(&view);
    if (!more.is_ok()) return compressed ? more.status().with_context("decompressed records section") : more.status();
    if (!*more) return Status::ok();
    out->push_back(view.to_record());
  }
}

RecordReader::RecordReader(const BatchView& batch, ByteSpan section, size_t section_offset_bytes)
    : batch_(batch), reader_(section, section_offset_bytes) {}

Result<bool> RecordReader::next(RecordView* out) {
  if (records_read_ == batch_.record_count()) {
    if (!reader_.at_end()) {
      return error(Code::kCorruption, fmt::format("{} bytes after the last of {} records at offset {}",
                                                  reader_.remaining_bytes(), records_read_, reader_.offset_bytes()));
    }
    return false;
  }
  const size_t record_at = reader_.offset_bytes();
  int32_t length = 0;
  KZ_RETURN_IF_ERROR(reader_.read_varint("record length", &length));
  if (length < 0) return error(Code::kCorruption, fmt::format("negative record length {} at offset {}", length, record_at));
  ByteSpan body_bytes;
  KZ_RETURN_IF_ERROR(reader_.read_span("record", static_cast<size_t>(length), &body_bytes));
  ByteReader body(body_bytes, reader_.offset_bytes() - body_bytes.size());

  KZ_RETURN_IF_ERROR(body.read_i8("record attributes", &out->attributes));
  KZ_RETURN_IF_ERROR(body.read_varlong("record timestampDelta", &out->timestamp_delta_ms));
  const size_t offset_delta_at = body.offset_bytes();
  KZ_RETURN_IF_ERROR(body.read_varint("record offsetDelta", &out->offset_delta));
  if (out->offset_delta <= last_offset_delta_ || out->offset_delta > batch_.last_offset_delta()) {
    return error(Code::kCorruption,
                 fmt::format("record offsetDelta {} at offset {} not in ({}, {}]", out->offset_delta, offset_delta_at,
                             last_offset_delta_, batch_.last_offset_delta()));
  }
  KZ_RETURN_IF_ERROR(read_nullable(&body, "record key", &out->key));
  KZ_RETURN_IF_ERROR(read_nullable(&body, "record value", &out->value));
  const size_t header_count_at = body.offset_bytes();
  int32_t header_count = 0;
  KZ_RETURN_IF_ERROR(body.read_varint("record header count", &header_count));
  // A header takes at least two bytes (two lengths): a count beyond that is corrupt, not an allocation.
  if (header_count < 0 || static_cast<size_t>(header_count) > body.remaining_bytes() / 2) {
    return error(Code::kCorruption, fmt::format("bad record header count {} at offset {} ({} bytes remain)",
                                                header_count, header_count_at, body.remaining_bytes()));
  }
  out->headers.clear();
  out->headers.reserve(static_cast<size_t>(header_count));
  for (int32_t i = 0; i < header_count; i++) {
    std::optional<ByteSpan> key;
    const size_t key_at = body.offset_bytes();
    KZ_RETURN_IF_ERROR(read_nullable(&body, "header key", &key));
    if (!key) return error(Code::kCorruption, fmt::format("null header key at offset {}", key_at));
    HeaderView header;
    header.key = *key;
    KZ_RETURN_IF_ERROR(read_nullable(&body, "header value", &header.value));
    out->headers.push_back(header);
  }
  if (!body.at_end()) {
    return error(Code::kCorruption, fmt::format("record at offset {} has {} bytes beyond its fields", record_at,
                                                body.remaining_bytes()));
  }
  out->offset = batch_.base_offset() + out->offset_delta;  // parse() checked this cannot overflow
  out->timestamp_ms = batch_.timestamp_type() == TimestampType::kLogAppendTime
                          ? batch_.max_timestamp_ms()
                          : add_wrapping(batch_.base_timestamp_ms(), out->timestamp_delta_ms);
  last_offset_delta_ = out->offset_delta;
  records_read_++;
  return true;
}

void set_base_offset(std::span<uint8_t> batch, int64_t base_offset) {
  KZ_ASSERT(batch.size() >= kBatchHeaderBytes);
  KZ_ASSERT(batch[kMagicOffset] == kMagicV2);
  store_be64(batch.data() + batch_field::kBaseOffset, static_cast<uint64_t>(base_offset));
}

void set_partition_leader_epoch(std::span<uint8_t> batch, int32_t partition_leader_epoch) {
  KZ_ASSERT(batch.size() >= kBatchHeaderBytes);
  KZ_ASSERT(batch[kMagicOffset] == kMagicV2);
  store_be32(batch.data() + batch_field::kPartitionLeaderEpoch, static_cast<uint32_t>(partition_leader_epoch));
}

void set_log_append_time(std::span<uint8_t> batch, int64_t timestamp_ms) {
  KZ_ASSERT(batch.size() >= kBatchHeaderBytes);
  KZ_ASSERT(batch[kMagicOffset] == kMagicV2);
  const uint16_t attributes = load_be16(batch.data() + batch_field::kAttributes) | batch_attr::kLogAppendTime;
  store_be16(batch.data() + batch_field::kAttributes, attributes);
  store_be64(batch.data() + batch_field::kMaxTimestamp, static_cast<uint64_t>(timestamp_ms));
  store_be32(batch.data() + batch_field::kCrc, crc32c(batch.subspan(batch_field::kAttributes)));
}

Result<std::optional<BatchView>> BatchReader::next() {
  const size_t remaining = bytes_.size() - position_;
  if (remaining < kLogOverheadBytes) {
    partial_tail_bytes_ = remaining;
    return std::optional<BatchView>();
  }
  const int32_t batch_length = static_cast<int32_t>(load_be32(bytes_.data() + position_ + batch_field::kBatchLength));
  // Shorter than a header cannot be a cut-off batch: the length field itself is wrong.
  if (batch_length < static_cast<int32_t>(kBatchHeaderBytes - kLogOverheadBytes)) {
    return error(Code::kCorruption, fmt::format("batchLength {} at offset {} is shorter than a batch header",
                                                batch_length, position_ + batch_field::kBatchLength));
  }
  if (remaining > kMagicOffset && bytes_[position_ + kMagicOffset] != kMagicV2) {
    return error(Code::kCorruption, fmt::format("magic {} at offset {}: expected a v2 batch",
                                                static_cast<int8_t>(bytes_[position_ + kMagicOffset]),
                                                position_ + kMagicOffset));
  }
  const size_t size_bytes = kLogOverheadBytes + static_cast<size_t>(batch_length);
  if (remaining < size_bytes) {
    partial_tail_bytes_ = remaining;
    return std::optional<BatchView>();
  }
  Result<BatchView> view = BatchView::parse(bytes_.subspan(position_, size_bytes));
  if (!view.is_ok()) return view.status().with_context(fmt::format("batch at offset {}", position_));
  position_ += size_bytes;
  return std::optional<BatchView>(*view);
}

}  // namespace kz::kafka
