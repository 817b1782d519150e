#include "core/kafka/protocol/wire.h"

#include <bit>
#include <cstring>
#include <limits>

namespace kz::kafka {
namespace {

constexpr int64_t kStringLengthMax = std::numeric_limits<int16_t>::max();

Status corruption(std::string message) { return Status(Code::kCorruption, std::move(message)); }

}  // namespace

void Writer::big_endian(uint64_t value, int width_bytes) {
  KZ_ASSERT(width_bytes == 2 || width_bytes == 4 || width_bytes == 8);
  for (int i = width_bytes - 1; i >= 0; i--) buffer_.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void Writer::float64(double value) { big_endian(std::bit_cast<uint64_t>(value), 8); }

void Writer::unsigned_varint(uint32_t value) { unsigned_varlong(value); }

void Writer::unsigned_varlong(uint64_t value) {
  while (value >= 0x80) {
    buffer_.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  buffer_.push_back(static_cast<uint8_t>(value));
}

void Writer::varint(int32_t value) {
  // Zigzag maps small magnitudes (positive or negative) to small unsigned numbers.
  uint32_t zigzag = (static_cast<uint32_t>(value) << 1) ^ static_cast<uint32_t>(value >> 31);
  unsigned_varint(zigzag);
}

void Writer::varlong(int64_t value) {
  uint64_t zigzag = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  unsigned_varlong(zigzag);
}

Status Writer::string(std::string_view value, bool compact) {
  if (compact) {
    if (value.size() >= std::numeric_limits<uint32_t>::max()) return corruption("string too long");
    unsigned_varint(static_cast<uint32_t>(value.size() + 1));
  } else {
    if (value.size() > static_cast<size_t>(kStringLengthMax)) {
      return Status(Code::kInvalidArgument,
                    "string of " + std::to_string(value.size()) + " bytes exceeds the int16 length limit");
    }
    int16(static_cast<int16_t>(value.size()));
  }
  raw({reinterpret_cast<const uint8_t*>(value.data()), value.size()});
  return Status::ok();
}

Status Writer::nullable_string(const std::optional<std::string>& value, bool compact, bool nullable) {
  if (value.has_value()) return string(*value, compact);
  if (!nullable) return Status(Code::kInvalidArgument, "null is not allowed in this version");
  if (compact) {
    unsigned_varint(0);
  } else {
    int16(-1);
  }
  return Status::ok();
}

Status Writer::bytes(std::span<const uint8_t> value, bool compact) {
  if (value.size() >= static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status(Code::kInvalidArgument, "byte field too long");
  }
  if (compact) {
    unsigned_varint(static_cast<uint32_t>(value.size() + 1));
  } else {
    int32(static_cast<int32_t>(value.size()));
  }
  raw(value);
  return Status::ok();
}

Status Writer::nullable_bytes(const std::optional<Bytes>& value, bool compact, bool nullable) {
  if (value.has_value()) return bytes(*value, compact);
  if (!nullable) return Status(Code::kInvalidArgument, "null is not allowed in this version");
  if (compact) {
    unsigned_varint(0);
  } else {
    int32(-1);
  }
  return Status::ok();
}

Status Writer::array_length(size_t count, bool compact) {
  if (count >= static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status(Code::kInvalidArgument, "array too long");
  }
  if (compact) {
    unsigned_varint(static_cast<uint32_t>(count + 1));
  } else {
    int32(static_cast<int32_t>(count));
  }
  return Status::ok();
}

void Writer::null_array(bool compact) {
  if (compact) {
    unsigned_varint(0);
  } else {
    int32(-1);
  }
}

void Writer::patch_int32(size_t offset_bytes, int32_t value) {
  KZ_ASSERT(offset_bytes + 4 <= buffer_.size());
  for (int i = 0; i < 4; i++) {
    buffer_[offset_bytes + i] = static_cast<uint8_t>(static_cast<uint32_t>(value) >> (8 * (3 - i)));
  }
}

Status Reader::need(size_t size_bytes) const {
  if (size_bytes > remaining_bytes()) {
    return corruption("need " + std::to_string(size_bytes) + " bytes, " + std::to_string(remaining_bytes()) +
                      " left");
  }
  return Status::ok();
}

Status Reader::int8(int8_t* out) {
  KZ_RETURN_IF_ERROR(need(1));
  *out = static_cast<int8_t>(bytes_[position_]);
  position_ += 1;
  return Status::ok();
}

Status Reader::boolean(bool* out) {
  int8_t value = 0;
  KZ_RETURN_IF_ERROR(int8(&value));
  // Kafka's own parser treats any non-zero byte as true; so do we.
  *out = value != 0;
  return Status::ok();
}

Status Reader::uint16(uint16_t* out) {
  KZ_RETURN_IF_ERROR(need(2));
  *out = static_cast<uint16_t>((bytes_[position_] << 8) | bytes_[position_ + 1]);
  position_ += 2;
  return Status::ok();
}

Status Reader::int16(int16_t* out) {
  uint16_t value = 0;
  KZ_RETURN_IF_ERROR(uint16(&value));
  *out = static_cast<int16_t>(value);
  return Status::ok();
}

Status Reader::uint32(uint32_t* out) {
  KZ_RETURN_IF_ERROR(need(4));
  uint32_t value = 0;
  for (int i = 0; i < 4; i++) value = (value << 8) | bytes_[position_ + i];
  position_ += 4;
  *out = value;
  return Status::ok();
}

Status Reader::int32(int32_t* out) {
  uint32_t value = 0;
  KZ_RETURN_IF_ERROR(uint32(&value));
  *out = static_cast<int32_t>(value);
  return Status::ok();
}

Status Reader::int64(int64_t* out) {
  KZ_RETURN_IF_ERROR(need(8));
  uint64_t value = 0;
  for (int i = 0; i < 8; i++) value = (value << 8) | bytes_[position_ + i];
  position_ += 8;
  *out = static_cast<int64_t>(value);
  return Status::ok();
}

Status Reader::float64(double* out) {
  int64_t bits = 0;
  KZ_RETURN_IF_ERROR(int64(&bits));
  *out = std::bit_cast<double>(bits);
  return Status::ok();
}

Status Reader::uuid(Uuid* out) {
  KZ_RETURN_IF_ERROR(need(out->size()));
  std::memcpy(out->data(), bytes_.data() + position_, out->size());
  position_ += out->size();
  return Status::ok();
}

Status Reader::unsigned_varlong(uint64_t* out) {
  uint64_t value = 0;
  // At most 10 bytes encode 64 bits; a longer run of continuation bits is malformed.
  for (int shift_bits = 0; shift_bits < 70; shift_bits += 7) {
    KZ_RETURN_IF_ERROR(need(1));
    uint8_t byte = bytes_[position_];
    position_ += 1;
    if (shift_bits == 63 && (byte & 0x7e) != 0) return corruption("varint overflows 64 bits");
    value |= static_cast<uint64_t>(byte & 0x7f) << shift_bits;
    if ((byte & 0x80) == 0) {
      *out = value;
      return Status::ok();
    }
  }
  return corruption("varint longer than 10 bytes");
}

Status Reader::unsigned_varint(uint32_t* out) {
  uint32_t value = 0;
  for (int shift_bits = 0; shift_bits < 35; shift_bits += 7) {
    KZ_RETURN_IF_ERROR(need(1));
    uint8_t byte = bytes_[position_];
    position_ += 1;
    if (shift_bits == 28 && (byte & 0x70) != 0) return corruption("varint overflows 32 bits");
    value |= static_cast<uint32_t>(byte & 0x7f) << shift_bits;
    if ((byte & 0x80) == 0) {
      *out = value;
      return Status::ok();
    }
  }
  return corruption("varint longer than 5 bytes");
}

Status Reader::varint(int32_t* out) {
  uint32_t zigzag = 0;
  KZ_RETURN_IF_ERROR(unsigned_varint(&zigzag));
  *out = static_cast<int32_t>((zigzag >> 1) ^ (~(zigzag & 1) + 1));
  return Status::ok();
}

Status Reader::varlong(int64_t* out) {
  uint64_t zigzag = 0;
  KZ_RETURN_IF_ERROR(unsigned_varlong(&zigzag));
  *out = static_cast<int64_t>((zigzag >> 1) ^ (~(zigzag & 1) + 1));
  return Status::ok();
}

Status Reader::length(int64_t* out, bool compact, bool wide) {
  if (compact) {
    uint32_t length_plus_one = 0;
    KZ_RETURN_IF_ERROR(unsigned_varint(&length_plus_one));
    *out = static_cast<int64_t>(length_plus_one) - 1;
  } else if (wide) {
    int32_t value = 0;
    KZ_RETURN_IF_ERROR(int32(&value));
    *out = value;
  } else {
    int16_t value = 0;
    KZ_RETURN_IF_ERROR(int16(&value));
    *out = value;
  }
  if (*out < -1) return corruption("negative length " + std::to_string(*out));
  return Status::ok();
}

Status Reader::take_string(int64_t length_bytes, std::string* out) {
  KZ_ASSERT(length_bytes >= 0);
  if (static_cast<uint64_t>(length_bytes) > remaining_bytes()) {
    return corruption("length " + std::to_string(length_bytes) + " exceeds the " +
                      std::to_string(remaining_bytes()) + " bytes left");
  }
  out->assign(reinterpret_cast<const char*>(bytes_.data() + position_), static_cast<size_t>(length_bytes));
  position_ += static_cast<size_t>(length_bytes);
  return Status::ok();
}

Status Reader::take_bytes(int64_t length_bytes, Bytes* out) {
  KZ_ASSERT(length_bytes >= 0);
  if (static_cast<uint64_t>(length_bytes) > remaining_bytes()) {
    return corruption("length " + std::to_string(length_bytes) + " exceeds the " +
                      std::to_string(remaining_bytes()) + " bytes left");
  }
  out->assign(bytes_.begin() + position_, bytes_.begin() + position_ + length_bytes);
  position_ += static_cast<size_t>(length_bytes);
  return Status::ok();
}

Status Reader::string(std::string* out, bool compact) {
  int64_t length_bytes = 0;
  KZ_RETURN_IF_ERROR(length(&length_bytes, compact, /*wide=*/false));
  if (length_bytes < 0) return corruption("null string where null is not allowed");
  return take_string(length_bytes, out);
}

Status Reader::nullable_string(std::optional<std::string>* out, bool compact, bool nullable) {
  int64_t length_bytes = 0;
  KZ_RETURN_IF_ERROR(length(&length_bytes, compact, /*wide=*/false));
  if (length_bytes < 0) {
    if (!nullable) return corruption("null string where null is not allowed");
    out->reset();
    return Status::ok();
  }
  return take_string(length_bytes, &out->emplace());
}

Status Reader::bytes(Bytes* out, bool compact) {
  int64_t length_bytes = 0;
  KZ_RETURN_IF_ERROR(length(&length_bytes, compact, /*wide=*/true));
  if (length_bytes < 0) return corruption("null bytes where null is not allowed");
  return take_bytes(length_bytes, out);
}

Status Reader::nullable_bytes(std::optional<Bytes>* out, bool compact, bool nullable) {
  int64_t length_bytes = 0;
  KZ_RETURN_IF_ERROR(length(&length_bytes, compact, /*wide=*/true));
  if (length_bytes < 0) {
    if (!nullable) return corruption("null bytes where null is not allowed");
    out->reset();
    return Status::ok();
  }
  return take_bytes(length_bytes, &out->emplace());
}

Status Reader::array_length(int32_t* count, bool compact, bool nullable, size_t element_bytes_min) {
  KZ_ASSERT(element_bytes_min >= 1);
  int64_t length_value = 0;
  KZ_RETURN_IF_ERROR(length(&length_value, compact, /*wide=*/true));
  if (length_value < 0) {
    if (!nullable) return corruption("null array where null is not allowed");
    *count = -1;
    return Status::ok();
  }
  // Bounds every later allocation by the input size: each element takes at least
  // element_bytes_min bytes on the wire.
  if (static_cast<uint64_t>(length_value) > remaining_bytes() / element_bytes_min) {
    return corruption("array of " + std::to_string(length_value) + " elements cannot fit in the " +
                      std::to_string(remaining_bytes()) + " bytes left");
  }
  *count = static_cast<int32_t>(length_value);
  return Status::ok();
}

Status Reader::sub_reader(size_t size_bytes, Reader* out) {
  KZ_RETURN_IF_ERROR(need(size_bytes));
  *out = Reader(bytes_.subspan(position_, size_bytes));
  position_ += size_bytes;
  return Status::ok();
}

Status Reader::skip(size_t size_bytes) {
  KZ_RETURN_IF_ERROR(need(size_bytes));
  position_ += size_bytes;
  return Status::ok();
}

}  // namespace kz::kafka
