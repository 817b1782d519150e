// Host helpers for `kz bench log`: the `dd oflag=dsync` baseline written in-process, and removing the
// benchmark's directories. Kept here because core/real is the only place kz calls the OS directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/base/status.h"

namespace kz::real {

// Writes `chunks` blocks of `chunk_bytes` zero bytes to `path` opened O_DSYNC (what
// `dd if=/dev/zero bs=<chunk_bytes> count=<chunks> oflag=dsync` does), removes the file, and returns
// the wall nanoseconds the writes took.
Result<int64_t> odsync_write_ns(const std::string& path, size_t chunk_bytes, int chunks);

// rmdir(2): removes an empty directory.
Status remove_empty_dir(const std::string& path);

}  // namespace kz::real
