#include "core/kafka/records/byte_io.h"

#include <fmt/format.h>

namespace kz::kafka {

size_t varint_size_bytes(int32_t value) {
  uint32_t v = zigzag_encode32(value);
  size_t size = 1;
  while (v >= 0x80) {
    v >>= 7;
    size++;
  }
  return size;
}

size_t varlong_size_bytes(int64_t value) {
  uint64_t v = zigzag_encode64(value);
  size_t size = 1;
  while (v >= 0x80) {
    v >>= 7;
    size++;
  }
  return size;
}

Status ByteReader::truncated(const char* what, size_t need_bytes) const {
  return error(Code::kCorruption, fmt::format("truncated {}: need {} bytes at offset {}, {} remain", what,
                                              need_bytes, offset_bytes(), remaining_bytes()));
}

Status ByteReader::read_i8(const char* what, int8_t* out) {
  if (remaining_bytes() < 1) return truncated(what, 1);
  *out = static_cast<int8_t>(data_[position_]);
  position_ += 1;
  return Status::ok();
}

Status ByteReader::read_i16(const char* what, int16_t* out) {
  if (remaining_bytes() < 2) return truncated(what, 2);
  *out = static_cast<int16_t>(load_be16(data_.data() + position_));
  position_ += 2;
  return Status::ok();
}

Status ByteReader::read_i32(const char* what, int32_t* out) {
  uint32_t v = 0;
  KZ_RETURN_IF_ERROR(read_u32(what, &v));
  *out = static_cast<int32_t>(v);
  return Status::ok();
}

Status ByteReader::read_u32(const char* what, uint32_t* out) {
  if (remaining_bytes() < 4) return truncated(what, 4);
  *out = load_be32(data_.data() + position_);
  position_ += 4;
  return Status::ok();
}

Status ByteReader::read_i64(const char* what, int64_t* out) {
  if (remaining_bytes() < 8) return truncated(what, 8);
  *out = static_cast<int64_t>(load_be64(data_.data() + position_));
  position_ += 8;
  return Status::ok();
}

Status ByteReader::read_varint(const char* what, int32_t* out) {
  const size_t start = offset_bytes();
  uint32_t raw = 0;
  for (int i = 0; i < 5; i++) {
    if (remaining_bytes() < 1) return truncated(what, 1);
    const uint8_t b = data_[position_++];
    // The fifth byte carries bits 28..31 only; anything above would be silently dropped.
    if (i == 4 && (b & 0xF0) != 0) {
      return error(Code::kCorruption, fmt::format("bad varint {} at offset {}: more than 32 bits", what, start));
    }
    raw |= static_cast<uint32_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      *out = zigzag_decode32(raw);
      return Status::ok();
    }
  }
  KZ_UNREACHABLE("a fifth varint byte with the continuation bit is rejected above");
}

Status ByteReader::read_varlong(const char* what, int64_t* out) {
  const size_t start = offset_bytes();
  uint64_t raw = 0;
  for (int i = 0; i < 10; i++) {
    if (remaining_bytes() < 1) return truncated(what, 1);
    const uint8_t b = data_[position_++];
    // The tenth byte carries bit 63 only.
    if (i == 9 && (b & 0xFE) != 0) {
      return error(Code::kCorruption, fmt::format("bad varlong {} at offset {}: more than 64 bits", what, start));
    }
    raw |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      *out = zigzag_decode64(raw);
      return Status::ok();
    }
  }
  KZ_UNREACHABLE("a tenth varlong byte with the continuation bit is rejected above");
}

Status ByteReader::read_span(const char* what, size_t size_bytes, ByteSpan* out) {
  if (remaining_bytes() < size_bytes) return truncated(what, size_bytes);
  *out = data_.subspan(position_, size_bytes);
  position_ += size_bytes;
  return Status::ok();
}

Status ByteReader::skip(const char* what, size_t size_bytes) {
  ByteSpan ignored;
  return read_span(what, size_bytes, &ignored);
}

void ByteWriter::put_varint(int32_t value) {
  uint32_t v = zigzag_encode32(value);
  while (v >= 0x80) {
    out_->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<uint8_t>(v));
}

void ByteWriter::put_varlong(int64_t value) {
  uint64_t v = zigzag_encode64(value);
  while (v >= 0x80) {
    out_->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<uint8_t>(v));
}

}  // namespace kz::kafka
