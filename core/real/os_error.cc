#include "core/real/os_error.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace kz::real {

std::string_view errno_text(int err) {
  // strerrordesc_np (glibc >= 2.32) returns a static string: no buffer, no locale, thread-safe.
  const char* text = strerrordesc_np(err);
  return text != nullptr ? std::string_view(text) : std::string_view("unknown error");
}

Status fs_error(int err, std::string_view op, std::string_view path) {
  Code code = Code::kIoError;
  switch (err) {
    case ENOENT: code = Code::kNotFound; break;
    case EEXIST: code = Code::kAlreadyExists; break;
    case ENOSPC:
    case EDQUOT: code = Code::kNoSpace; break;
    default: break;
  }
  return Status(code, fmt::format("{} {}: {}", op, path, errno_text(err)));
}

Status net_error(int err, std::string_view op, std::string_view what) {
  Code code = Code::kIoError;
  switch (err) {
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN: code = Code::kConnectionRefused; break;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
    case ETIMEDOUT:
    case ENOTCONN: code = Code::kConnectionReset; break;
    default: break;
  }
  return Status(code, fmt::format("{} {}: {}", op, what, errno_text(err)));
}

}  // namespace kz::real
