#include "core/zk/data_tree.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/zk/auth.h"
#include "core/zk/path.h"

namespace kz::zk {

EphemeralKind ephemeral_kind(int64_t ephemeral_owner, bool extended_types_enabled) {
  if (ephemeral_owner == kContainerEphemeralOwner) return EphemeralKind::kContainer;
  const auto owner = static_cast<uint64_t>(ephemeral_owner);
  if (extended_types_enabled && (owner & kExtendedMask) == kExtendedMask && (owner & kExtendedReservedMask) == 0) {
    return EphemeralKind::kTtl;
  }
  return ephemeral_owner == 0 ? EphemeralKind::kVoid : EphemeralKind::kNormal;
}

int64_t ttl_ephemeral_owner(int64_t ttl_ms) {
  KZ_ASSERT(ttl_ms > 0 && ttl_ms <= kTtlMaxMs);
  return static_cast<int64_t>(kExtendedMask | static_cast<uint64_t>(ttl_ms));
}

int64_t ttl_of_ephemeral_owner(int64_t ephemeral_owner) {
  return static_cast<int64_t>(static_cast<uint64_t>(ephemeral_owner) & static_cast<uint64_t>(kTtlMaxMs));
}

std::vector<OpResult> multi_op_results(const ApplyResult& result) {
  std::vector<OpResult> out;
  for (const ApplyResult& sub : result.multi) {
    OpResult r;
    switch (static_cast<OpCode>(sub.type)) {
      case OpCode::kCreate:
        r.type = sub.type;
        r.path = sub.path;
        break;
      case OpCode::kCreate2:
      case OpCode::kCreateContainer:
      case OpCode::kCreateTtl:
        r.type = op(OpCode::kCreate2);
        r.path = sub.path;
        r.stat = sub.stat;
        break;
      case OpCode::kDelete:
      case OpCode::kDeleteContainer: r.type = op(OpCode::kDelete); break;
      case OpCode::kSetData:
        r.type = sub.type;
        r.stat = sub.stat;
        break;
      case OpCode::kCheck: r.type = sub.type; break;
      case OpCode::kError:
        r.type = sub.type;
        r.err = err(sub.err);
        break;
      default: KZ_UNREACHABLE(fmt::format("multi sub-result of type {}", sub.type));
    }
    out.push_back(std::move(r));
  }
  return out;
}

DataTree::DataTree(Tag, DataTreeConfig config) : config_(std::move(config)) {}

DataTree DataTree::empty_for_restore(DataTreeConfig config, int64_t last_zxid) {
  DataTree tree(Tag{}, std::move(config));
  tree.last_zxid_ = last_zxid;
  return tree;
}

DataTree::DataTree(DataTreeConfig config) : config_(std::move(config)) {
  Node root;
  root.data = std::string();
  root.acl = open_acl_unsafe();
  Node zookeeper = root;
  Node node_config;
  node_config.data = config_.config_data;
  node_config.acl = read_acl_unsafe();
  bool ok = restore_node(std::string(kRootPath), root);
  ok = ok && restore_node(std::string(kZookeeperPath), zookeeper);
  ok = ok && restore_node(std::string(kQuotaPath), zookeeper);
  ok = ok && restore_node(std::string(kConfigPath), node_config);
  KZ_ASSERT(ok);
}

const Node* DataTree::find(std::string_view path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

Stat DataTree::stat_of(const Node& node) {
  Stat s;
  s.czxid = node.stat.czxid;
  s.mzxid = node.stat.mzxid;
  s.ctime = node.stat.ctime_ms;
  s.mtime = node.stat.mtime_ms;
  s.version = node.stat.version;
  s.cversion = node.stat.cversion;
  s.aversion = node.stat.aversion;
  s.ephemeral_owner = node.stat.ephemeral_owner;
  s.data_length = buffer_size(node.data);
  s.num_children = static_cast<int32_t>(node.children.size());
  s.pzxid = node.stat.pzxid;
  return s;
}

uint64_t DataTree::node_hash(std::string_view path, const Node& node) {
  // A word-at-a-time multiplicative hash over a canonical encoding (lengths before bytes), finished
  // with a 64-bit mixer so that the sum over nodes does not cancel structured differences. It runs
  // twice per applied change (old node out, new node in), so it reads 8 bytes per step.
  uint64_t h = 0xcbf29ce484222325ull;
  auto num = [&h](uint64_t v) {
    h = (h ^ v) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  };
  auto bytes = [&num](std::string_view s) {
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      num(w);
    }
    uint64_t tail = 0;
    if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
    num(tail);
  };
  num(path.size());
  bytes(path);
  num(node.data ? node.data->size() : UINT64_MAX);
  if (node.data) bytes(*node.data);
  num(node.acl.size());
  for (const Acl& a : node.acl) {
    num(static_cast<uint32_t>(a.perms));
    num(a.id.scheme.size());
    bytes(a.id.scheme);
    num(a.id.id.size());
    bytes(a.id.id);
  }
  const NodeStat& s = node.stat;
  for (int64_t v : {s.czxid, s.mzxid, s.ctime_ms, s.mtime_ms, s.ephemeral_owner, s.pzxid}) num(static_cast<uint64_t>(v));
  for (int32_t v : {s.version, s.cversion, s.aversion}) num(static_cast<uint32_t>(v));
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

uint64_t DataTree::compute_digest() const {
  uint64_t sum = 0;
  for (const auto& [path, node] : nodes_) sum += node_hash(path, node);
  return sum;
}

void DataTree::index_node(const std::string& path, const Node& node) {
  switch (ephemeral_kind(node.stat.ephemeral_owner, config_.extended_types_enabled)) {
    case EphemeralKind::kVoid: break;
    case EphemeralKind::kNormal: ephemerals_[node.stat.ephemeral_owner].insert(path); break;
    case EphemeralKind::kContainer: containers_.insert(path); break;
    case EphemeralKind::kTtl: ttls_.insert(path); break;
  }
}

void DataTree::unindex_node(const std::string& path, const Node& node) {
  const int64_t owner = node.stat.ephemeral_owner;
  switch (ephemeral_kind(owner, config_.extended_types_enabled)) {
    case EphemeralKind::kVoid: break;
    case EphemeralKind::kNormal: {
      auto it = ephemerals_.find(owner);
      if (it != ephemerals_.end()) {
        it->second.erase(path);
        if (it->second.empty()) ephemerals_.erase(it);
      }
      break;
    }
    case EphemeralKind::kContainer: containers_.erase(path); break;
    case EphemeralKind::kTtl: ttls_.erase(path); break;
  }
}

bool DataTree::restore_node(const std::string& path, Node node) {
  if (path.empty() || path[0] != '/') return false;
  if (nodes_.count(path) != 0) return false;
  node.children.clear();  // rebuilt from the children's own entries
  if (path != kRootPath) {
    if (path.back() == '/') return false;
    auto parent = nodes_.find(parent_path(path));
    if (parent == nodes_.end()) return false;
    parent->second.children.emplace(child_name(path));
  }
  index_node(path, node);
  rehash(path, node);
  nodes_.emplace(path, std::move(node));
  return true;
}

std::vector<std::string> DataTree::ephemerals_of(int64_t session_id) const {
  auto it = ephemerals_.find(session_id);
  if (it == ephemerals_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

int32_t DataTree::descendant_count(std::string_view path) const {
  KZ_ASSERT(find(path) != nullptr);
  if (path == kRootPath) return static_cast<int32_t>(nodes_.size() - 1);
  // Descendants of "/a" are the keys in ["/a/", "/a0"): '0' is the byte after '/'.
  const std::string lo = std::string(path) + '/';
  const std::string hi = std::string(path) + '0';
  int32_t count = 0;
  for (auto it = nodes_.lower_bound(lo); it != nodes_.end() && it->first < hi; ++it) count++;
  return count;
}

std::vector<std::string> DataTree::container_candidates(int64_t now_ms, int64_t never_used_ms_max) const {
  std::vector<std::string> out;
  for (const std::string& path : containers_) {
    const Node* node = find(path);
    KZ_ASSERT(node != nullptr);
    if (!node->children.empty()) continue;
    if (node->stat.cversion > 0) {
      out.push_back(path);
    } else if (never_used_ms_max != 0 && now_ms - node->stat.mtime_ms > never_used_ms_max) {
      out.push_back(path);
    }
  }
  return out;
}

std::vector<std::string> DataTree::expired_ttl_nodes(int64_t now_ms) const {
  std::vector<std::string> out;
  for (const std::string& path : ttls_) {
    const Node* node = find(path);
    KZ_ASSERT(node != nullptr);
    if (!node->children.empty()) continue;
    const int64_t ttl_ms = ttl_of_ephemeral_owner(node->stat.ephemeral_owner);
    if (ttl_ms != 0 && now_ms - node->stat.mtime_ms > ttl_ms) out.push_back(path);
  }
  return out;
}

namespace {
// A txn path apply can work with: absolute, not the root, no trailing slash. Anything else can
// only come from a damaged log, and fails the txn instead of the process.
bool is_applicable_path(std::string_view path) {
  return path.size() > 1 && path[0] == '/' && path.back() != '/';
}
}  // namespace

ErrorCode DataTree::create_node(const std::string& path, const Buffer& data, const AclList& acl,
                                int64_t ephemeral_owner, int32_t parent_cversion, const TxnHeader& header,
                                ApplyResult& result) {
  result.path = path;
  if (!is_applicable_path(path)) return ErrorCode::kBadArguments;
  auto parent_it = nodes_.find(parent_path(path));
  if (parent_it == nodes_.end()) return ErrorCode::kNoNode;
  Node& parent = parent_it->second;
  const std::string parent_key = parent_it->first;
  if (nodes_.count(path) != 0) {
    // Replaying over a fuzzy snapshot that already holds this node: the snapshot may still
    // predate the parent's cversion bump (ZooKeeper's setCversionPzxid adjustment).
    if (parent_cversion > parent.stat.cversion) {
      unhash(parent_key, parent);
      parent.stat.cversion = parent_cversion;
      parent.stat.pzxid = header.zxid;
      rehash(parent_key, parent);
    }
    return ErrorCode::kNodeExists;
  }
  unhash(parent_key, parent);
  if (parent_cversion == -1) parent_cversion = parent.stat.cversion + 1;
  if (parent_cversion > parent.stat.cversion) {
    parent.stat.cversion = parent_cversion;
    parent.stat.pzxid = header.zxid;
  }
  parent.children.emplace(child_name(path));
  rehash(parent_key, parent);

  Node node;
  node.data = data;
  node.acl = acl;
  node.stat.czxid = header.zxid;
  node.stat.mzxid = header.zxid;
  node.stat.pzxid = header.zxid;
  node.stat.ctime_ms = header.time_ms;
  node.stat.mtime_ms = header.time_ms;
  node.stat.ephemeral_owner = ephemeral_owner;
  index_node(path, node);
  rehash(path, node);
  result.stat = stat_of(node);
  nodes_.emplace(path, std::move(node));
  result.triggers.push_back(WatchTrigger{WatchTrigger::Kind::kCreated, path});
  return ErrorCode::kOk;
}

ErrorCode DataTree::delete_node(const std::string& path, int64_t zxid, ApplyResult& result) {
  result.path = path;
  if (!is_applicable_path(path)) return ErrorCode::kBadArguments;
  auto node_it = nodes_.find(path);
  // Deleting a node with children would orphan them; a consistent log never asks for it.
  if (node_it != nodes_.end() && !node_it->second.children.empty()) return ErrorCode::kNotEmpty;
  auto parent_it = nodes_.find(parent_path(path));
  if (parent_it == nodes_.end()) return ErrorCode::kNoNode;
  Node& parent = parent_it->second;
  // As ZooKeeper: the parent's pzxid moves forward even when the child is already gone (a
  // fuzzy snapshot may have caught the deletion already); cversion does not change on delete.
  unhash(parent_it->first, parent);
  parent.children.erase(std::string(child_name(path)));
  if (zxid > parent.stat.pzxid) parent.stat.pzxid = zxid;
  rehash(parent_it->first, parent);
  if (node_it == nodes_.end()) return ErrorCode::kNoNode;
  unhash(path, node_it->second);
  unindex_node(path, node_it->second);
  nodes_.erase(node_it);
  result.triggers.push_back(WatchTrigger{WatchTrigger::Kind::kDeleted, path});
  return ErrorCode::kOk;
}

ApplyResult DataTree::apply(const TxnHeader& header, const TxnBody& body) {
  KZ_ASSERT_MSG(header.zxid > last_zxid_, fmt::format("zxid {:#x} after {:#x}", header.zxid, last_zxid_));
  KZ_ASSERT_MSG(txn_body_matches(header.type, body), fmt::format("txn type {} with body #{}", header.type, body.index()));
  ApplyResult result;
  result.type = header.type;
  apply_one(header, body, result);
  // Only after the whole txn (a multi included): a snapshot taken at last_zxid must hold all of it.
  last_zxid_ = header.zxid;
  return result;
}

void DataTree::apply_one(const TxnHeader& header, const TxnBody& body, ApplyResult& result) {
  if (const auto* t = std::get_if<CreateTxn>(&body)) {
    result.err = create_node(t->path, t->data, t->acl, t->ephemeral ? header.client_id : 0, t->parent_cversion,
                             header, result);
  } else if (const auto* t = std::get_if<CreateContainerTxn>(&body)) {
    result.err = create_node(t->path, t->data, t->acl, kContainerEphemeralOwner, t->parent_cversion, header, result);
  } else if (const auto* t = std::get_if<CreateTTLTxn>(&body)) {
    if (t->ttl_ms <= 0 || t->ttl_ms > kTtlMaxMs) {
      result.err = ErrorCode::kBadArguments;
    } else {
      result.err = create_node(t->path, t->data, t->acl, ttl_ephemeral_owner(t->ttl_ms), t->parent_cversion, header,
                               result);
    }
  } else if (const auto* t = std::get_if<DeleteTxn>(&body)) {
    result.err = delete_node(t->path, header.zxid, result);
  } else if (const auto* t = std::get_if<SetDataTxn>(&body)) {
    result.path = t->path;
    auto it = nodes_.find(t->path);
    if (it == nodes_.end()) {
      result.err = ErrorCode::kNoNode;
      return;
    }
    Node& node = it->second;
    unhash(it->first, node);
    node.data = t->data;
    node.stat.version = t->version;
    node.stat.mzxid = header.zxid;
    node.stat.mtime_ms = header.time_ms;
    rehash(it->first, node);
    result.stat = stat_of(node);
    result.triggers.push_back(WatchTrigger{WatchTrigger::Kind::kDataChanged, t->path});
  } else if (const auto* t = std::get_if<SetACLTxn>(&body)) {
    result.path = t->path;
    auto it = nodes_.find(t->path);
    if (it == nodes_.end()) {
      result.err = ErrorCode::kNoNode;
      return;
    }
    Node& node = it->second;
    unhash(it->first, node);
    node.acl = t->acl;
    node.stat.aversion = t->version;
    rehash(it->first, node);
    result.stat = stat_of(node);
  } else if (const auto* t = std::get_if<CheckVersionTxn>(&body)) {
    result.path = t->path;  // the check was decided in prepare; nothing changes
  } else if (const auto* t = std::get_if<CreateSessionTxn>(&body)) {
    sessions_[header.client_id] = t->timeout_ms;
  } else if (header.type == op(OpCode::kCloseSession)) {
    close_session(header, body, result);
  } else if (const auto* t = std::get_if<ErrorTxn>(&body)) {
    result.err = static_cast<ErrorCode>(t->err);
  } else if (const auto* t = std::get_if<MultiTxn>(&body)) {
    apply_multi(header, *t, result);
  } else {
    KZ_UNREACHABLE(fmt::format("txn type {} with body #{}", header.type, body.index()));
  }
}

void DataTree::close_session(const TxnHeader& header, const TxnBody& body, ApplyResult& result) {
  const int64_t session_id = header.client_id;
  sessions_.erase(session_id);
  // The txn's list first (what the leader saw), then any ephemeral the list missed, as
  // ZooKeeper's killSession does. A path already gone is fine.
  std::vector<std::string> paths;
  if (const auto* t = std::get_if<CloseSessionTxn>(&body)) paths = t->paths_to_delete;
  for (const std::string& path : ephemerals_of(session_id)) {
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  }
  for (const std::string& path : paths) {
    const Node* node = find(path);
    if (node == nullptr || node->stat.ephemeral_owner != session_id) continue;
    ApplyResult sub;
    if (delete_node(path, header.zxid, sub) == ErrorCode::kOk) {
      for (auto& trigger : sub.triggers) result.triggers.push_back(std::move(trigger));
    }
  }
}

void DataTree::apply_sub(const TxnHeader& header, const SubTxn& sub, ApplyResult& result) {
  TxnHeader sub_header = header;
  sub_header.type = sub.type;
  result.type = sub.type;
  std::visit([&](const auto& b) { apply_one(sub_header, TxnBody(b), result); }, sub.body);
}

void DataTree::apply_multi(const TxnHeader& header, const MultiTxn& multi, ApplyResult& result) {
  // ZooKeeper's rule for a multi that failed in prepare: every op becomes an ErrorTxn; ops
  // before the failing one report OK (0, "rolled back"), the failing one its code, later ones
  // RUNTIMEINCONSISTENCY. Nothing is applied.
  const bool failed = std::any_of(multi.txns.begin(), multi.txns.end(),
                                  [](const SubTxn& s) { return s.type == op(OpCode::kError); });
  bool post_failed = false;
  for (const SubTxn& sub : multi.txns) {
    ApplyResult sub_result;
    if (sub.type == op(OpCode::kError)) post_failed = true;
    if (failed && sub.type != op(OpCode::kError)) {
      const ErrorCode code = post_failed ? ErrorCode::kRuntimeInconsistency : ErrorCode::kOk;
      apply_sub(header, SubTxn{op(OpCode::kError), ErrorTxn{err(code)}}, sub_result);
    } else {
      apply_sub(header, sub, sub_result);
    }
    if (sub_result.err != ErrorCode::kOk && result.err == ErrorCode::kOk) result.err = sub_result.err;
    for (auto& trigger : sub_result.triggers) result.triggers.push_back(trigger);
    sub_result.triggers.clear();
    result.multi.push_back(std::move(sub_result));
  }
}

}  // namespace kz::zk
