// Prepare: turn a client's write request into a txn, or into the error ZooKeeper would answer
// (PrepRequestProcessor). This is where every decision is made: path rules, ACLs, versions,
// sequential names, ephemeral and container rules, multi atomicity. apply() (data_tree.h) then
// executes the txn without judging it, on every replica and on log replay.
//
// Requests are checked against the committed tree overlaid with PendingChanges: the effects of
// txns prepared but not applied yet (ZooKeeper's outstandingChanges / ChangeRecord). The leader
// keeps one PendingChanges, prepares request after request against it, and calls
// forget_through(zxid) as txns are applied. A multi prepares its ops against a scratch copy and
// keeps it only if every op succeeded.
//
// The order of checks in each operation is ZooKeeper's, since it decides which error a client
// sees when several apply (e.g. create under a missing parent with a bad ACL is INVALIDACL).
// Session checks (session open, ephemeral on a local session) belong to the server and are not
// made here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/zk/auth.h"
#include "core/zk/data_tree.h"
#include "core/zk/proto.h"
#include "core/zk/txn.h"

namespace kz::zk {

// What prepare needs to know about a node (ZooKeeper's ChangeRecord).
struct NodeRecord {
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeral_owner = 0;
  int32_t child_count = 0;
  AclList acl;
};

class PendingChanges {
 public:
  // The node at `path` as the next txn will find it; nullopt if it does not (or will not) exist.
  std::optional<NodeRecord> lookup(const DataTree& tree, std::string_view path) const;
  void put(std::string_view path, int64_t zxid, std::optional<NodeRecord> record);
  // Txns up to `zxid` are applied to the tree: their records are no longer needed.
  void forget_through(int64_t zxid);
  void clear() { overlay_.clear(); }
  size_t size() const { return overlay_.size(); }
  // Paths with pending records, for closeSession (nullopt = pending delete).
  const auto& overlay() const { return overlay_; }

 private:
  struct Entry {
    int64_t zxid = 0;
    std::optional<NodeRecord> record;
  };
  std::map<std::string, Entry, std::less<>> overlay_;
};

struct PrepareContext {
  int64_t session_id = 0;
  const AuthIds* auth = nullptr;  // the connection's authenticated ids
  int64_t zxid = 0;               // the zxid the txn will carry (tags pending records)
};

// A prepared write: the txn type and body to log and apply. A failed request becomes an
// ErrorTxn (type error) carrying `err`, as ZooKeeper logs it. A multi is always a MultiTxn; if an
// op failed, `err` is that op's code and every sub-txn is an ErrorTxn.
struct Prepared {
  int32_t type = 0;
  TxnBody body;
  ErrorCode err = ErrorCode::kOk;
  bool ok() const { return err == ErrorCode::kOk; }
};

class Preparer {
 public:
  Preparer(const DataTree& tree, PendingChanges& pending) : tree_(tree), pending_(pending) {}

  // opcode: create, create2 or createContainer.
  Prepared create(const PrepareContext& ctx, int32_t opcode, const CreateRequest& request);
  Prepared create_ttl(const PrepareContext& ctx, const CreateTTLRequest& request);
  Prepared remove(const PrepareContext& ctx, const DeleteRequest& request);
  Prepared set_data(const PrepareContext& ctx, const SetDataRequest& request);
  Prepared set_acl(const PrepareContext& ctx, const SetACLRequest& request);
  Prepared check(const PrepareContext& ctx, const CheckVersionRequest& request);
  Prepared multi(const PrepareContext& ctx, const MultiRequest& request);
  // The reaper's request to delete an empty container or expired TTL node.
  Prepared delete_container(const PrepareContext& ctx, std::string_view path);
  Prepared create_session(const PrepareContext& ctx, int32_t timeout_ms);
  // Deletes the session's ephemerals, including those created by pending txns.
  Prepared close_session(const PrepareContext& ctx);

 private:
  // Each returns kOk and fills `out`, recording effects in `view`; or an error code and leaves
  // `view` as it was.
  ErrorCode prep_create(PendingChanges& view, const PrepareContext& ctx, int32_t opcode, const CreateTTLRequest& r,
                        SubTxnBody* out);
  ErrorCode prep_delete(PendingChanges& view, const PrepareContext& ctx, const DeleteRequest& r, SubTxnBody* out);
  ErrorCode prep_set_data(PendingChanges& view, const PrepareContext& ctx, const SetDataRequest& r, SubTxnBody* out);
  ErrorCode prep_check(PendingChanges& view, const PrepareContext& ctx, const CheckVersionRequest& r,
                       SubTxnBody* out);
  ErrorCode prep_op(PendingChanges& view, const PrepareContext& ctx, const MultiOp& op, SubTxnBody* out);
  Prepared finish(int32_t type, ErrorCode code, SubTxnBody body);

  const DataTree& tree_;
  PendingChanges& pending_;
};

}  // namespace kz::zk
