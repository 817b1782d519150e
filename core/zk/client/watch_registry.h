// The client's record of the watches it holds on the server (ZooKeeper's ZKWatchManager), kept so
// that a reconnect can re-arm them with SetWatches2 and so that removeWatches knows what it removes.
//
// A watch is recorded only when the server accepted it (the reply that set it came back OK, or
// NONODE for exists, which then watches for the creation). A notification removes the one-shot
// watches it triggers, with ZooKeeper's rules:
//   NodeCreated, NodeDataChanged -> data and exist watches on the path;
//   NodeChildrenChanged          -> child watches on the path;
//   NodeDeleted                  -> data, exist and child watches on the path.
// Persistent and persistent-recursive watches stay until removed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/zk/codes.h"
#include "core/zk/proto.h"

namespace kz::zk::client {

enum class WatchKind : uint8_t { kData, kExist, kChild, kPersistent, kPersistentRecursive };
inline constexpr size_t kWatchKinds = 5;

class WatchRegistry {
 public:
  void add(WatchKind kind, const std::string& path) { sets_[index(kind)].insert(path); }
  bool contains(WatchKind kind, const std::string& path) const { return sets_[index(kind)].count(path) > 0; }
  size_t count(WatchKind kind) const { return sets_[index(kind)].size(); }
  bool empty() const;
  void clear();

  // The server sent `type` for `path`: drops the one-shot watches it fires. Returns true if any
  // recorded watch (one-shot or persistent) covers the event.
  bool on_event(EventType type, const std::string& path);

  // Whether a removeWatches of `type` on `path` would remove anything (ZooKeeper checks locally
  // first and answers NOWATCHER without asking the server).
  bool has_removable(const std::string& path, WatcherType type) const;
  // removeWatches succeeded: drops the watches it removed and returns the events ZooKeeper
  // delivers for them (DataWatchRemoved, ChildWatchRemoved, PersistentWatchRemoved), in that order.
  std::vector<EventType> remove(const std::string& path, WatcherType type);

  // SetWatches2 records that re-arm every watch, each carrying at most `path_bytes_max` bytes of
  // paths (ZooKeeper splits at 128 KiB so no packet exceeds jute.maxbuffer). Empty if no watch.
  std::vector<SetWatches2> set_watches(int64_t relative_zxid, size_t path_bytes_max) const;

 private:
  static size_t index(WatchKind kind) { return static_cast<size_t>(kind); }
  std::array<std::set<std::string>, kWatchKinds> sets_;
};

}  // namespace kz::zk::client
