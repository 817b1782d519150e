#include "core/kafka/records/batch_builder.h"

#include <fmt/format.h>

#include <limits>

#include "core/kafka/records/crc32c.h"

namespace kz::kafka {

namespace {

constexpr size_t kFieldBytesMax = std::numeric_limits<int32_t>::max();

size_t nullable_size_bytes(const std::optional<Bytes>& field) {
  if (!field) return varint_size_bytes(-1);
  return varint_size_bytes(static_cast<int32_t>(field->size())) + field->size();
}

void put_nullable(ByteWriter* w, const std::optional<Bytes>& field) {
  if (!field) {
    w->put_varint(-1);
    return;
  }
  w->put_varint(static_cast<int32_t>(field->size()));
  w->put_bytes(*field);
}

Status check_field(const std::optional<Bytes>& field, const char* what, size_t index) {
  if (field && field->size() > kFieldBytesMax) {
    return error(Code::kInvalidArgument, fmt::format("record {}: {} of {} bytes is too long", index, what, field->size()));
  }
  return Status::ok();
}

// Body size of a record (everything after its length varint); checks each length fits.
Result<size_t> record_body_size_bytes(const Record& r, int64_t timestamp_delta_ms, int32_t offset_delta,
                                      size_t index) {
  KZ_RETURN_IF_ERROR(check_field(r.key, "key", index));
  KZ_RETURN_IF_ERROR(check_field(r.value, "value", index));
  if (r.headers.size() > kFieldBytesMax) return error(Code::kInvalidArgument, "too many headers");
  size_t size = 1 + varlong_size_bytes(timestamp_delta_ms) + varint_size_bytes(offset_delta) +
                nullable_size_bytes(r.key) + nullable_size_bytes(r.value) +
                varint_size_bytes(static_cast<int32_t>(r.headers.size()));
  for (const RecordHeader& h : r.headers) {
    if (h.key.size() > kFieldBytesMax) return error(Code::kInvalidArgument, "header key too long");
    KZ_RETURN_IF_ERROR(check_field(h.value, "header value", index));
    size += varint_size_bytes(static_cast<int32_t>(h.key.size())) + h.key.size() + nullable_size_bytes(h.value);
  }
  if (size > kFieldBytesMax) {
    return error(Code::kInvalidArgument, fmt::format("record {} of {} bytes is too long", index, size));
  }
  return size;
}

// Writes the records section; returns maxTimestamp.
Status write_records(const BatchOptions& options, std::span<const Record> records, int64_t base_timestamp_ms,
                     Bytes* out, int64_t* max_timestamp_ms) {
  ByteWriter w(out);
  int64_t previous_offset = 0;
  *max_timestamp_ms = records[0].timestamp_ms;
  for (size_t i = 0; i < records.size(); i++) {
    const Record& r = records[i];
    int64_t offset_delta = 0;
    if (__builtin_sub_overflow(r.offset, options.base_offset, &offset_delta) || offset_delta < 0 ||
        offset_delta > std::numeric_limits<int32_t>::max() || (i > 0 && r.offset <= previous_offset)) {
      return error(Code::kInvalidArgument, fmt::format("record {}: offset {} not increasing or not within 2^31 "
                                                       "above base offset {}", i, r.offset, options.base_offset));
    }
    int64_t timestamp_delta_ms = 0;
    if (__builtin_sub_overflow(r.timestamp_ms, base_timestamp_ms, &timestamp_delta_ms)) {
      return error(Code::kInvalidArgument, fmt::format("record {}: timestamp {} too far from the base timestamp {}", i,
                                                       r.timestamp_ms, base_timestamp_ms));
    }
    KZ_ASSIGN_OR_RETURN(size_t body_bytes,
                        record_body_size_bytes(r, timestamp_delta_ms, static_cast<int32_t>(offset_delta), i));
    const size_t start = out->size();
    w.put_varint(static_cast<int32_t>(body_bytes));
    w.put_i8(0);  // record attributes: unused by Kafka
    w.put_varlong(timestamp_delta_ms);
    w.put_varint(static_cast<int32_t>(offset_delta));
    put_nullable(&w, r.key);
    put_nullable(&w, r.value);
    w.put_varint(static_cast<int32_t>(r.headers.size()));
    for (const RecordHeader& h : r.headers) {
      w.put_varint(static_cast<int32_t>(h.key.size()));
      w.put_bytes(as_bytes(h.key));
      put_nullable(&w, h.value);
    }
    KZ_ASSERT(out->size() - start == varint_size_bytes(static_cast<int32_t>(body_bytes)) + body_bytes);
    *max_timestamp_ms = std::max(*max_timestamp_ms, r.timestamp_ms);
    previous_offset = r.offset;
  }
  return Status::ok();
}

}  // namespace

Status append_batch(const BatchOptions& options, std::span<const Record> records, Bytes* out) {
  KZ_ASSERT(out != nullptr);
  if (records.empty()) return error(Code::kInvalidArgument, "a batch needs at least one record");
  if (records.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return error(Code::kInvalidArgument, "too many records for one batch");
  }
  // One allocation instead of repeated doubling: the section is the payload plus at most 31 bytes of
  // lengths and deltas per record and 10 per header.
  size_t section_bytes_estimate = 0;
  for (const Record& r : records) {
    section_bytes_estimate += 31 + (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
    for (const RecordHeader& h : r.headers) section_bytes_estimate += 10 + h.key.size() + (h.value ? h.value->size() : 0);
  }
  const size_t start = out->size();
  if (options.compression == Compression::kNone) out->reserve(start + kBatchHeaderBytes + section_bytes_estimate);
  out->resize(start + kBatchHeaderBytes);  // filled in below, once the records' size is known
  const int64_t base_timestamp_ms = records[0].timestamp_ms;
  int64_t max_timestamp_ms = base_timestamp_ms;
  Status s;
  if (options.compression == Compression::kNone) {
    s = write_records(options, records, base_timestamp_ms, out, &max_timestamp_ms);
  } else {
    Bytes plain;
    plain.reserve(section_bytes_estimate);
    s = write_records(options, records, base_timestamp_ms, &plain, &max_timestamp_ms);
    CompressOptions compress_options;
    compress_options.level = options.compression_level;
    compress_options.magic = kMagicV2;
    if (s.is_ok()) s = compress(options.compression, plain, compress_options, out);
  }
  if (!s.is_ok()) {
    out->resize(start);
    return s;
  }
  const size_t batch_bytes = out->size() - start;
  if (batch_bytes - kLogOverheadBytes > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    out->resize(start);
    return error(Code::kInvalidArgument, fmt::format("batch of {} bytes is too large", batch_bytes));
  }
  uint16_t attributes = static_cast<uint16_t>(options.compression);
  if (options.timestamp_type == TimestampType::kLogAppendTime) attributes |= batch_attr::kLogAppendTime;
  if (options.is_transactional) attributes |= batch_attr::kTransactional;

  uint8_t* h = out->data() + start;
  store_be64(h + batch_field::kBaseOffset, static_cast<uint64_t>(options.base_offset));
  store_be32(h + batch_field::kBatchLength, static_cast<uint32_t>(batch_bytes - kLogOverheadBytes));
  store_be32(h + batch_field::kPartitionLeaderEpoch, static_cast<uint32_t>(options.partition_leader_epoch));
  h[batch_field::kMagic] = static_cast<uint8_t>(kMagicV2);
  store_be16(h + batch_field::kAttributes, attributes);
  store_be32(h + batch_field::kLastOffsetDelta, static_cast<uint32_t>(records.back().offset - options.base_offset));
  store_be64(h + batch_field::kBaseTimestamp, static_cast<uint64_t>(base_timestamp_ms));
  store_be64(h + batch_field::kMaxTimestamp, static_cast<uint64_t>(max_timestamp_ms));
  store_be64(h + batch_field::kProducerId, static_cast<uint64_t>(options.producer_id));
  store_be16(h + batch_field::kProducerEpoch, static_cast<uint16_t>(options.producer_epoch));
  store_be32(h + batch_field::kBaseSequence, static_cast<uint32_t>(options.base_sequence));
  store_be32(h + batch_field::kRecordCount, static_cast<uint32_t>(records.size()));
  // The CRC goes last: it covers everything from attributes to the end.
  store_be32(h + batch_field::kCrc, crc32c(ByteSpan(h + batch_field::kAttributes, batch_bytes - batch_field::kAttributes)));
  return Status::ok();
}

Result<Bytes> build_batch(const BatchOptions& options, std::span<const Record> records) {
  Bytes out;
  KZ_RETURN_IF_ERROR(append_batch(options, records, &out));
  return out;
}

Result<Bytes> build_control_batch(const BatchOptions& options, ControlType type, int32_t coordinator_epoch,
                                  int64_t timestamp_ms) {
  if (options.producer_id < 0 || options.producer_epoch < 0) {
    return error(Code::kInvalidArgument, "a control batch needs a producer id and epoch");
  }
  Record marker;
  marker.offset = options.base_offset;
  marker.timestamp_ms = timestamp_ms;
  marker.key.emplace();
  ByteWriter key(&*marker.key);
  key.put_i16(0);  // key version
  key.put_i16(static_cast<int16_t>(type));
  marker.value.emplace();
  ByteWriter value(&*marker.value);
  value.put_i16(0);  // end transaction marker version
  value.put_i32(coordinator_epoch);

  BatchOptions control_options = options;
  control_options.is_transactional = true;
  Bytes out;
  KZ_RETURN_IF_ERROR(append_batch(control_options, std::span<const Record>(&marker, 1), &out));
  uint8_t* h = out.data();
  store_be16(h + batch_field::kAttributes, load_be16(h + batch_field::kAttributes) | batch_attr::kControl);
  store_be32(h + batch_field::kCrc, crc32c(ByteSpan(out).subspan(batch_field::kAttributes)));
  return out;
}

Result<ControlRecord> parse_control_record(const RecordView& record) {
  if (!record.key) return error(Code::kCorruption, fmt::format("control record at offset {} has a null key", record.offset));
  ControlRecord control;
  ByteReader key(*record.key);
  KZ_RETURN_IF_ERROR(key.read_i16("control record key version", &control.key_version));
  KZ_RETURN_IF_ERROR(key.read_i16("control record type", &control.type));
  if (control.type != static_cast<int16_t>(ControlType::kAbort) &&
      control.type != static_cast<int16_t>(ControlType::kCommit)) {
    return control;  // a type kz does not interpret; its value is left alone
  }
  if (!record.value) {
    return error(Code::kCorruption, fmt::format("transaction marker at offset {} has a null value", record.offset));
  }
  ByteReader value(*record.value);
  KZ_RETURN_IF_ERROR(value.read_i16("transaction marker version", &control.value_version));
  KZ_RETURN_IF_ERROR(value.read_i32("transaction marker coordinator epoch", &control.coordinator_epoch));
  return control;
}

}  // namespace kz::kafka
