#include "core/real/dsync_baseline.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "core/real/host.h"
#include "core/real/os_error.h"

namespace kz::real {

Result<int64_t> odsync_write_ns(const std::string& path, size_t chunk_bytes, int chunks) {
  std::vector<uint8_t> buf(chunk_bytes, 0);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_DSYNC | O_CLOEXEC, 0644);
  if (fd < 0) return fs_error(errno, "open", path);
  const int64_t start = monotonic_ns();
  for (int i = 0; i < chunks; i++) {
    size_t done = 0;
    while (done < buf.size()) {
      const ssize_t n = ::write(fd, buf.data() + done, buf.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        return fs_error(err, "write", path);
      }
      done += static_cast<size_t>(n);
    }
  }
  const int64_t elapsed = monotonic_ns() - start;
  ::close(fd);
  if (::unlink(path.c_str()) != 0) return fs_error(errno, "unlink", path);
  return elapsed;
}

Status remove_empty_dir(const std::string& path) {
  if (::rmdir(path.c_str()) != 0) return fs_error(errno, "rmdir", path);
  return Status::ok();
}

}  // namespace kz::real
