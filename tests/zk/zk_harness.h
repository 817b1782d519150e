// Test harness for the ZooKeeper data model: a tree, its pending changes and watches, and a
// commit step that prepares a request, round-trips the txn through its log encoding, applies it
// and fires watches, as a single server would.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/zk/auth.h"
#include "core/zk/data_tree.h"
#include "core/zk/prepare.h"
#include "core/zk/reads.h"
#include "core/zk/txn.h"
#include "core/zk/watch_manager.h"

namespace kz::zk::testing {

struct Outcome {
  Prepared prepared;
  ApplyResult result;
  std::vector<WatchEvent> events;
  ErrorCode err() const { return prepared.err; }
};

class Harness {
 public:
  explicit Harness(DataTreeConfig config = {}) : tree(std::move(config)) {}

  DataTree tree;
  PendingChanges pending;
  WatchManager watches;
  AuthIds ids;  // the ids every request in these tests carries
  int64_t zxid = 0;
  int64_t now_ms = 1'700'000'000'000;
  int32_t cxid = 0;

  PrepareContext ctx(int64_t session) {
    return PrepareContext{session, &ids, zxid + 1};
  }
  ReadContext read_ctx(int64_t session) { return ReadContext{session, session, &ids}; }

  // Logs (encode + decode) and applies a prepared txn.
  Outcome commit(int64_t session, Prepared prepared) {
    Outcome out;
    Txn txn{TxnHeader{session, cxid++, ++zxid, now_ms, prepared.type}, prepared.body};
    auto decoded = decode_txn(encode_txn(txn));
    EXPECT_TRUE(decoded.is_ok()) << decoded.status().to_string();
    EXPECT_TRUE(decoded.value() == txn);
    out.result = tree.apply(decoded->header, decoded->body);
    pending.forget_through(zxid);
    out.events = watches.trigger_all(out.result.triggers, zxid);
    out.prepared = std::move(prepared);
    EXPECT_EQ(tree.digest(), tree.compute_digest());
    return out;
  }

  Outcome create(const std::string& path, Buffer data = std::string(), CreateMode mode = CreateMode::kPersistent,
                 int64_t session = 1, AclList acl = open_acl_unsafe(), int32_t opcode = 1) {
    Preparer p(tree, pending);
    return commit(session, p.create(ctx(session), opcode, CreateRequest{path, data, acl, static_cast<int32_t>(mode)}));
  }
  Outcome remove(const std::string& path, int32_t version = -1, int64_t session = 1) {
    Preparer p(tree, pending);
    return commit(session, p.remove(ctx(session), DeleteRequest{path, version}));
  }
  Outcome set_data(const std::string& path, Buffer data, int32_t version = -1, int64_t session = 1) {
    Preparer p(tree, pending);
    return commit(session, p.set_data(ctx(session), SetDataRequest{path, data, version}));
  }
  Outcome set_acl(const std::string& path, AclList acl, int32_t version = -1, int64_t session = 1) {
    Preparer p(tree, pending);
    return commit(session, p.set_acl(ctx(session), SetACLRequest{path, acl, version}));
  }
  Outcome multi(const MultiRequest& request, int64_t session = 1) {
    Preparer p(tree, pending);
    return commit(session, p.multi(ctx(session), request));
  }
  Outcome open_session(int64_t session, int32_t timeout_ms = 30000) {
    Preparer p(tree, pending);
    return commit(session, p.create_session(ctx(session), timeout_ms));
  }
  Outcome close_session(int64_t session) {
    Preparer p(tree, pending);
    return commit(session, p.close_session(ctx(session)));
  }

  const Node& node(const std::string& path) {
    const Node* n = tree.find(path);
    EXPECT_NE(n, nullptr) << path;
    static const Node kEmpty;
    return n != nullptr ? *n : kEmpty;
  }
  Stat stat(const std::string& path) { return DataTree::stat_of(node(path)); }
};

inline MultiOp create_op(const std::string& path, int32_t flags = 0, std::string data = "") {
  return MultiOp{1, CreateRequest{path, data, open_acl_unsafe(), flags}};
}
inline MultiOp delete_op(const std::string& path, int32_t version = -1) {
  return MultiOp{2, DeleteRequest{path, version}};
}
inline MultiOp set_data_op(const std::string& path, std::string data, int32_t version = -1) {
  return MultiOp{5, SetDataRequest{path, data, version}};
}
inline MultiOp check_op(const std::string& path, int32_t version) {
  return MultiOp{13, CheckVersionRequest{path, version}};
}

}  // namespace kz::zk::testing
