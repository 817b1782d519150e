#include "core/real/real_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/real/os_error.h"

namespace kz::real {

namespace {
constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirMode = 0755;

// Closes a directory stream on scope exit.
struct DirCloser {
  DIR* dir;
  ~DirCloser() {
    if (dir != nullptr) closedir(dir);
  }
};
}  // namespace

// ---------------------------------------------------------------- RealFile

RealFile::~RealFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status RealFile::check_open(std::string_view op) const {
  if (fd_ < 0) return Status(Code::kClosed, std::string(op) + " " + path_ + ": file is closed");
  return Status::ok();
}

Status RealFile::check_writable(std::string_view op) const {
  KZ_RETURN_IF_ERROR(check_open(op));
  if (!writable_) return Status(Code::kInvalidArgument, std::string(op) + " " + path_ + ": opened read-only");
  return Status::ok();
}

Result<size_t> RealFile::pread(uint64_t offset, std::span<uint8_t> buf) {
  KZ_RETURN_IF_ERROR(check_open("read"));
  size_t done = 0;
  // pread may return short for signals or huge requests; only 0 means end of file.
  while (done < buf.size()) {
    ssize_t n = ::pread(fd_, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fs_error(errno, "read", path_);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

Status RealFile::pwrite(uint64_t offset, std::span<const uint8_t> data) {
  KZ_RETURN_IF_ERROR(check_writable("write"));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      // Part of the data may be written: the tracked size covers what the OS accepted.
      size_bytes_ = std::max(size_bytes_, offset + done);
      return fs_error(errno, "write", path_);
    }
    KZ_ASSERT(n > 0);  // pwrite of a non-empty buffer to a regular file writes or fails
    done += static_cast<size_t>(n);
  }
  size_bytes_ = std::max(size_bytes_, offset + data.size());
  return Status::ok();
}

Status RealFile::append(std::span<const uint8_t> data) { return pwrite(size_bytes_, data); }

Result<uint64_t> RealFile::size() {
  KZ_RETURN_IF_ERROR(check_open("size"));
  return size_bytes_;
}

Status RealFile::truncate(uint64_t size) {
  KZ_RETURN_IF_ERROR(check_writable("truncate"));
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return fs_error(errno, "truncate", path_);
  size_bytes_ = size;
  return Status::ok();
}

int SyncOffload::sync_fd(int fd, bool data_only) {
  if (thread_ == nullptr && sched_ != nullptr && !start_failed_ && sched_->current() != nullptr) {
    Result<std::unique_ptr<SyncThread>> t = SyncThread::start(*driver_, *sched_);
    if (t.is_ok()) {
      thread_ = std::move(t).value();
    } else {
      start_failed_ = true;  // out of descriptors or threads: sync inline, as without offloading
    }
  }
  if (thread_ != nullptr) return thread_->sync_fd(fd, data_only);
  int rc = data_only ? ::fdatasync(fd) : ::fsync(fd);
  return rc == 0 ? 0 : errno;
}

Status RealFile::sync() {
  KZ_RETURN_IF_ERROR(check_open("sync"));
  // Only the data is dirty if the size has not changed since the last sync (fdatasync suffices).
  bool data_only = size_bytes_ == synced_size_bytes_;
  uint64_t size = size_bytes_;  // what this sync covers (appends while it runs need the next one)
  int fd = fd_;
  int err;
  if (offload_ != nullptr) {
    err = offload_->sync_fd(fd, data_only);
  } else {
    err = (data_only ? ::fdatasync(fd) : ::fsync(fd)) == 0 ? 0 : errno;
  }
  if (err != 0) return fs_error(err, data_only ? "fdatasync" : "fsync", path_);
  if (data_only) {
    syncs_data_++;
  } else {
    syncs_full_++;
  }
  synced_size_bytes_ = size;
  return Status::ok();
}

Status RealFile::close() {
  if (fd_ < 0) return Status::ok();
  int fd = fd_;
  fd_ = -1;
  // Never retried on EINTR: on Linux the descriptor is gone either way.
  if (::close(fd) != 0 && errno != EINTR) return fs_error(errno, "close", path_);
  return Status::ok();
}

// ---------------------------------------------------------------- RealFs

RealFs::~RealFs() {
  if (offload_ != nullptr) offload_->shutdown();
}

void RealFs::offload_syncs(RealDriver& driver, rt::Scheduler& sched) {
  if (offload_ != nullptr) offload_->shutdown();
  offload_ = std::make_shared<SyncOffload>(&driver, &sched);
}

std::string RealFs::resolve(std::string_view path) const {
  if (root_.empty() || (!path.empty() && path.front() == '/')) return std::string(path);
  return io::join_path(root_, path);
}

Result<std::unique_ptr<io::File>> RealFs::open(std::string_view path, io::OpenOptions options) {
  std::string os_path = resolve(path);
  int flags = O_CLOEXEC | (options.write ? O_RDWR : O_RDONLY);
  if (options.create) flags |= O_CREAT;
  if (options.truncate) flags |= O_TRUNC;
  if (options.create && options.exclusive) flags |= O_EXCL;
  int fd;
  do {
    fd = ::open(os_path.c_str(), flags, kFileMode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return fs_error(errno, "open", os_path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return fs_error(err, "stat", os_path);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status(Code::kInvalidArgument, "open " + os_path + ": is a directory");
  }
  return std::unique_ptr<io::File>(
      new RealFile(fd, std::string(path), static_cast<uint64_t>(st.st_size), options.write, offload_));
}

Status RealFs::remove(std::string_view path) {
  std::string os_path = resolve(path);
  if (::unlink(os_path.c_str()) == 0) return Status::ok();
  int err = errno;
  if (err == EISDIR) {
    if (::rmdir(os_path.c_str()) == 0) return Status::ok();
    err = errno;
  }
  return fs_error(err, "remove", os_path);
}

Status RealFs::rename(std::string_view from, std::string_view to) {
  std::string os_from = resolve(from);
  std::string os_to = resolve(to);
  if (::rename(os_from.c_str(), os_to.c_str()) == 0) return Status::ok();
  return fs_error(errno, "rename", os_from + " to " + os_to);
}

Result<std::vector<std::string>> RealFs::list(std::string_view dir) {
  std::string os_path = resolve(dir.empty() ? std::string_view(".") : dir);
  DirCloser d{::opendir(os_path.c_str())};
  if (d.dir == nullptr) return fs_error(errno, "list", os_path);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    dirent* e = ::readdir(d.dir);
    if (e == nullptr) {
      if (errno != 0) return fs_error(errno, "list", os_path);
      break;
    }
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  std::sort(names.begin(), names.end());  // readdir's order is the file system's hash order
  return names;
}

Status RealFs::mkdirs(std::string_view dir) {
  std::string os_path = resolve(dir);
  if (os_path.empty()) return Status::ok();
  // Create each prefix in turn; an existing one is fine as long as the last is a directory.
  for (size_t i = 1; i <= os_path.size(); i++) {
    if (i != os_path.size() && os_path[i] != '/') continue;
    std::string prefix = os_path.substr(0, i);
    if (::mkdir(prefix.c_str(), kDirMode) != 0 && errno != EEXIST) return fs_error(errno, "mkdir", prefix);
  }
  struct stat st;
  if (::stat(os_path.c_str(), &st) != 0) return fs_error(errno, "mkdir", os_path);
  if (!S_ISDIR(st.st_mode)) return Status(Code::kAlreadyExists, "mkdir " + os_path + ": exists and is not a directory");
  return Status::ok();
}

Status RealFs::sync_dir(std::string_view dir) {
  std::string os_path = resolve(dir.empty() ? std::string_view(".") : dir);
  int fd = ::open(os_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fs_error(errno, "sync_dir", os_path);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return fs_error(err, "sync_dir", os_path);
  return Status::ok();
}

Result<bool> RealFs::exists(std::string_view path) {
  std::string os_path = resolve(path);
  struct stat st;
  if (::stat(os_path.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return fs_error(errno, "stat", os_path);
}

}  // namespace kz::real
