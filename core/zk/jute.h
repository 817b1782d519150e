// Jute: ZooKeeper's binary record encoding (org.apache.jute BinaryOutputArchive / BinaryInputArchive).
// Big-endian int32/int64, bool as one byte, buffer/ustring as int32 length + bytes (-1 = null),
// vector as int32 count + items. Records are described once, as a list of named fields (see
// `fields` in proto.h), and the generic jute_write / jute_read below walk that description.
//
// The reader is defensive: every length is checked against the bytes that remain and against a
// maximum (jute.maxbuffer + jute.maxbuffer.extrasize, as the Java server does) *before* anything
// is allocated, and every error names the record, the field and the offset.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/base/status.h"

namespace kz::zk {

// jute.maxbuffer's default (0xfffff) and the slack the server adds for record overhead
// (jute.maxbuffer.extrasize defaults to 1024).
inline constexpr int32_t kJuteMaxBufferBytes = 0xfffff;
inline constexpr int32_t kJuteExtraBufferBytes = 1024;
inline constexpr int32_t kJuteLengthMaxDefault = kJuteMaxBufferBytes + kJuteExtraBufferBytes;

// A jute `buffer`: bytes that may be null (length -1 on the wire). ZooKeeper keeps the
// difference between null and empty node data (zkCli prints "null"), so we keep it too.
using Buffer = std::optional<std::string>;

inline int32_t buffer_size(const Buffer& b) { return b ? static_cast<int32_t>(b->size()) : 0; }

// Jute's ints and longs are big-endian: one unaligned load or store and a byte swap each.
template <typename T>
void store_be(char* p, T v) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8);
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(v);
  if constexpr (sizeof(U) == 8) {
    u = __builtin_bswap64(u);
  } else {
    u = __builtin_bswap32(u);
  }
  std::memcpy(p, &u, sizeof(U));
}
template <typename T>
T load_be(const char* p) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8);
  using U = std::make_unsigned_t<T>;
  U u;
  std::memcpy(&u, p, sizeof(U));
  if constexpr (sizeof(U) == 8) {
    u = __builtin_bswap64(u);
  } else {
    u = __builtin_bswap32(u);
  }
  return static_cast<T>(u);
}

class JuteWriter {
 public:
  // Most records are a few dozen bytes: one allocation up front instead of one per doubling.
  explicit JuteWriter(size_t reserve = 128) { out_.resize(reserve); }
  // Big-endian, stored whole (these two are most of what a reply or txn encodes).
  void write_int(int32_t v) { write_be(v); }
  void write_long(int64_t v) { write_be(v); }
  void write_bool(bool v) { write_byte(v ? 1 : 0); }
  void write_buffer(const Buffer& v);
  void write_bytes(std::string_view v);  // a non-null buffer
  void write_string(std::string_view v);  // a non-null ustring
  // Not jute: raw bytes for kz's own formats built from jute pieces (snapshot tags).
  void write_byte(uint8_t v) { *room(1) = static_cast<char>(v); }
  // Bytes already in wire form (a fixed-layout record encoded whole).
  void write_raw(std::string_view v) {
    if (!v.empty()) std::memcpy(room(v.size()), v.data(), v.size());
  }
  // Overwrites 4 bytes at `offset` (e.g. a frame length written as a placeholder).
  void patch_int(size_t offset, int32_t v);

  size_t size() const { return len_; }
  const std::string& bytes() {
    out_.resize(len_);
    return out_;
  }
  std::string take() {
    out_.resize(len_);
    len_ = 0;
    return std::move(out_);
  }

 private:
  // `out_` is kept at least `len_` long (its tail past `len_` is spare room), so a field is stored
  // straight into it: std::string::append of 4 bytes was an out-of-line call and a memcpy each.
  char* room(size_t n) {
    if (out_.size() - len_ < n) grow(n);
    char* p = out_.data() + len_;
    len_ += n;
    return p;
  }
  void grow(size_t n);
  template <typename T>
  void write_be(T v) {
    store_be(room(sizeof(T)), v);
  }

  std::string out_;
  size_t len_ = 0;
};

class JuteReader {
 public:
  // `length_max` bounds any single buffer/string length and vector count.
  explicit JuteReader(std::string_view bytes, int32_t length_max = kJuteLengthMaxDefault)
      : bytes_(bytes), length_max_(length_max) {}

  // Inline fast paths; a truncated input takes the out-of-line error path in need().
  Status read_int(int32_t* v) { return read_be(v, "int"); }
  Status read_long(int64_t* v) { return read_be(v, "long"); }
  // The next `n` bytes, consumed, or null (nothing consumed) if fewer remain: for fixed-layout
  // records read whole.
  const char* take_raw(size_t n) {
    if (remaining() < n) return nullptr;
    const char* p = bytes_.data() + offset_;
    offset_ += n;
    return p;
  }
  Status read_bool(bool* v);
  Status read_byte(uint8_t* v);  // not jute: see JuteWriter::write_byte
  Status read_buffer(Buffer* v);
  // A null ustring decodes as "" (every place that takes one rejects "" where it matters).
  Status read_string(std::string* v);
  // A vector count; -1 (null) reads as 0. `item_bytes_min` lets the count be checked against
  // the remaining bytes before the caller reserves anything.
  Status read_count(int32_t* count, size_t item_bytes_min);

  size_t offset() const { return offset_; }
  size_t remaining() const { return bytes_.size() - offset_; }
  bool at_end() const { return offset_ == bytes_.size(); }
  std::string_view rest() const { return bytes_.substr(offset_); }

  // Names for error messages: the record and field being read ("CreateRequest.acl.id.scheme").
  // A fixed stack (no allocation per record read); names deeper than it are not shown.
  void push_name(const char* name) {
    if (depth_ < kMaxNames) names_[depth_] = name;
    depth_++;
  }
  void pop_name() {
    KZ_ASSERT(depth_ > 0);
    depth_--;
  }
  std::string where() const;
  Status corruption(std::string_view what) const;

 private:
  Status need(size_t bytes, const char* what);
  template <typename T>
  Status read_be(T* v, const char* what) {
    if (remaining() < sizeof(T)) return need(sizeof(T), what);
    *v = load_be<T>(bytes_.data() + offset_);
    offset_ += sizeof(T);
    return Status::ok();
  }

  std::string_view bytes_;
  size_t offset_ = 0;
  int32_t length_max_;
  static constexpr size_t kMaxNames = 16;
  std::array<const char*, kMaxNames> names_{};
  size_t depth_ = 0;
};

// ---- Generic record codec over a field description ----
// A record type R declares `static constexpr const char* kJuteName` and
//   template <typename Self, typename V> static void fields(Self& self, V&& v)
// calling v("fieldName", self.field) for each field in wire order.

template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};

// Records whose layout is not a plain field list (optional trailing fields, typed op lists)
// provide `static void write_custom(JuteWriter&, const T&)` and
// `static Status read_custom(JuteReader&, T&)` instead of `fields`.
template <typename T>
concept JuteCustom = requires(JuteWriter& w, JuteReader& r, const T& cv, T& v) {
  T::write_custom(w, cv);
  { T::read_custom(r, v) } -> std::same_as<Status>;
};

template <typename T>
void jute_write(JuteWriter& w, const T& v) {
  if constexpr (JuteCustom<T>) {
    T::write_custom(w, v);
  } else if constexpr (std::is_same_v<T, bool>) {
    w.write_bool(v);
  } else if constexpr (std::is_same_v<T, int32_t>) {
    w.write_int(v);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    w.write_long(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    w.write_string(v);
  } else if constexpr (std::is_same_v<T, Buffer>) {
    w.write_buffer(v);
  } else if constexpr (IsVector<T>::value) {
    w.write_int(static_cast<int32_t>(v.size()));
    for (const auto& item : v) jute_write(w, item);
  } else {
    T::fields(v, [&w](const char*, const auto& field) { jute_write(w, field); });
  }
}

template <typename T>
constexpr size_t jute_bytes_min() {
  if constexpr (std::is_same_v<T, bool>) return 1;
  else if constexpr (std::is_same_v<T, int32_t>) return 4;
  else if constexpr (std::is_same_v<T, int64_t>) return 8;
  else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, Buffer> || IsVector<T>::value) return 4;
  else return 1;  // every record here has at least one field
}

template <typename T>
Status jute_read(JuteReader& r, T& v) {
  if constexpr (JuteCustom<T>) {
    r.push_name(T::kJuteName);
    Status status = T::read_custom(r, v);
    r.pop_name();
    return status;
  } else if constexpr (std::is_same_v<T, bool>) {
    return r.read_bool(&v);
  } else if constexpr (std::is_same_v<T, int32_t>) {
    return r.read_int(&v);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return r.read_long(&v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return r.read_string(&v);
  } else if constexpr (std::is_same_v<T, Buffer>) {
    return r.read_buffer(&v);
  } else if constexpr (IsVector<T>::value) {
    int32_t count = 0;
    KZ_RETURN_IF_ERROR(r.read_count(&count, jute_bytes_min<typename T::value_type>()));
    v.clear();
    v.reserve(static_cast<size_t>(count));
    for (int32_t i = 0; i < count; i++) {
      v.emplace_back();
      KZ_RETURN_IF_ERROR(jute_read(r, v.back()));
    }
    return Status::ok();
  } else {
    Status status;
    r.push_name(T::kJuteName);
    T::fields(v, [&r, &status](const char* name, auto& field) {
      if (!status.is_ok()) return;
      r.push_name(name);
      status = jute_read(r, field);
      r.pop_name();
    });
    r.pop_name();
    return status;
  }
}

// Encodes one record as a standalone byte string.
template <typename T>
std::string jute_encode(const T& v) {
  JuteWriter w;
  jute_write(w, v);
  return w.take();
}

// Decodes one record that must fill `bytes` exactly.
template <typename T>
Result<T> jute_decode(std::string_view bytes, int32_t length_max = kJuteLengthMaxDefault) {
  JuteReader r(bytes, length_max);
  T v{};
  KZ_RETURN_IF_ERROR(jute_read(r, v));
  if (!r.at_end()) return r.corruption(std::string(T::kJuteName) + ": trailing bytes after record");
  return v;
}

}  // namespace kz::zk
