// SnapshotStore: durable snapshots of the replicated state machine, as opaque bytes, on io::Fs.
//
// A snapshot is a file `snapshot.<hex zxid>` (the zxid of the last transaction applied to the state
// it holds) laid out as
//     ["KZSN"][version u32][zxid u64][state_len u64][crc32c u32][state: state_len bytes]  (big-endian)
// with the crc over zxid, state_len and the state. It is written atomically: a `.tmp` file is written
// and fsynced, renamed over the final name, and the directory is fsynced; a crash leaves either the
// complete snapshot or none (a stale `.tmp` is removed on the next write).
//
// Loading validates everything; a damaged snapshot is an error naming the file and offset.
// load_latest() falls back to an older snapshot when the newest is damaged (logging why), as
// ZooKeeper does, so one rotten file does not make a server unbootable while older ones and the
// log can rebuild the state.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/io/env.h"
#include "core/zk/storage/txn_log.h"

namespace kz::zk::storage {

struct Snapshot {
  uint64_t zxid = 0;
  std::vector<uint8_t> state;
};

class SnapshotStore {
 public:
  static constexpr uint32_t kHeaderBytes = 28;
  // The autopurge.snapRetainCount floor (ZooKeeper's): fewer would leave no fallback.
  static constexpr size_t kRetainCountMin = 3;

  // `env` is copied; its fs must outlive the store. `state_bytes_max` bounds what a load may allocate.
  SnapshotStore(const io::Env& env, std::string dir, uint64_t state_bytes_max = 1ULL << 30);

  Status init();  // creates the directory
  Status write(uint64_t zxid, std::span<const uint8_t> state);
  // zxids of the snapshot files present, ascending (not validated).
  Result<std::vector<uint64_t>> list();
  Result<Snapshot> load(uint64_t zxid);
  // The newest snapshot that validates; nullopt if there is none.
  Result<std::optional<Snapshot>> load_latest();
  // Keeps the newest max(retain_count, 3) snapshots, removes the older ones, and removes the log
  // files (of `log`, may be null) whose records are all older than the oldest snapshot kept.
  Status purge(size_t retain_count, TxnLog* log);

  static std::string file_name(uint64_t zxid);

 private:
  std::string path_of(uint64_t zxid) const;

  io::Env env_;  // a copy: a handful of pointers and the node's logger
  std::string dir_;
  uint64_t state_bytes_max_;
};

}  // namespace kz::zk::storage
