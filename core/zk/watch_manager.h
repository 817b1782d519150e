// Watches, with ZooKeeper 3.8's server-side rules (WatchManager + DataTree's trigger calls).
//
// Two tables, as in ZooKeeper: data watches (set by getData and exists, also on paths that do
// not exist yet) and child watches (set by getChildren). A watch is held by a watcher id (the
// connection's session id) in one or more modes: standard (one-shot), persistent, and
// persistent-recursive. addWatch(persistent) registers in both tables; addWatch(recursive) only
// in the data table, which is why recursive watches never see NodeChildrenChanged.
//
// Trigger rules (what WatchTrigger becomes):
//   created  P: data table NodeCreated at P; child table NodeChildrenChanged at parent(P).
//   deleted  P: data table NodeDeleted at P; child table NodeDeleted at P (not again for a
//               watcher the data table already notified); NodeChildrenChanged at parent(P).
//   changed  P: data table NodeDataChanged at P.
// In each table a lookup visits P and, when recursive watches exist, every ancestor; standard
// and persistent watches fire only at P itself, recursive ones at P or any ancestor. A standard
// watch is consumed when it fires; persistent ones stay. A watcher gets at most one event per
// table per trigger. Within one lookup events are ordered by watcher id (ZooKeeper uses a hash
// set; any order is allowed, ours is deterministic).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/zk/codes.h"
#include "core/zk/data_tree.h"
#include "core/zk/proto.h"

namespace kz::zk {

using WatcherId = int64_t;

// One notification to deliver: the server sends it as ReplyHeader(xid -1, zxid, 0) + event.
struct WatchEvent {
  WatcherId watcher = 0;
  WatcherEvent event;  // state is always SyncConnected
  int64_t zxid = -1;   // the txn that caused it (-1 for set-watches catch-up events)
  bool operator==(const WatchEvent&) const = default;
};

class WatchManager {
 public:
  // getData / exists with watch=true (exists registers even when the node is missing).
  void add_data_watch(std::string_view path, WatcherId watcher);
  // getChildren / getChildren2 with watch=true.
  void add_child_watch(std::string_view path, WatcherId watcher);
  // addWatch.
  void add_persistent_watch(std::string_view path, WatcherId watcher, AddWatchMode mode);

  // The events a committed change fires, consuming one-shot watches.
  std::vector<WatchEvent> trigger(const WatchTrigger& trigger, int64_t zxid);
  std::vector<WatchEvent> trigger_all(const std::vector<WatchTrigger>& triggers, int64_t zxid);

  // checkWatches / removeWatches (3.8: children, data or any; all modes of that table).
  bool contains(std::string_view path, WatcherId watcher, WatcherType type) const;
  bool remove(std::string_view path, WatcherId watcher, WatcherType type);
  // The connection went away: drop all its watches.
  void remove_watcher(WatcherId watcher);

  // setWatches / setWatches2 after a reconnect: for each watch the client still holds, either
  // fire now (the change already happened after relative_zxid) or register it again.
  //   data:  node missing -> NodeDeleted; mzxid > relative -> NodeDataChanged; else re-arm.
  //   exist: node present -> NodeCreated; else re-arm.
  //   child: node missing -> NodeDeleted; pzxid > relative -> NodeChildrenChanged; else re-arm.
  //   persistent / recursive: always re-armed.
  std::vector<WatchEvent> set_watches(const DataTree& tree, WatcherId watcher, const SetWatches2& request);

  // The watches a watcher holds, in SetWatches2 shape (a data watch on a missing node is
  // listed as an exist watch, since only exists can set one there).
  SetWatches2 watches_of(const DataTree& tree, WatcherId watcher) const;
  size_t watch_count() const;

 private:
  enum Mode : uint8_t { kStandard = 1, kPersistent = 2, kRecursive = 4 };
  struct Table {
    std::map<std::string, std::map<WatcherId, uint8_t>, std::less<>> by_path;
    std::map<WatcherId, std::set<std::string>> by_watcher;
    size_t recursive_count = 0;

    void add(std::string_view path, WatcherId watcher, uint8_t mode);
    bool contains(std::string_view path, WatcherId watcher) const;
    bool remove(std::string_view path, WatcherId watcher);
    void remove_watcher(WatcherId watcher);
    // Watchers to notify for a change at `path`; consumes standard watches at `path`.
    std::set<WatcherId> collect(std::string_view path);
  };

  static void emit(const std::set<WatcherId>& watchers, const std::set<WatcherId>& suppress, EventType type,
                   std::string_view path, int64_t zxid, std::vector<WatchEvent>& out);

  Table data_;
  Table child_;
};

}  // namespace kz::zk
