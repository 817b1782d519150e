// Kafka wire primitives: a growable byte Writer and a bounds-checked Reader for the types of the
// Kafka protocol (big-endian ints, zigzag varints, unsigned varints, classic and KIP-482 "compact"
// strings/bytes/arrays, nullable variants, uuid, float64, tagged-field sections).
//
// Every Reader method checks lengths against the remaining bytes *before* allocating, so hostile
// input yields a Status (kCorruption) and never a crash or an unbounded allocation. Messages say
// what was wrong ("need 4 bytes, 1 left"); callers add the field path and API/version.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace kz::kafka {

using Bytes = std::vector<uint8_t>;
using Uuid = std::array<uint8_t, 16>;

class Writer {
 public:
  Writer() = default;

  void int8(int8_t value) { buffer_.push_back(static_cast<uint8_t>(value)); }
  void boolean(bool value) { int8(value ? 1 : 0); }
  void int16(int16_t value) { big_endian(static_cast<uint16_t>(value), 2); }
  void uint16(uint16_t value) { big_endian(value, 2); }
  void int32(int32_t value) { big_endian(static_cast<uint32_t>(value), 4); }
  void uint32(uint32_t value) { big_endian(value, 4); }
  void int64(int64_t value) { big_endian(static_cast<uint64_t>(value), 8); }
  void float64(double value);
  void uuid(const Uuid& value) { raw(value); }
  void unsigned_varint(uint32_t value);
  void unsigned_varlong(uint64_t value);
  void varint(int32_t value);   // zigzag
  void varlong(int64_t value);  // zigzag
  void raw(std::span<const uint8_t> bytes) { buffer_.insert(buffer_.end(), bytes.begin(), bytes.end()); }

  // Classic strings have an int16 length (max 32767), compact ones an unsigned varint length+1.
  Status string(std::string_view value, bool compact);
  // REQUIRES-like contract as a Status: a null value when `nullable` is false is an error.
  Status nullable_string(const std::optional<std::string>& value, bool compact, bool nullable);
  Status bytes(std::span<const uint8_t> value, bool compact);
  Status nullable_bytes(const std::optional<Bytes>& value, bool compact, bool nullable);
  // Array element count (int32, or unsigned varint count+1 when compact); null is -1 / 0.
  Status array_length(size_t count, bool compact);
  void null_array(bool compact);

  size_t size() const { return buffer_.size(); }
  const Bytes& data() const { return buffer_; }
  Bytes take() { return std::move(buffer_); }
  // Overwrites 4 bytes at `offset_bytes` (used for a frame's length prefix once the size is known).
  void patch_int32(size_t offset_bytes, int32_t value);

 private:
  void big_endian(uint64_t value, int width_bytes);
  Bytes buffer_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t remaining_bytes() const { return bytes_.size() - position_; }
  size_t position() const { return position_; }
  bool empty() const { return remaining_bytes() == 0; }

  Status int8(int8_t* out);
  Status boolean(bool* out);
  Status int16(int16_t* out);
  Status uint16(uint16_t* out);
  Status int32(int32_t* out);
  Status uint32(uint32_t* out);
  Status int64(int64_t* out);
  Status float64(double* out);
  Status uuid(Uuid* out);
  Status unsigned_varint(uint32_t* out);
  Status unsigned_varlong(uint64_t* out);
  Status varint(int32_t* out);
  Status varlong(int64_t* out);

  Status string(std::string* out, bool compact);
  Status nullable_string(std::optional<std::string>* out, bool compact, bool nullable);
  Status bytes(Bytes* out, bool compact);
  Status nullable_bytes(std::optional<Bytes>* out, bool compact, bool nullable);
  // Reads an array count; -1 means null (an error unless `nullable`). The count is checked
  // against the remaining bytes assuming each element takes at least `element_bytes_min`.
  Status array_length(int32_t* count, bool compact, bool nullable, size_t element_bytes_min);

  // Splits off the next `size_bytes` bytes as their own Reader (for a tagged field's value).
  Status sub_reader(size_t size_bytes, Reader* out);
  Status skip(size_t size_bytes);

 private:
  Status need(size_t size_bytes) const;
  // Reads a length (classic int16/int32 or compact varint-1); -1 is null.
  Status length(int64_t* out, bool compact, bool wide);
  Status take_string(int64_t length_bytes, std::string* out);
  Status take_bytes(int64_t length_bytes, Bytes* out);

  std::span<const uint8_t> bytes_;
  size_t position_ = 0;
};

}  // namespace kz::kafka
