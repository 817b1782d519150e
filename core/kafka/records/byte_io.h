// Bounds-checked big-endian and zig-zag varint reading/writing for Kafka's record formats.
// Every read states what it reads (for the error message) and fails with kCorruption naming the field
// and its byte offset when the input is too short or malformed; nothing here allocates from a length
// found in the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace kz::kafka {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline ByteSpan as_bytes(std::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Kafka varints (records v2) are zig-zag encoded: small magnitudes of either sign stay short.
constexpr uint32_t zigzag_encode32(int32_t v) { return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31); }
constexpr uint64_t zigzag_encode64(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
constexpr int32_t zigzag_decode32(uint32_t v) { return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1)); }
constexpr int64_t zigzag_decode64(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

// Number of bytes put_varint / put_varlong would write.
size_t varint_size_bytes(int32_t value);
size_t varlong_size_bytes(int64_t value);

// Reads a span front to back. `base_offset_bytes` is added to positions in error messages so that a
// reader over a sub-range (one record inside a batch) reports offsets of the enclosing buffer.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data, size_t base_offset_bytes = 0)
      : data_(data), base_offset_bytes_(base_offset_bytes) {}

  size_t position() const { return position_; }
  // Position in the enclosing buffer, as used in error messages.
  size_t offset_bytes() const { return base_offset_bytes_ + position_; }
  size_t remaining_bytes() const { return data_.size() - position_; }
  bool at_end() const { return position_ == data_.size(); }

  Status read_i8(const char* what, int8_t* out);
  Status read_i16(const char* what, int16_t* out);
  Status read_i32(const char* what, int32_t* out);
  Status read_u32(const char* what, uint32_t* out);
  Status read_i64(const char* what, int64_t* out);
  // Zig-zag varints: at most 5 bytes for 32 bits, 10 for 64; longer or overflowing encodings fail.
  Status read_varint(const char* what, int32_t* out);
  Status read_varlong(const char* what, int64_t* out);
  // A view of the next `size_bytes` bytes (no copy).
  Status read_span(const char* what, size_t size_bytes, ByteSpan* out);
  Status skip(const char* what, size_t size_bytes);

  // The error every short read produces; public so callers can report their own length checks.
  Status truncated(const char* what, size_t need_bytes) const;

 private:
  ByteSpan data_;
  size_t position_ = 0;
  size_t base_offset_bytes_ = 0;
};

// Appends to a byte vector.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes* out) : out_(out) { KZ_ASSERT(out != nullptr); }

  size_t size_bytes() const { return out_->size(); }
  void put_i8(int8_t v) { out_->push_back(static_cast<uint8_t>(v)); }
  void put_i16(int16_t v) { put_be(static_cast<uint16_t>(v), 2); }
  void put_i32(int32_t v) { put_be(static_cast<uint32_t>(v), 4); }
  void put_u32(uint32_t v) { put_be(v, 4); }
  void put_i64(int64_t v) { put_be(static_cast<uint64_t>(v), 8); }
  void put_varint(int32_t v);
  void put_varlong(int64_t v);
  void put_bytes(ByteSpan bytes) { out_->insert(out_->end(), bytes.begin(), bytes.end()); }

 private:
  void put_be(uint64_t v, int size_bytes) {
    for (int i = size_bytes - 1; i >= 0; i--) out_->push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  Bytes* out_;
};

// Fixed-position big-endian access, for header fields of a validated buffer.
inline uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline uint64_t load_be64(const uint8_t* p) { return (uint64_t{load_be32(p)} << 32) | load_be32(p + 4); }
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
inline void store_be64(uint8_t* p, uint64_t v) {
  store_be32(p, static_cast<uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace kz::kafka
