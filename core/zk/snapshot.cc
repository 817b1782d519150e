#include "core/zk/snapshot.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>

#include "core/zk/path.h"

namespace kz::zk {

namespace {

constexpr int32_t kMagic = 0x4b5a534e;  // "KZSN"
constexpr int32_t kVersion = 1;
constexpr int32_t kFlagFuzzy = 1;
constexpr uint8_t kTagEnd = 0;
constexpr uint8_t kTagSession = 1;
constexpr uint8_t kTagNode = 2;
constexpr size_t kHeaderBytes = 4 + 4 + 4 + 8;
constexpr size_t kTrailerBytes = 4;
// Node data may be as large as the tree allows; paths and ACL ids are far smaller.
constexpr int32_t kSnapshotLengthMax = INT32_MAX / 2;

struct SnapNode {
  KZ_JUTE_RECORD(SnapNode);
  std::string path;
  Buffer data;
  AclList acl;
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeral_owner = 0;
  int64_t pzxid = 0;
  template <typename S, typename V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("data", s.data);
    v("acl", s.acl);
    v("czxid", s.czxid);
    v("mzxid", s.mzxid);
    v("ctime", s.ctime);
    v("mtime", s.mtime);
    v("version", s.version);
    v("cversion", s.cversion);
    v("aversion", s.aversion);
    v("ephemeralOwner", s.ephemeral_owner);
    v("pzxid", s.pzxid);
  }
};

uint32_t crc_of(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; feed in chunks so huge snapshots are fine.
  size_t offset = 0;
  while (offset < bytes.size()) {
    const size_t n = std::min<size_t>(bytes.size() - offset, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + offset), static_cast<uInt>(n));
    offset += n;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

SnapshotWriter::SnapshotWriter(const DataTree& tree, bool fuzzy) : zxid_(tree.last_zxid()) {
  out_.write_int(kMagic);
  out_.write_int(kVersion);
  out_.write_int(fuzzy ? kFlagFuzzy : 0);
  out_.write_long(zxid_);
  for (const auto& [id, timeout_ms] : tree.sessions()) {
    out_.write_byte(kTagSession);
    out_.write_long(id);
    out_.write_int(timeout_ms);
  }
}

bool SnapshotWriter::write_some(const DataTree& tree, size_t nodes_max) {
  KZ_ASSERT(!done_);
  KZ_ASSERT(nodes_max > 0);
  const auto& nodes = tree.nodes();
  auto it = started_ ? nodes.upper_bound(last_path_) : nodes.begin();
  for (size_t written = 0; it != nodes.end() && written < nodes_max; ++it, ++written) {
    const Node& node = it->second;
    SnapNode rec{it->first,          node.data,          node.acl,           node.stat.czxid,
                 node.stat.mzxid,    node.stat.ctime_ms, node.stat.mtime_ms, node.stat.version,
                 node.stat.cversion, node.stat.aversion, node.stat.ephemeral_owner, node.stat.pzxid};
    out_.write_byte(kTagNode);
    jute_write(out_, rec);
    last_path_ = it->first;
    started_ = true;
  }
  done_ = it == nodes.end();
  return !done_;
}

std::string SnapshotWriter::finish() {
  KZ_ASSERT(done_);
  std::string bytes = out_.take();
  bytes.push_back(static_cast<char>(kTagEnd));
  const uint32_t crc = crc_of(bytes);
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((crc >> shift) & 0xff));
  return bytes;
}

std::string encode_snapshot(const DataTree& tree) {
  SnapshotWriter writer(tree, /*fuzzy=*/false);
  while (writer.write_some(tree, SIZE_MAX)) {
  }
  return writer.finish();
}

Result<RestoredSnapshot> decode_snapshot(std::string_view bytes, DataTreeConfig config) {
  if (bytes.size() < kHeaderBytes + 1 + kTrailerBytes) {
    return error(Code::kCorruption, fmt::format("snapshot: {} bytes is shorter than header and trailer", bytes.size()));
  }
  const std::string_view covered = bytes.substr(0, bytes.size() - kTrailerBytes);
  uint32_t stored_crc = 0;
  for (size_t i = covered.size(); i < bytes.size(); i++) stored_crc = (stored_crc << 8) | static_cast<uint8_t>(bytes[i]);
  const uint32_t computed_crc = crc_of(covered);
  if (stored_crc != computed_crc) {
    return error(Code::kCorruption, fmt::format("snapshot: crc mismatch at offset {}: stored {:#010x}, computed {:#010x}",
                                                covered.size(), stored_crc, computed_crc));
  }
  JuteReader r(covered, kSnapshotLengthMax);
  r.push_name("snapshot");
  int32_t magic = 0, version = 0, flags = 0;
  int64_t zxid = 0;
  KZ_RETURN_IF_ERROR(r.read_int(&magic));
  if (magic != kMagic) return error(Code::kCorruption, fmt::format("snapshot: bad magic {:#x} at offset 0", magic));
  KZ_RETURN_IF_ERROR(r.read_int(&version));
  if (version != kVersion) {
    return error(Code::kCorruption, fmt::format("snapshot: unsupported version {} at offset 4", version));
  }
  KZ_RETURN_IF_ERROR(r.read_int(&flags));
  KZ_RETURN_IF_ERROR(r.read_long(&zxid));
  RestoredSnapshot out{DataTree::empty_for_restore(std::move(config), zxid), zxid, (flags & kFlagFuzzy) != 0, 0};
  // Bounded: each record consumes at least one byte.
  for (;;) {
    const size_t at = r.offset();
    uint8_t tag = 0;
    KZ_RETURN_IF_ERROR(r.read_byte(&tag));
    if (tag == kTagEnd) break;
    if (tag == kTagSession) {
      int64_t id = 0;
      int32_t timeout_ms = 0;
      KZ_RETURN_IF_ERROR(r.read_long(&id));
      KZ_RETURN_IF_ERROR(r.read_int(&timeout_ms));
      out.tree.restore_session(id, timeout_ms);
    } else if (tag == kTagNode) {
      SnapNode rec;
      KZ_RETURN_IF_ERROR(jute_read(r, rec));
      Node node;
      node.data = std::move(rec.data);
      node.acl = std::move(rec.acl);
      node.stat = NodeStat{rec.czxid, rec.mzxid,    rec.ctime,           rec.mtime, rec.version,
                           rec.cversion, rec.aversion, rec.ephemeral_owner, rec.pzxid};
      const bool is_root = rec.path == "/";
      const bool parent_missing = !is_root && (rec.path.size() < 2 || rec.path[0] != '/' ||
                                               out.tree.find(parent_path(rec.path)) == nullptr);
      if (parent_missing && out.fuzzy && rec.path.size() >= 2 && rec.path[0] == '/') {
        out.orphans_dropped++;
        continue;
      }
      if (!out.tree.restore_node(rec.path, std::move(node))) {
        return error(Code::kCorruption,
                     fmt::format("snapshot: node record at offset {} cannot be restored: path \"{}\" is malformed, "
                                 "duplicated or has no parent",
                                 at, rec.path));
      }
    } else {
      return error(Code::kCorruption, fmt::format("snapshot: unknown record tag {} at offset {}", tag, at));
    }
  }
  if (!r.at_end()) return r.corruption("snapshot: bytes after the end record");
  if (out.tree.find("/") == nullptr) return error(Code::kCorruption, "snapshot: no root node");
  return out;
}

}  // namespace kz::zk
