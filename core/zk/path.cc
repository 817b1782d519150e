#include "core/zk/path.h"

#include <fmt/format.h>

#include "core/base/assert.h"

namespace kz::zk {

namespace {

// Decodes one UTF-8 sequence at `i`; malformed input yields U+FFFD and consumes one byte, as a
// Java decoder replacing bad input would (for validation purposes the exact count is moot).
uint32_t next_code_point(std::string_view s, size_t& i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) {
    i += 1;
    return b0;
  }
  int length = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if ((b0 & 0xe0) == 0xc0) {
    length = 2, cp = b0 & 0x1f, min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    length = 3, cp = b0 & 0x0f, min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    length = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    i += 1;
    return 0xfffd;
  }
  if (i + static_cast<size_t>(length) > s.size()) {
    i += 1;
    return 0xfffd;
  }
  for (int k = 1; k < length; k++) {
    const auto b = static_cast<uint8_t>(s[i + static_cast<size_t>(k)]);
    if ((b & 0xc0) != 0x80) {
      i += 1;
      return 0xfffd;
    }
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    i += 1;
    return 0xfffd;
  }
  i += static_cast<size_t>(length);
  return cp;
}

bool is_forbidden_code_point(uint32_t c) {
  return (c > 0x0000 && c <= 0x001f) || (c >= 0x007f && c <= 0x009f) || (c >= 0xd800 && c <= 0xf8ff) ||
         (c >= 0xfff0 && c <= 0xffff) || c > 0xffff;  // > BMP: surrogate pairs in Java
}

}  // namespace

std::optional<std::string> path_invalid_reason(std::string_view path) {
  if (path.empty()) return "Path length must be > 0";
  if (path[0] != '/') return "Path must start with / character";
  if (path.size() == 1) return std::nullopt;
  if (path.back() == '/') return "Path must not end with / character";
  // Component checks are byte-wise: '/', '.', and NUL are ASCII and never part of a multi-byte
  // UTF-8 sequence.
  for (size_t i = 1; i < path.size(); i++) {
    const char c = path[i];
    const char last = path[i - 1];
    if (c == '\0') return fmt::format("null character not allowed @{}", i);
    if (c == '/' && last == '/') return fmt::format("empty node name specified @{}", i);
    if (c == '.' && last == '.') {
      if (i >= 2 && path[i - 2] == '/' && (i + 1 == path.size() || path[i + 1] == '/')) {
        return fmt::format("relative paths not allowed @{}", i);
      }
    } else if (c == '.') {
      if (last == '/' && (i + 1 == path.size() || path[i + 1] == '/')) {
        return fmt::format("relative paths not allowed @{}", i);
      }
    }
  }
  for (size_t i = 1; i < path.size();) {
    const size_t at = i;
    const uint32_t cp = next_code_point(path, i);
    if (is_forbidden_code_point(cp)) return fmt::format("invalid character @{}", at);
  }
  return std::nullopt;
}

std::string_view parent_path(std::string_view path) {
  KZ_ASSERT(!path.empty() && path[0] == '/');
  KZ_ASSERT(path.size() > 1);
  const size_t slash = path.rfind('/');
  if (slash == 0) return kRootPath;
  return path.substr(0, slash);
}

std::string_view child_name(std::string_view path) {
  const size_t slash = path.rfind('/');
  KZ_ASSERT(slash != std::string_view::npos);
  return path.substr(slash + 1);
}

std::string join_path(std::string_view parent, std::string_view child) {
  std::string out(parent);
  if (out != kRootPath) out += '/';
  out += child;
  return out;
}

bool is_special_path(std::string_view path) {
  return path == kRootPath || path == kZookeeperPath || path == kQuotaPath || path == kConfigPath;
}

}  // namespace kz::zk
