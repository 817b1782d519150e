// Maps errno values to kz Status codes at the edge of the real backend, with messages that name the
// operation and its object ("open /var/kz/log.1: No such file or directory").
#pragma once

#include <string_view>

#include "core/base/status.h"

namespace kz::real {

// Files: ENOENT -> kNotFound, EEXIST -> kAlreadyExists, ENOSPC/EDQUOT -> kNoSpace, else kIoError.
Status fs_error(int err, std::string_view op, std::string_view path);
// Sockets: ECONNREFUSED (and unreachable hosts) -> kConnectionRefused; ECONNRESET, EPIPE,
// ETIMEDOUT on an established stream -> kConnectionReset; else kIoError.
Status net_error(int err, std::string_view op, std::string_view what);
// strerror without the thread-safety question (kz is single-threaded, but tools may not be).
std::string_view errno_text(int err);

}  // namespace kz::real
