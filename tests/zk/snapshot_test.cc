// Snapshots: round trip, corruption detection with offsets, fuzzy snapshots converging after
// log replay, and a property: random txns, then snapshot + restore, give the same tree digest.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "core/zk/snapshot.h"
#include "tests/zk/zk_harness.h"

namespace kz::zk {
namespace {

using testing::Harness;

void expect_same_tree(const DataTree& a, const DataTree& b) {
  EXPECT_EQ(a.digest(), b.digest());
  EXPECT_EQ(b.digest(), b.compute_digest());
  EXPECT_EQ(a.sessions(), b.sessions());
  EXPECT_EQ(a.ephemerals(), b.ephemerals());
  ASSERT_EQ(a.node_count(), b.node_count());
  for (const auto& [path, node] : a.nodes()) {
    const Node* other = b.find(path);
    ASSERT_NE(other, nullptr) << path;
    EXPECT_EQ(node.data, other->data) << path;
    EXPECT_EQ(node.acl, other->acl) << path;
    EXPECT_EQ(node.stat, other->stat) << path;
    EXPECT_EQ(node.children, other->children) << path;
  }
}

Harness populated() {
  Harness h;
  h.open_session(5);
  h.create("/a", std::string("alpha"));
  h.create("/a/b", std::nullopt);
  h.create("/a/e", std::string("eph"), CreateMode::kEphemeral, 5);
  h.create("/c", std::string(), CreateMode::kContainer, 1, open_acl_unsafe(), op(OpCode::kCreateContainer));
  h.create("/c/x");
  h.set_data("/a", std::string("beta"));
  h.set_acl("/a/b", {Acl{perms::kRead, Id{"ip", "10.0.0.0/8"}}});
  return h;
}

TEST(ZkSnapshot, RoundTripRestoresEverything) {
  Harness h = populated();
  const std::string bytes = encode_snapshot(h.tree);
  auto restored = decode_snapshot(bytes);
  ASSERT_TRUE(restored.is_ok()) << restored.status().to_string();
  EXPECT_EQ(restored->zxid, h.tree.last_zxid());
  EXPECT_EQ(restored->tree.last_zxid(), h.tree.last_zxid());
  EXPECT_FALSE(restored->fuzzy);
  expect_same_tree(h.tree, restored->tree);
  EXPECT_FALSE(restored->tree.find("/a/b")->data.has_value());  // null data stays null
  EXPECT_EQ(restored->tree.ephemerals_of(5), std::vector<std::string>{"/a/e"});
  // Indexes are rebuilt: the container is a reaper candidate once emptied.
  EXPECT_TRUE(restored->tree.container_candidates(0).empty());
  // The restored tree keeps applying txns.
  DataTree tree = std::move(restored->tree);
  TxnHeader header{5, 0, h.zxid + 1, h.now_ms, op(OpCode::kCloseSession)};
  auto closed = tree.apply(header, NoTxnBody{});
  EXPECT_EQ(closed.triggers.size(), 1u);
  EXPECT_EQ(tree.find("/a/e"), nullptr);
}

TEST(ZkSnapshot, EveryFlippedByteIsDetected) {
  Harness h = populated();
  const std::string bytes = encode_snapshot(h.tree);
  for (size_t i = 0; i < bytes.size(); i++) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    auto restored = decode_snapshot(bad);
    ASSERT_FALSE(restored.is_ok()) << "flip at " << i;
    EXPECT_TRUE(restored.status().is(Code::kCorruption));
    EXPECT_NE(restored.status().message().find("offset"), std::string::npos) << restored.status().to_string();
  }
  for (size_t cut : {size_t{0}, size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_FALSE(decode_snapshot(bytes.substr(0, cut)).is_ok()) << "cut at " << cut;
  }
}

TEST(ZkSnapshot, FuzzySnapshotConvergesAfterReplay) {
  Harness h = populated();
  const int64_t start_zxid = h.tree.last_zxid();
  SnapshotWriter writer(h.tree, /*fuzzy=*/true);
  ASSERT_TRUE(writer.write_some(h.tree, 3));
  // Txns keep landing between slices; they are also in the log after start_zxid.
  std::vector<Txn> log;
  auto record = [&](const testing::Outcome& o) {
    log.push_back(Txn{TxnHeader{1, 0, h.zxid, h.now_ms, o.prepared.type}, o.prepared.body});
  };
  record(h.create("/a/b2"));  // after the cursor
  record(h.create("/0"));     // before the cursor: missed by the snapshot
  record(h.remove("/c/x"));
  while (writer.write_some(h.tree, 2)) record(h.set_data("/a", std::string("slice")));
  record(h.create("/zz"));
  const std::string bytes = writer.finish();
  EXPECT_EQ(writer.zxid(), start_zxid);

  auto restored = decode_snapshot(bytes);
  ASSERT_TRUE(restored.is_ok()) << restored.status().to_string();
  EXPECT_TRUE(restored->fuzzy);
  DataTree tree = std::move(restored->tree);
  EXPECT_NE(tree.digest(), h.tree.digest());
  for (const Txn& txn : log) tree.apply(txn.header, txn.body);
  expect_same_tree(h.tree, tree);
}

// Random txns from a small path alphabet so that creates, deletes, sequential names, multi
// failures and session closes collide often.
RC_GTEST_PROP(ZkSnapshot, RandomTxnsSurviveSnapshotRestore, ()) {
  Harness h;
  const std::vector<std::string> paths = {"/a", "/b", "/a/x", "/a/y", "/b/x", "/a/x/z", "/c"};
  const int steps = *rc::gen::inRange(1, 60);
  for (int i = 0; i < steps; i++) {
    const std::string path = *rc::gen::elementOf(paths);
    const int64_t session = *rc::gen::inRange<int64_t>(1, 4);
    h.now_ms += *rc::gen::inRange<int64_t>(0, 1000);
    const int action = *rc::gen::inRange(0, 7);
    switch (action) {
      case 0: {
        const auto mode = static_cast<CreateMode>(*rc::gen::inRange(0, 4));
        const int32_t opcode = mode == CreateMode::kContainer ? op(OpCode::kCreateContainer) : op(OpCode::kCreate2);
        h.create(path, *rc::gen::arbitrary<std::string>(), mode, session, open_acl_unsafe(), opcode);
        break;
      }
      case 1: h.remove(path, *rc::gen::inRange(-1, 2), session); break;
      case 2: h.set_data(path, *rc::gen::arbitrary<std::string>(), *rc::gen::inRange(-1, 2), session); break;
      case 3: h.set_acl(path, {Acl{*rc::gen::inRange(1, 32), Id{"world", "anyone"}}}, -1, session); break;
      case 4: {
        MultiRequest req;
        req.ops = {testing::create_op(*rc::gen::elementOf(paths), *rc::gen::inRange(0, 4)),
                   testing::set_data_op(*rc::gen::elementOf(paths), "m", *rc::gen::inRange(-1, 2)),
                   testing::delete_op(*rc::gen::elementOf(paths))};
        h.multi(req, session);
        break;
      }
      case 5: h.open_session(session, *rc::gen::inRange(1000, 9000)); break;
      case 6: h.close_session(session); break;
    }
  }
  RC_ASSERT(h.tree.digest() == h.tree.compute_digest());
  auto restored = decode_snapshot(encode_snapshot(h.tree));
  RC_ASSERT(restored.is_ok());
  RC_ASSERT(restored->tree.digest() == h.tree.digest());
  RC_ASSERT(restored->tree.compute_digest() == h.tree.digest());
  RC_ASSERT(restored->tree.sessions() == h.tree.sessions());
  RC_ASSERT(restored->tree.ephemerals() == h.tree.ephemerals());
  RC_ASSERT(restored->tree.node_count() == h.tree.node_count());
}

}  // namespace
}  // namespace kz::zk
