// Snapshots of the data tree in kz's own compact format (not ZooKeeper's snapshot.<zxid> file):
//
//   header : magic "KZSN" | int32 version (1) | int32 flags (bit 0: fuzzy) | int64 zxid
//   records: 0x01 session (int64 id, int32 timeout_ms)
//            0x02 node    (ustring path, buffer data, vector<ACL>, StatPersisted fields)
//            0x00 end
//   trailer: uint32 CRC32 (zlib) of everything before it
// All integers big-endian, strings/buffers/vectors as in jute. Nodes come in path order, so a
// parent always precedes its children.
//
// `zxid` is the last zxid applied when the snapshot began. A fuzzy snapshot is written in
// slices while txns keep being applied (SnapshotWriter), so it may hold changes made after
// `zxid`; restoring it and replaying the log from zxid+1 converges, because apply tolerates
// replays (see data_tree.h). In a fuzzy snapshot a node whose parent was created after the
// writer passed it can appear without its parent; restore drops it (the replay recreates it).
// In a non-fuzzy snapshot that is corruption.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/zk/data_tree.h"

namespace kz::zk {

// Writes a snapshot in slices. REQUIRES: the tree passed to write_some is the one passed to
// the constructor (it may have changed in between).
class SnapshotWriter {
 public:
  SnapshotWriter(const DataTree& tree, bool fuzzy);
  // Appends up to `nodes_max` nodes that come after the last one written, in path order.
  // Returns true while nodes remain.
  bool write_some(const DataTree& tree, size_t nodes_max);
  // Ends the snapshot and returns its bytes. REQUIRES: write_some returned false.
  std::string finish();
  int64_t zxid() const { return zxid_; }

 private:
  JuteWriter out_;
  int64_t zxid_;
  std::string last_path_;
  bool started_ = false;
  bool done_ = false;
};

// A consistent snapshot of the tree as it is now.
std::string encode_snapshot(const DataTree& tree);

struct RestoredSnapshot {
  DataTree tree;
  int64_t zxid = 0;
  bool fuzzy = false;
  size_t orphans_dropped = 0;  // fuzzy only
};
// Corruption errors name what is wrong and the byte offset.
Result<RestoredSnapshot> decode_snapshot(std::string_view bytes, DataTreeConfig config = {});

}  // namespace kz::zk
