#include "core/kafka/records/legacy_message_set.h"

#include <fmt/format.h>

#include <limits>

#include "core/kafka/records/crc32c.h"

namespace kz::kafka {

namespace {

// One message as stored, before any wrapper is opened; spans point into the input.
struct ShallowMessage {
  int64_t offset = 0;
  size_t at = 0;          // where it starts in the enclosing buffer (for error messages)
  size_t size_bytes = 0;  // including offset and messageSize
  int8_t magic = 0;
  int8_t attributes = 0;
  int64_t timestamp_ms = kNoTimestamp;
  std::optional<ByteSpan> key;
  std::optional<ByteSpan> value;
};

Status read_nullable32(ByteReader* r, const char* what, std::optional<ByteSpan>* out) {
  const size_t at = r->offset_bytes();
  int32_t length = 0;
  KZ_RETURN_IF_ERROR(r->read_i32(what, &length));
  if (length == -1) {
    out->reset();
    return Status::ok();
  }
  if (length < -1) return error(Code::kCorruption, fmt::format("bad {} length {} at offset {}", what, length, at));
  ByteSpan bytes;
  KZ_RETURN_IF_ERROR(r->read_span(what, static_cast<size_t>(length), &bytes));
  *out = bytes;
  return Status::ok();
}

// Reads the message at bytes[position]. Returns std::nullopt if the buffer ends inside it.
// `base_offset_bytes` positions `bytes` inside the caller's buffer for error messages.
Result<std::optional<ShallowMessage>> read_shallow(ByteSpan bytes, size_t position, size_t base_offset_bytes) {
  const size_t remaining = bytes.size() - position;
  const size_t at = base_offset_bytes + position;
  if (remaining < kLogOverheadBytes) return std::optional<ShallowMessage>();
  const int32_t message_size = static_cast<int32_t>(load_be32(bytes.data() + position + 8));
  if (message_size < static_cast<int32_t>(kLegacyMessageBytesMinV0)) {
    return error(Code::kCorruption, fmt::format("messageSize {} at offset {} is below the minimum {}", message_size,
                                                at + 8, kLegacyMessageBytesMinV0));
  }
  const size_t size_bytes = kLogOverheadBytes + static_cast<size_t>(message_size);
  if (remaining < size_bytes) return std::optional<ShallowMessage>();

  ShallowMessage m;
  m.at = at;
  m.size_bytes = size_bytes;
  m.offset = static_cast<int64_t>(load_be64(bytes.data() + position));
  ByteSpan body = bytes.subspan(position + kLogOverheadBytes, static_cast<size_t>(message_size));
  const uint32_t crc_stored = load_be32(body.data());
  const uint32_t crc_computed = crc32_ieee(body.subspan(4));
  if (crc_stored != crc_computed) {
    return error(Code::kCorruption, fmt::format("message crc mismatch at offset {}: stored {:#010x}, computed {:#010x}",
                                                at, crc_stored, crc_computed));
  }
  ByteReader r(body.subspan(4), at + kLogOverheadBytes + 4);
  KZ_RETURN_IF_ERROR(r.read_i8("message magic", &m.magic));
  if (m.magic != kMagicV0 && m.magic != kMagicV1) {
    return error(Code::kCorruption, fmt::format("message magic {} at offset {} is not 0 or 1", m.magic, at + kMagicOffset));
  }
  KZ_RETURN_IF_ERROR(r.read_i8("message attributes", &m.attributes));
  if (m.magic == kMagicV1) {
    if (static_cast<size_t>(message_size) < kLegacyMessageBytesMinV1) {
      return error(Code::kCorruption, fmt::format("messageSize {} at offset {} is below the magic 1 minimum {}",
                                                  message_size, at + 8, kLegacyMessageBytesMinV1));
    }
    KZ_RETURN_IF_ERROR(r.read_i64("message timestamp", &m.timestamp_ms));
  }
  KZ_RETURN_IF_ERROR(read_nullable32(&r, "message key", &m.key));
  KZ_RETURN_IF_ERROR(read_nullable32(&r, "message value", &m.value));
  if (!r.at_end()) {
    return error(Code::kCorruption,
                 fmt::format("message at offset {} has {} bytes beyond its fields", at, r.remaining_bytes()));
  }
  return std::optional<ShallowMessage>(m);
}

Result<Compression> message_compression(const ShallowMessage& m) {
  KZ_ASSIGN_OR_RETURN(Compression codec, compression_from_bits(m.attributes & 0x07));
  if (codec == Compression::kZstd) {
    return error(Code::kCorruption, fmt::format("zstd message at offset {}: zstd needs magic 2", m.at));
  }
  return codec;
}

TimestampType message_timestamp_type(const ShallowMessage& m) {
  return m.magic == kMagicV1 && (m.attributes & kLegacyAttrLogAppendTime) ? TimestampType::kLogAppendTime
                                                                          : TimestampType::kCreateTime;
}

LegacyMessage to_legacy(const ShallowMessage& m) {
  LegacyMessage out;
  out.offset = m.offset;
  out.magic = m.magic;
  out.timestamp_type = message_timestamp_type(m);
  out.timestamp_ms = m.timestamp_ms;
  if (m.key) out.key = Bytes(m.key->begin(), m.key->end());
  if (m.value) out.value = Bytes(m.value->begin(), m.value->end());
  return out;
}

// Appends the message, or the inner messages of a wrapper, to *out.
Status expand(const ShallowMessage& m, const DecodeOptions& options, std::vector<LegacyMessage>* out) {
  KZ_ASSIGN_OR_RETURN(Compression codec, message_compression(m));
  if (codec == Compression::kNone) {
    out->push_back(to_legacy(m));
    return Status::ok();
  }
  if (!m.value) return error(Code::kCorruption, fmt::format("compressed message at offset {} has a null value", m.at));
  Bytes inner;
  DecompressOptions decompress_options;
  decompress_options.output_bytes_max = options.decompressed_bytes_max;
  decompress_options.magic = m.magic;
  Status s = decompress(codec, *m.value, decompress_options, &inner);
  if (!s.is_ok()) return s.with_context(fmt::format("wrapper message at offset {}", m.at));

  const size_t first = out->size();
  size_t position = 0;
  while (position < inner.size()) {
    KZ_ASSIGN_OR_RETURN(std::optional<ShallowMessage> im, read_shallow(inner, position, 0));
    if (!im) {
      return error(Code::kCorruption, fmt::format("wrapper message at offset {}: inner message set truncated at {}",
                                                  m.at, position));
    }
    if (im->magic != m.magic) {
      return error(Code::kCorruption, fmt::format("wrapper message at offset {}: inner magic {} differs from {}",
                                                  m.at, im->magic, m.magic));
    }
    KZ_ASSIGN_OR_RETURN(Compression inner_codec, message_compression(*im));
    if (inner_codec != Compression::kNone) {
      return error(Code::kCorruption, fmt::format("wrapper message at offset {}: nested compression", m.at));
    }
    LegacyMessage lm = to_legacy(*im);
    lm.wrapper_compression = codec;
    if (message_timestamp_type(m) == TimestampType::kLogAppendTime) {
      lm.timestamp_type = TimestampType::kLogAppendTime;
      lm.timestamp_ms = m.timestamp_ms;  // the broker's append time, stamped on the wrapper only
    }
    out->push_back(std::move(lm));
    position += im->size_bytes;
  }
  if (out->size() == first) {
    return error(Code::kCorruption, fmt::format("wrapper message at offset {} holds no messages", m.at));
  }
  if (m.magic == kMagicV1) {
    // Inner offsets are relative; the wrapper carries the absolute offset of the last one.
    const int64_t last_relative = out->back().offset;
    for (size_t i = first; i < out->size(); i++) {
      int64_t absolute = 0;
      if (__builtin_sub_overflow(m.offset, last_relative, &absolute) ||
          __builtin_add_overflow(absolute, (*out)[i].offset, &absolute)) {
        return error(Code::kCorruption, fmt::format("wrapper message at offset {}: inner offsets overflow", m.at));
      }
      (*out)[i].offset = absolute;
    }
  }
  return Status::ok();
}

void put_message(ByteWriter* w, Bytes* out, int8_t magic, int64_t offset, uint8_t attributes, int64_t timestamp_ms,
                 const std::optional<Bytes>& key, ByteSpan value, bool value_null) {
  const size_t start = out->size();
  w->put_i64(offset);
  w->put_i32(0);  // messageSize, patched below
  w->put_u32(0);  // crc, patched below
  w->put_i8(magic);
  w->put_i8(static_cast<int8_t>(attributes));
  if (magic == kMagicV1) w->put_i64(timestamp_ms);
  if (key) {
    w->put_i32(static_cast<int32_t>(key->size()));
    w->put_bytes(*key);
  } else {
    w->put_i32(-1);
  }
  if (value_null) {
    w->put_i32(-1);
  } else {
    w->put_i32(static_cast<int32_t>(value.size()));
    w->put_bytes(value);
  }
  uint8_t* p = out->data() + start;
  store_be32(p + 8, static_cast<uint32_t>(out->size() - start - kLogOverheadBytes));
  store_be32(p + 12, crc32_ieee(ByteSpan(p + 16, out->size() - start - 16)));
}

}  // namespace

Status decode_message_set(ByteSpan bytes, const DecodeOptions& options, std::vector<LegacyMessage>* out,
                          size_t* partial_tail_bytes) {
  KZ_ASSERT(out != nullptr);
  size_t position = 0;
  if (partial_tail_bytes) *partial_tail_bytes = 0;
  while (position < bytes.size()) {
    KZ_ASSIGN_OR_RETURN(std::optional<ShallowMessage> m, read_shallow(bytes, position, 0));
    if (!m) {
      if (partial_tail_bytes) *partial_tail_bytes = bytes.size() - position;
      break;
    }
    KZ_RETURN_IF_ERROR(expand(*m, options, out));
    position += m->size_bytes;
  }
  return Status::ok();
}

Result<Bytes> convert_message_set_to_v2(ByteSpan message_set, const DecodeOptions& decode_options, BatchOptions options,
                                        bool keep_source_compression) {
  std::vector<LegacyMessage> messages;
  size_t partial_tail_bytes = 0;
  KZ_RETURN_IF_ERROR(decode_message_set(message_set, decode_options, &messages, &partial_tail_bytes));
  // A produced message set is whole: a cut-off message is corruption here, not a Fetch limit.
  if (partial_tail_bytes != 0) {
    return error(Code::kCorruption, fmt::format("message set ends with {} bytes of a partial message", partial_tail_bytes));
  }
  if (messages.empty()) return error(Code::kCorruption, "empty message set");
  if (keep_source_compression) options.compression = messages.front().wrapper_compression;
  std::vector<Record> records;
  records.reserve(messages.size());
  for (size_t i = 0; i < messages.size(); i++) {
    Record r;
    r.offset = options.base_offset + static_cast<int64_t>(i);
    r.timestamp_ms = messages[i].timestamp_ms;
    r.key = std::move(messages[i].key);
    r.value = std::move(messages[i].value);
    records.push_back(std::move(r));
  }
  return build_batch(options, records);
}

Status append_message_set(int8_t magic, Compression compression, TimestampType timestamp_type,
                          std::span<const Record> records, Bytes* out) {
  KZ_ASSERT(out != nullptr);
  KZ_ASSERT(magic == kMagicV0 || magic == kMagicV1);
  if (compression == Compression::kZstd) return error(Code::kUnsupported, "zstd needs magic 2");
  for (const Record& r : records) {
    if ((r.key && r.key->size() > static_cast<size_t>(std::numeric_limits<int32_t>::max() / 2)) ||
        (r.value && r.value->size() > static_cast<size_t>(std::numeric_limits<int32_t>::max() / 2))) {
      return error(Code::kInvalidArgument, fmt::format("record at offset {} too large for a message", r.offset));
    }
  }
  if (records.empty()) return Status::ok();
  const uint8_t timestamp_attr =
      magic == kMagicV1 && timestamp_type == TimestampType::kLogAppendTime ? kLegacyAttrLogAppendTime : 0;
  ByteWriter w(out);
  if (compression == Compression::kNone) {
    for (const Record& r : records) {
      put_message(&w, out, magic, r.offset, timestamp_attr, r.timestamp_ms, r.key, r.value ? ByteSpan(*r.value) : ByteSpan(),
                  !r.value);
    }
    return Status::ok();
  }
  Bytes inner;
  ByteWriter inner_writer(&inner);
  int64_t max_timestamp_ms = records[0].timestamp_ms;
  for (const Record& r : records) {
    const int64_t inner_offset = magic == kMagicV1 ? r.offset - records[0].offset : r.offset;
    put_message(&inner_writer, &inner, magic, inner_offset, timestamp_attr, r.timestamp_ms, r.key,
                r.value ? ByteSpan(*r.value) : ByteSpan(), !r.value);
    max_timestamp_ms = std::max(max_timestamp_ms, r.timestamp_ms);
  }
  Bytes compressed;
  CompressOptions compress_options;
  compress_options.magic = magic;
  KZ_RETURN_IF_ERROR(compress(compression, inner, compress_options, &compressed));
  if (compressed.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max() / 2)) {
    return error(Code::kInvalidArgument, "compressed message set too large");
  }
  put_message(&w, out, magic, records.back().offset, static_cast<uint8_t>(compression) | timestamp_attr,
              max_timestamp_ms, std::nullopt, compressed, false);
  return Status::ok();
}

Status down_convert_batch(const BatchView& batch, int8_t magic, const DecodeOptions& options, Bytes* out) {
  if (batch.is_control()) return Status::ok();
  if (batch.compression() == Compression::kZstd) {
    return error(Code::kUnsupported, fmt::format("batch at offset {} is zstd, which magic {} cannot carry",
                                                 batch.base_offset(), magic));
  }
  std::vector<Record> records;
  KZ_RETURN_IF_ERROR(batch.decode_records(options, &records));
  return append_message_set(magic, batch.compression(), batch.timestamp_type(), records, out);
}

Status decode_record_set(ByteSpan bytes, const DecodeOptions& options, std::vector<Record>* out,
                         size_t* partial_tail_bytes) {
  KZ_ASSERT(out != nullptr);
  size_t position = 0;
  if (partial_tail_bytes) *partial_tail_bytes = 0;
  while (position < bytes.size()) {
    const size_t remaining = bytes.size() - position;
    if (remaining <= kMagicOffset) {
      if (partial_tail_bytes) *partial_tail_bytes = remaining;
      break;
    }
    const int8_t magic = static_cast<int8_t>(bytes[position + kMagicOffset]);
    if (magic == kMagicV2) {
      BatchReader reader(bytes.subspan(position));
      Result<std::optional<BatchView>> batch = reader.next();
      if (!batch.is_ok()) return batch.status().with_context(fmt::format("at offset {}", position));
      if (!*batch) {
        if (partial_tail_bytes) *partial_tail_bytes = remaining;
        break;
      }
      if (!(*batch)->is_control()) KZ_RETURN_IF_ERROR((*batch)->decode_records(options, out));
      position += (*batch)->size_bytes();
      continue;
    }
    KZ_ASSIGN_OR_RETURN(std::optional<ShallowMessage> m, read_shallow(bytes, position, 0));
    if (!m) {
      if (partial_tail_bytes) *partial_tail_bytes = remaining;
      break;
    }
    std::vector<LegacyMessage> messages;
    KZ_RETURN_IF_ERROR(expand(*m, options, &messages));
    for (LegacyMessage& lm : messages) {
      Record r;
      r.offset = lm.offset;
      r.timestamp_ms = lm.timestamp_ms;
      r.key = std::move(lm.key);
      r.value = std::move(lm.value);
      out->push_back(std::move(r));
    }
    position += m->size_bytes;
  }
  return Status::ok();
}

}  // namespace kz::kafka
