// A node's simulated disk: an in-memory file system (directories and files) implementing io::Fs with
// the durability contract of core/io/fs.h, and the faults real disks have.
//
// State: every file has volatile bytes (what reads see, the page cache) and durable bytes (what
// survives a crash), plus the log of writes and truncates since its last successful sync. Every
// directory has volatile entries and durable entries. File::sync() makes the file's bytes and size
// durable; sync_dir(dir) makes dir's entries durable (a rename is atomic: making the new name durable
// drops the old durable name, wherever it was). mkdirs() is durable at once (as if it synced its
// parents): directories are created once at startup by every user, and losing them is not a fault
// worth simulating.
//
// Fault model:
//   - crash(tear): volatile state is replaced by durable state. For each file, a seeded choice keeps
//     either none of its unsynced writes, or a prefix of them (in write order); with `tear`, the
//     first write past that prefix may also be partly applied, cut at a 512-byte sector boundary.
//     Unsynced directory changes are lost. File handles of the crashed process become invalid
//     (every operation fails with kIoError; destroying them is harmless);
//   - fsync failure: the next N syncs (File::sync or sync_dir) fail with kIoError and make nothing
//     durable (the data stays volatile; a later successful sync makes it durable);
//   - ENOSPC: a write that would grow the volatile bytes beyond the capacity fails with kNoSpace and
//     writes nothing;
//   - bit rot: flip_bit() flips one bit of a durable byte (and its volatile copy), at rest;
//   - latency: each operation sleeps a seeded time on the node's clock before taking effect
//     (configurable per kind, zero allowed); an operation interrupted by a crash has no effect.
//     Writes (pwrite, append) are write-behind, as into a page cache: a write takes effect at once
//     (volatile and unsynced, so a crash loses or tears it like any unsynced write), and its
//     latency is slept by the handle's next operation together with that operation's own (a
//     write then sync is one sleep of both latencies, not two sleeps).
//
// Determinism: inodes are numbered in creation order and kept in ordered maps; all choices come
// from the disk's seeded Rng; every operation is recorded into the trace (kTraceDiskOp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/base/time.h"
#include "core/io/clock.h"
#include "core/io/fs.h"
#include "core/io/rng.h"
#include "core/runtime/scheduler.h"
#include "sim/trace_kinds.h"

namespace kz::sim {

// Uniform latency ranges per kind of operation; all zero: operations take no simulated time.
struct DiskLatency {
  int64_t read_ns_min = 1 * kNsPerUs;
  int64_t read_ns_max = 5 * kNsPerUs;
  int64_t write_ns_min = 5 * kNsPerUs;
  int64_t write_ns_max = 20 * kNsPerUs;
  int64_t sync_ns_min = 100 * kNsPerUs;
  int64_t sync_ns_max = 500 * kNsPerUs;
  int64_t meta_ns_min = 5 * kNsPerUs;  // open, rename, remove, list, mkdirs, exists
  int64_t meta_ns_max = 20 * kNsPerUs;

  static DiskLatency zero() { return DiskLatency{0, 0, 0, 0, 0, 0, 0, 0}; }
};

struct DiskOptions {
  DiskLatency latency = {};
  // The disk lives in memory: the capacity also bounds what a malformed write can allocate.
  uint64_t capacity_bytes = 4ULL << 30;
  // On crash, the chance that a file keeps a (random) prefix of its unsynced writes rather than none.
  double crash_keep_prefix_probability = 0.5;
};

// Operation codes recorded as kTraceDiskOp: a = (disk id << 8) | op.
enum DiskOp : uint64_t {
  kDiskOpOpen = 1,
  kDiskOpRead = 2,
  kDiskOpWrite = 3,
  kDiskOpTruncate = 4,
  kDiskOpSync = 5,
  kDiskOpSyncFailed = 6,
  kDiskOpRemove = 7,
  kDiskOpRename = 8,
  kDiskOpSyncDir = 9,
  kDiskOpMkdirs = 10,
  kDiskOpCrash = 11,
  kDiskOpBitFlip = 12,
  kDiskOpNoSpace = 13,
};

class SimFile;

class SimDisk final : public io::Fs {
 public:
  static constexpr uint64_t kSectorBytes = 512;

  // `clock` is the node's (latency sleeps); `disk_id` names the disk in the trace.
  SimDisk(rt::Scheduler& sched, io::Clock& clock, rt::TraceSink* trace, uint64_t seed, uint32_t disk_id,
          DiskOptions options);
  ~SimDisk() override;
  SimDisk(const SimDisk&) = delete;
  SimDisk& operator=(const SimDisk&) = delete;

  // ---- io::Fs
  Result<std::unique_ptr<io::File>> open(std::string_view path, io::OpenOptions options) override;
  Status remove(std::string_view path) override;
  Status rename(std::string_view from, std::string_view to) override;
  Result<std::vector<std::string>> list(std::string_view dir) override;
  Status mkdirs(std::string_view dir) override;
  Status sync_dir(std::string_view dir) override;
  Result<bool> exists(std::string_view path) override;

  // ---- Crash (called by the World when the node crashes or loses power)
  void crash(bool tear);

  // ---- Faults
  struct BitFlip {
    std::string path;
    uint64_t offset = 0;
    uint8_t bit = 0;
  };
  // Flips one bit of a durable byte at rest. `path` empty: a seeded choice among files with durable
  // bytes. The byte is chosen in [offset_lo, offset_hi) clipped to the durable size.
  // kNotFound if there is no such file or no durable byte in the range.
  Result<BitFlip> flip_bit(std::string_view path = {}, uint64_t offset_lo = 0, uint64_t offset_hi = UINT64_MAX);
  // flip_bit() on a seeded file and byte; nullopt if no file has durable bytes.
  std::optional<BitFlip> flip_random_bit();
  // The next `count` syncs fail with kIoError (count <= 0: none).
  void fail_next_syncs(int count) { sync_failures_pending_ += static_cast<uint32_t>(std::max(count, 0)); }
  void set_capacity_bytes(uint64_t capacity_bytes) { options_.capacity_bytes = capacity_bytes; }
  // While full, a write that needs new space fails with kNoSpace (overwrites still succeed).
  void set_full(bool full) { full_ = full; }
  void set_latency(const DiskLatency& latency) { options_.latency = latency; }
  // Multiplies every latency by `factor` (>= 1; 1 restores the configured latency): a slow disk.
  void set_slowdown(int factor) { slowdown_ = std::max(factor, 1); }

  // ---- Inspection (tests, checkers, reports)
  uint64_t used_bytes() const { return used_bytes_; }
  // Incremented by every crash: handles of an older generation are dead.
  uint32_t generation() const { return generation_; }
  // The bytes that would survive a crash that keeps nothing unsynced, at the durable name `path`.
  Result<std::vector<uint8_t>> durable_contents(std::string_view path) const;
  uint64_t ops() const { return ops_; }

 private:
  friend class SimFile;

  struct PendingOp {
    bool truncate = false;
    uint64_t offset = 0;  // write: where; truncate: the new size
    std::vector<uint8_t> bytes;
    // An append made while the file's durable bytes are a prefix of its volatile bytes (see Inode)
    // keeps no copy: its bytes are data[offset, offset + in_data_bytes), and `bytes` is empty.
    uint64_t in_data_bytes = 0;
  };
  struct Inode {
    bool is_dir = false;
    // Files. The durable bytes are either `durable`, or (durable_in_data) the first
    // durable_prefix_bytes of `data`: after a sync the two are equal, and appends (nearly every
    // write: logs) leave that prefix alone, so a sync needs no copy and an append keeps none. Any
    // other change (overwrite, truncate), a crash or a bit flip first copies the durable bytes and
    // the pending appends' bytes out (materialize_durable); the file then keeps separate durable
    // bytes until the next crash, so one overwritten in place (a preallocated log) pays that copy
    // once, not per write. A crash leaves every file with durable bytes in data again.
    std::vector<uint8_t> data;     // volatile
    std::vector<uint8_t> durable;  // survives a crash (unless durable_in_data)
    bool durable_in_data = true;
    uint64_t durable_prefix_bytes = 0;
    std::vector<PendingOp> unsynced;
    // Directories: name -> inode.
    std::map<std::string, uint64_t> children;
    std::map<std::string, uint64_t> durable_children;
    // Where the inode is linked (0: nowhere). No hard links: at most one name of each kind.
    uint64_t parent = 0;
    std::string name;
    uint64_t durable_parent = 0;
    std::string durable_name;
    uint32_t handles = 0;  // open File objects of the current generation
  };
  static constexpr uint64_t kRootInode = 1;

  // Paths
  static Result<std::vector<std::string_view>> split_path(std::string_view path);
  // Resolves through volatile entries; 0 if missing. kNotFound/kInvalidArgument on bad paths.
  Result<uint64_t> lookup(std::string_view path);
  // Resolves the parent directory of `path` (must exist) and returns (parent inode, last name).
  Result<std::pair<uint64_t, std::string>> lookup_parent(std::string_view path);
  Inode& inode(uint64_t id);
  const Inode* find_inode(uint64_t id) const;
  // Resolves through durable entries (what a crash would leave); 0 if missing.
  uint64_t durable_lookup(std::string_view path) const;
  // Files with durable bytes, by durable path, in path order.
  void durable_files(uint64_t dir, const std::string& prefix, std::vector<std::pair<std::string, uint64_t>>* out) const;

  // Links
  void link(uint64_t dir, const std::string& name, uint64_t child);
  void unlink(uint64_t dir, const std::string& name);
  void unlink_durable(uint64_t child);
  // Points the durable entry `name` of `dir` at `child` (dropping whatever it replaced).
  void link_durable(uint64_t dir, const std::string& name, uint64_t child);
  void maybe_free(uint64_t id);
  void forget_cached_inode() const {
    cached_inode_id_ = 0;
    cached_inode_ = nullptr;
  }

  // File operations (SimFile forwards here)
  Status check_handle(uint64_t id, uint32_t generation, std::string_view path) const;
  Result<size_t> file_pread(uint64_t id, uint64_t offset, std::span<uint8_t> buf);
  Status file_pwrite(uint64_t id, uint64_t offset, std::span<const uint8_t> data, std::string_view path);
  Status file_truncate(uint64_t id, uint64_t size, std::string_view path);
  Status file_sync(uint64_t id, std::string_view path);
  void release_handle(uint64_t id, uint32_t generation);

  static void apply(std::vector<uint8_t>& bytes, const PendingOp& op);
  // Leaves durable_in_data: copies the durable prefix into `durable` and each pending append's
  // bytes into its op. No-op if the durable bytes are already separate.
  static void materialize_durable(Inode& f);
  static uint64_t durable_size(const Inode& f) { return f.durable_in_data ? f.durable_prefix_bytes : f.durable.size(); }
  bool take_sync_failure();
  // Whether `growth` more bytes fit (capacity and set_full).
  bool fits(uint64_t growth) const;
  // Sleeps a seeded latency from [lo, hi] on the node clock (only inside a fiber, never while the
  // fiber is being unwound).
  void delay(int64_t lo_ns, int64_t hi_ns);
  // delay() in two steps: a seeded latency (0 where delay would not sleep), and the sleep.
  int64_t draw_latency(int64_t lo_ns, int64_t hi_ns);
  void sleep_ns(int64_t ns);
  void record(DiskOp op, uint64_t value) {
    ops_++;
    if (trace_ != nullptr) trace_->record(kTraceDiskOp, (static_cast<uint64_t>(disk_id_) << 8) | op, value);
  }

  rt::Scheduler& sched_;
  io::Clock& clock_;
  rt::TraceSink* trace_;
  io::Rng rng_;
  uint32_t disk_id_;
  DiskOptions options_;
  std::map<uint64_t, Inode> inodes_;
  // The inode found last: each file operation looks its inode up several times (handle checks, the
  // operation itself). Map nodes are stable, so this stays valid until that inode is erased
  // (forget_cached_inode, wherever inodes_ erases).
  mutable uint64_t cached_inode_id_ = 0;
  mutable Inode* cached_inode_ = nullptr;
  uint64_t next_inode_ = kRootInode + 1;
  uint64_t used_bytes_ = 0;
  uint32_t sync_failures_pending_ = 0;
  int slowdown_ = 1;
  bool full_ = false;
  uint32_t generation_ = 1;
  uint64_t ops_ = 0;
};

}  // namespace kz::sim
