// RealFs: io::Fs over POSIX files. Relative paths resolve under `root` (empty: the process's working
// directory); absolute paths are used as given.
//
// Durability: File::sync() uses fdatasync when the file's size has not changed since the last sync
// (the data is all that is dirty) and fsync otherwise (the size is metadata fdatasync may skip on
// some file systems). Directory entries need sync_dir() of the parent, as the seam's contract says.
// Every call but File::sync() runs on the calling thread (page cache makes them fast). File::sync()
// runs on a helper thread (SyncThread) once offload_syncs() was called and the caller is a fiber: the
// fiber parks until the data is durable while the scheduler runs the others. Without it (tests, tools)
// or outside a fiber, sync() blocks the process as before.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/fs.h"
#include "core/real/sync_thread.h"

namespace kz::real {

// Where a file's sync() goes: a SyncThread started on first use, or inline. Shared by the RealFs and
// its files; shut down with the RealFs (a file that outlives it syncs inline).
class SyncOffload {
 public:
  SyncOffload(RealDriver* driver, rt::Scheduler* sched) : driver_(driver), sched_(sched) {}
  // 0 or an errno. `data_only`: fdatasync, else fsync.
  int sync_fd(int fd, bool data_only);
  void shutdown() {
    thread_.reset();
    driver_ = nullptr;
    sched_ = nullptr;
  }
  const SyncThread* thread() const { return thread_.get(); }

 private:
  RealDriver* driver_;
  rt::Scheduler* sched_;
  std::unique_ptr<SyncThread> thread_;
  bool start_failed_ = false;
};

class RealFile final : public io::File {
 public:
  // `display_path` is the path as the caller named it (for messages).
  RealFile(int fd, std::string display_path, uint64_t size_bytes, bool writable,
           std::shared_ptr<SyncOffload> offload = nullptr)
      : fd_(fd), path_(std::move(display_path)), size_bytes_(size_bytes), synced_size_bytes_(size_bytes),
        writable_(writable), offload_(std::move(offload)) {}
  ~RealFile() override;

  Result<size_t> pread(uint64_t offset, std::span<uint8_t> buf) override;
  Status pwrite(uint64_t offset, std::span<const uint8_t> data) override;
  Status append(std::span<const uint8_t> data) override;
  Result<uint64_t> size() override;
  Status truncate(uint64_t size) override;
  Status sync() override;
  Status close() override;
  const std::string& path() const override { return path_; }

  uint64_t syncs_full() const { return syncs_full_; }
  uint64_t syncs_data() const { return syncs_data_; }

 private:
  Status check_open(std::string_view op) const;
  Status check_writable(std::string_view op) const;

  int fd_;
  std::string path_;
  uint64_t size_bytes_;         // tracked, so append needs no fstat
  uint64_t synced_size_bytes_;  // the size made durable by the last sync (or found at open)
  bool writable_;
  std::shared_ptr<SyncOffload> offload_;  // null: sync inline
  uint64_t syncs_full_ = 0;
  uint64_t syncs_data_ = 0;
};

class RealFs final : public io::Fs {
 public:
  explicit RealFs(std::string root = "") : root_(std::move(root)) {}
  ~RealFs() override;

  // From now on, files opened here sync on a helper thread when called from a fiber of `sched`
  // (started on the first such sync). REQUIRES: `driver` and `sched` outlive this RealFs.
  void offload_syncs(RealDriver& driver, rt::Scheduler& sched);
  // The helper thread, if started (for tests and stats).
  const SyncThread* sync_thread() const { return offload_ ? offload_->thread() : nullptr; }

  Result<std::unique_ptr<io::File>> open(std::string_view path, io::OpenOptions options) override;
  Status remove(std::string_view path) override;
  Status rename(std::string_view from, std::string_view to) override;
  Result<std::vector<std::string>> list(std::string_view dir) override;
  Status mkdirs(std::string_view dir) override;
  Status sync_dir(std::string_view dir) override;
  Result<bool> exists(std::string_view path) override;

  const std::string& root() const { return root_; }
  // The OS path of a seam path.
  std::string resolve(std::string_view path) const;

 private:
  std::string root_;
  std::shared_ptr<SyncOffload> offload_;
};

}  // namespace kz::real
