// The ZooKeeper data tree: znodes with data, ACL and the persisted part of Stat, ordered
// children, the per-session index of ephemerals, the indexes of container and TTL nodes, and the
// table of live sessions (created and closed by txns, so it is replicated state like the nodes).
//
// The tree changes only through apply(header, body): the deterministic execution of a committed
// txn (DataTree.processTxn in ZooKeeper). Validation happened before, in prepare (prepare.h);
// apply trusts the txn's decisions but still tolerates the effects of replaying a log over a
// fuzzy snapshot (a create of a node that exists, a delete of one that is gone) by returning an
// error code for that txn instead of changing anything, exactly as ZooKeeper does.
// apply returns what the txn did, for the reply (path, stat, per-op results) and for the watch
// manager (WatchTrigger, in firing order).
//
// The tree keeps an incremental digest (sum of per-node hashes, in the style of ZooKeeper's
// AdHash) so replicas can compare state after any zxid in O(1).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/zk/codes.h"
#include "core/zk/proto.h"
#include "core/zk/txn.h"

namespace kz::zk {

// StatPersisted: the stored part of Stat (dataLength and numChildren are derived).
struct NodeStat {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t ctime_ms = 0;
  int64_t mtime_ms = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeral_owner = 0;
  int64_t pzxid = 0;
  bool operator==(const NodeStat&) const = default;
};

struct Node {
  Buffer data;
  AclList acl;
  NodeStat stat;
  std::set<std::string, std::less<>> children;  // names, not paths
};

struct DataTreeConfig {
  // The largest node data prepare accepts. ZooKeeper's effective limit is jute.maxbuffer.
  int32_t data_bytes_max = 1 << 20;
  // zookeeper.extendedTypesEnabled: TTL nodes (off by default, as in ZooKeeper).
  bool extended_types_enabled = false;
  // The content of /zookeeper/config (the dynamic config; empty for a standalone server).
  std::string config_data;
};

enum class EphemeralKind { kVoid, kNormal, kContainer, kTtl };
// EphemeralType.get: what an ephemeralOwner value means.
EphemeralKind ephemeral_kind(int64_t ephemeral_owner, bool extended_types_enabled);
int64_t ttl_ephemeral_owner(int64_t ttl_ms);
int64_t ttl_of_ephemeral_owner(int64_t ephemeral_owner);

// A change that watches react to; the watch manager maps it to ZooKeeper's trigger rules.
struct WatchTrigger {
  enum class Kind { kCreated, kDeleted, kDataChanged };
  Kind kind = Kind::kCreated;
  std::string path;
  bool operator==(const WatchTrigger&) const = default;
};

struct ApplyResult {
  int32_t type = 0;  // the txn type as applied; error (-1) for failed ops
  ErrorCode err = ErrorCode::kOk;
  std::string path;                    // create: the created path (with any sequence suffix)
  Stat stat;                           // create*, setData, setACL: the node's stat afterwards
  std::vector<ApplyResult> multi;      // multi: one result per sub-txn
  std::vector<WatchTrigger> triggers;  // everything the txn changed, in order
};

// MultiResponse entries for an applied multi (ZooKeeper's FinalRequestProcessor mapping).
std::vector<OpResult> multi_op_results(const ApplyResult& result);

class DataTree {
 public:
  using NodeMap = std::map<std::string, Node, std::less<>>;

  // A fresh tree: "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config", as a new
  // ZooKeeper server has.
  explicit DataTree(DataTreeConfig config = {});

  const DataTreeConfig& config() const { return config_; }
  const Node* find(std::string_view path) const;
  // The full client-visible Stat of a node.
  static Stat stat_of(const Node& node);

  // Executes a committed txn. REQUIRES: header.zxid > last_zxid() (zxids strictly increase);
  // txn_body_matches(header.type, body).
  ApplyResult apply(const TxnHeader& header, const TxnBody& body);
  int64_t last_zxid() const { return last_zxid_; }

  const NodeMap& nodes() const { return nodes_; }
  size_t node_count() const { return nodes_.size(); }
  // Live sessions (id -> negotiated timeout), as created/closed by txns.
  const std::map<int64_t, int32_t>& sessions() const { return sessions_; }
  // The session's ephemeral paths, ordered.
  std::vector<std::string> ephemerals_of(int64_t session_id) const;
  const std::map<int64_t, std::set<std::string>>& ephemerals() const { return ephemerals_; }
  // Number of nodes below `path` (getAllChildrenNumber). REQUIRES: the node exists.
  int32_t descendant_count(std::string_view path) const;

  // Reaper queries (ContainerManager): containers with no children that once had some (or that
  // never had any and are older than `never_used_ms_max`, when that is non-zero); TTL nodes
  // with no children whose mtime is more than their TTL before `now_ms`.
  std::vector<std::string> container_candidates(int64_t now_ms, int64_t never_used_ms_max = 0) const;
  std::vector<std::string> expired_ttl_nodes(int64_t now_ms) const;

  // Incremental digest of all nodes (path, data, ACL, persisted stat). Same contents, same
  // digest, however they were reached. compute_digest() recomputes it from scratch.
  uint64_t digest() const { return digest_; }
  uint64_t compute_digest() const;

  // ---- restore (snapshot.cc) ----
  // An empty tree (no nodes at all), to be filled by restore_node in parent-first order.
  static DataTree empty_for_restore(DataTreeConfig config, int64_t last_zxid);
  // Adds a node whose parent already exists; false if the path is malformed, exists already,
  // or its parent is missing.
  bool restore_node(const std::string& path, Node node);
  void restore_session(int64_t session_id, int32_t timeout_ms) { sessions_[session_id] = timeout_ms; }

 private:
  struct Tag {};
  DataTree(Tag, DataTreeConfig config);

  ErrorCode create_node(const std::string& path, const Buffer& data, const AclList& acl, int64_t ephemeral_owner,
                        int32_t parent_cversion, const TxnHeader& header, ApplyResult& result);
  ErrorCode delete_node(const std::string& path, int64_t zxid, ApplyResult& result);
  void apply_one(const TxnHeader& header, const TxnBody& body, ApplyResult& result);
  void apply_sub(const TxnHeader& header, const SubTxn& sub, ApplyResult& result);
  void apply_multi(const TxnHeader& header, const MultiTxn& multi, ApplyResult& result);
  void close_session(const TxnHeader& header, const TxnBody& body, ApplyResult& result);

  // Digest bookkeeping around a change to one node.
  void unhash(const std::string& path, const Node& node) { digest_ -= node_hash(path, node); }
  void rehash(const std::string& path, const Node& node) { digest_ += node_hash(path, node); }
  static uint64_t node_hash(std::string_view path, const Node& node);
  void index_node(const std::string& path, const Node& node);
  void unindex_node(const std::string& path, const Node& node);

  DataTreeConfig config_;
  NodeMap nodes_;
  std::map<int64_t, int32_t> sessions_;
  std::map<int64_t, std::set<std::string>> ephemerals_;
  std::set<std::string> containers_;
  std::set<std::string> ttls_;
  int64_t last_zxid_ = 0;
  uint64_t digest_ = 0;
};

}  // namespace kz::zk
