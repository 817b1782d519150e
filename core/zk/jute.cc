#include "core/zk/jute.h"

#include <algorithm>

#include <fmt/format.h>

namespace kz::zk {

void JuteWriter::grow(size_t n) { out_.resize(std::max({out_.size() * 2, len_ + n, size_t{64}})); }

void JuteWriter::write_buffer(const Buffer& v) {
  if (!v) {
    write_int(-1);
    return;
  }
  write_bytes(*v);
}

void JuteWriter::write_bytes(std::string_view v) {
  KZ_ASSERT(v.size() <= static_cast<size_t>(INT32_MAX));
  write_int(static_cast<int32_t>(v.size()));
  write_raw(v);
}

void JuteWriter::write_string(std::string_view v) { write_bytes(v); }

void JuteWriter::patch_int(size_t offset, int32_t v) {
  KZ_ASSERT(offset + 4 <= len_);
  const auto u = static_cast<uint32_t>(v);
  for (int i = 0; i < 4; i++) out_[offset + i] = static_cast<char>((u >> (24 - 8 * i)) & 0xff);
}

std::string JuteReader::where() const {
  std::string out;
  for (size_t i = 0; i < std::min(depth_, kMaxNames); i++) {
    if (!out.empty()) out += '.';
    out += names_[i];
  }
  return out.empty() ? "record" : out;
}

Status JuteReader::corruption(std::string_view what) const {
  return error(Code::kCorruption, fmt::format("jute: {} at offset {}", what, offset_));
}

Status JuteReader::need(size_t bytes, const char* what) {
  if (remaining() >= bytes) return Status::ok();
  return error(Code::kCorruption, fmt::format("jute: truncated {} ({}) at offset {}: need {} bytes, have {}",
                                              where(), what, offset_, bytes, remaining()));
}

Status JuteReader::read_bool(bool* v) {
  KZ_RETURN_IF_ERROR(need(1, "boolean"));
  // Java's readBool accepts any non-zero byte as true; so do we.
  *v = bytes_[offset_] != 0;
  offset_ += 1;
  return Status::ok();
}

Status JuteReader::read_byte(uint8_t* v) {
  KZ_RETURN_IF_ERROR(need(1, "byte"));
  *v = static_cast<uint8_t>(bytes_[offset_]);
  offset_ += 1;
  return Status::ok();
}

Status JuteReader::read_buffer(Buffer* v) {
  const size_t start = offset_;
  int32_t length = 0;
  KZ_RETURN_IF_ERROR(read_int(&length));
  if (length == -1) {
    v->reset();
    return Status::ok();
  }
  if (length < -1 || length > length_max_) {
    offset_ = start;
    return error(Code::kCorruption, fmt::format("jute: unreasonable length {} for {} at offset {} (max {})", length,
                                                where(), start, length_max_));
  }
  if (remaining() < static_cast<size_t>(length)) {
    offset_ = start;
    return error(Code::kCorruption, fmt::format("jute: truncated {} at offset {}: length {} but {} bytes remain",
                                                where(), start, length, remaining() - 4));
  }
  v->emplace(bytes_.substr(offset_, static_cast<size_t>(length)));
  offset_ += static_cast<size_t>(length);
  return Status::ok();
}

Status JuteReader::read_string(std::string* v) {
  Buffer b;
  KZ_RETURN_IF_ERROR(read_buffer(&b));
  if (b) {
    *v = std::move(*b);
  } else {
    v->clear();
  }
  return Status::ok();
}

Status JuteReader::read_count(int32_t* count, size_t item_bytes_min) {
  KZ_ASSERT(item_bytes_min > 0);
  const size_t start = offset_;
  KZ_RETURN_IF_ERROR(read_int(count));
  if (*count == -1) {
    *count = 0;
    return Status::ok();
  }
  if (*count < -1 || *count > length_max_) {
    offset_ = start;
    return error(Code::kCorruption,
                 fmt::format("jute: unreasonable vector count {} for {} at offset {}", *count, where(), start));
  }
  if (static_cast<size_t>(*count) > remaining() / item_bytes_min) {
    offset_ = start;
    return error(Code::kCorruption, fmt::format("jute: truncated {} at offset {}: {} items cannot fit in {} bytes",
                                                where(), start, *count, remaining() - 4));
  }
  return Status::ok();
}

}  // namespace kz::zk
