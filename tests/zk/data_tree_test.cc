// The data tree through prepare + apply: every error path of each write, sequential names, Stat
// bookkeeping, ephemerals and session close, containers and TTL nodes, multi atomicity.
#include <gtest/gtest.h>

#include "core/zk/path.h"
#include "tests/zk/zk_harness.h"

namespace kz::zk {
namespace {

using testing::check_op;
using testing::create_op;
using testing::delete_op;
using testing::Harness;
using testing::set_data_op;

TEST(ZkDataTree, FreshTreeHasZooKeepersOwnNodes) {
  Harness h;
  EXPECT_EQ(h.tree.node_count(), 4u);
  EXPECT_EQ(h.stat("/").num_children, 1);
  EXPECT_EQ(h.node("/zookeeper").children, (std::set<std::string, std::less<>>{"config", "quota"}));
  EXPECT_EQ(h.node("/zookeeper/config").acl, read_acl_unsafe());
  EXPECT_EQ(h.tree.descendant_count("/"), 3);
  EXPECT_EQ(h.tree.descendant_count("/zookeeper"), 2);
}

TEST(ZkDataTree, CreateSetsStatAndParentBookkeeping) {
  Harness h;
  auto out = h.create("/a", std::string("hello"));
  ASSERT_EQ(out.err(), ErrorCode::kOk);
  const int64_t zxid = h.zxid;
  EXPECT_EQ(out.result.path, "/a");
  const Stat s = h.stat("/a");
  EXPECT_EQ(s.czxid, zxid);
  EXPECT_EQ(s.mzxid, zxid);
  EXPECT_EQ(s.pzxid, zxid);
  EXPECT_EQ(s.ctime, h.now_ms);
  EXPECT_EQ(s.mtime, h.now_ms);
  EXPECT_EQ(s.version, 0);
  EXPECT_EQ(s.cversion, 0);
  EXPECT_EQ(s.aversion, 0);
  EXPECT_EQ(s.ephemeral_owner, 0);
  EXPECT_EQ(s.data_length, 5);
  EXPECT_EQ(s.num_children, 0);
  EXPECT_EQ(out.result.stat, s);
  const Stat root = h.stat("/");
  EXPECT_EQ(root.cversion, 1);
  EXPECT_EQ(root.pzxid, zxid);
  EXPECT_EQ(root.num_children, 2);
  EXPECT_EQ(root.mzxid, 0);  // children changes do not touch the parent's data version
}

TEST(ZkDataTree, SetDataAndDeleteUpdateVersions) {
  Harness h;
  ASSERT_EQ(h.create("/a").err(), ErrorCode::kOk);
  ASSERT_EQ(h.create("/a/b").err(), ErrorCode::kOk);
  const int64_t create_b = h.zxid;
  h.now_ms += 10;
  auto set = h.set_data("/a/b", std::string("xyz"), 0);
  ASSERT_EQ(set.err(), ErrorCode::kOk);
  Stat b = h.stat("/a/b");
  EXPECT_EQ(b.version, 1);
  EXPECT_EQ(b.mzxid, h.zxid);
  EXPECT_EQ(b.czxid, create_b);
  EXPECT_EQ(b.mtime, h.now_ms);
  EXPECT_EQ(b.data_length, 3);
  EXPECT_EQ(set.result.stat, b);
  EXPECT_EQ(h.set_data("/a/b", std::string("q"), 0).err(), ErrorCode::kBadVersion);
  EXPECT_EQ(h.set_data("/a/b", std::string("q"), -1).err(), ErrorCode::kOk);
  EXPECT_EQ(h.stat("/a/b").version, 2);

  EXPECT_EQ(h.remove("/a/b", 1).err(), ErrorCode::kBadVersion);
  ASSERT_EQ(h.remove("/a/b", 2).err(), ErrorCode::kOk);
  const Stat a = h.stat("/a");
  EXPECT_EQ(a.num_children, 0);
  EXPECT_EQ(a.cversion, 1);  // ZooKeeper bumps cversion on create only
  EXPECT_EQ(a.pzxid, h.zxid);
  EXPECT_EQ(h.tree.find("/a/b"), nullptr);
}

TEST(ZkDataTree, CreateErrors) {
  Harness h;
  EXPECT_EQ(h.create("/a/b").err(), ErrorCode::kNoNode);
  ASSERT_EQ(h.create("/a").err(), ErrorCode::kOk);
  EXPECT_EQ(h.create("/a").err(), ErrorCode::kNodeExists);
  EXPECT_EQ(h.create("/").err(), ErrorCode::kNodeExists);
  EXPECT_EQ(h.create("a").err(), ErrorCode::kBadArguments);
  EXPECT_EQ(h.create("/a/").err(), ErrorCode::kBadArguments);
  EXPECT_EQ(h.create("/a//b").err(), ErrorCode::kNoNode);  // parent "/a/" does not exist
  EXPECT_EQ(h.create("/a/.").err(), ErrorCode::kBadArguments);
  EXPECT_EQ(h.create(std::string("/a\0b", 4)).err(), ErrorCode::kBadArguments);
  EXPECT_EQ(h.create("/a/\x01").err(), ErrorCode::kBadArguments);
  EXPECT_EQ(h.create("/a/x", std::string(), static_cast<CreateMode>(9)).err(), ErrorCode::kBadArguments);
  EXPECT_EQ(h.create("/a/x", std::string(), CreateMode::kPersistent, 1, {}).err(), ErrorCode::kInvalidAcl);
  EXPECT_EQ(h.create("/a/x", std::string(), CreateMode::kPersistentWithTtl).err(), ErrorCode::kUnimplemented);
  EXPECT_EQ(h.create("/a/x", std::string(1 << 20 | 1, 'x')).err(), ErrorCode::kBadArguments);
  // Errors change nothing but still consume a zxid as an ErrorTxn.
  auto failed = h.create("/a");
  EXPECT_EQ(failed.prepared.type, op(OpCode::kError));
  EXPECT_EQ(failed.result.err, ErrorCode::kNodeExists);
  EXPECT_EQ(h.tree.last_zxid(), h.zxid);
  EXPECT_EQ(h.stat("/a").cversion, 0);
  // A missing parent is reported before a bad final path, as in ZooKeeper.
  EXPECT_EQ(h.create("/missing/x/").err(), ErrorCode::kNoNode);
}

TEST(ZkDataTree, DeleteErrors) {
  Harness h;
  EXPECT_EQ(h.remove("/nope").err(), ErrorCode::kNoNode);
  EXPECT_EQ(h.remove("/").err(), ErrorCode::kBadArguments);
  EXPECT_EQ(h.remove("/zookeeper").err(), ErrorCode::kBadArguments);
  EXPECT_EQ(h.remove("nope").err(), ErrorCode::kBadArguments);
  ASSERT_EQ(h.create("/a").err(), ErrorCode::kOk);
  ASSERT_EQ(h.create("/a/b").err(), ErrorCode::kOk);
  EXPECT_EQ(h.remove("/a").err(), ErrorCode::kNotEmpty);
  EXPECT_EQ(h.remove("/a/b", 7).err(), ErrorCode::kBadVersion);
}

TEST(ZkDataTree, SequentialNamesComeFromParentCversion) {
  Harness h;
  ASSERT_EQ(h.create("/q").err(), ErrorCode::kOk);
  auto first = h.create("/q/item-", std::string(), CreateMode::kPersistentSequential);
  ASSERT_EQ(first.err(), ErrorCode::kOk);
  EXPECT_EQ(first.result.path, "/q/item-0000000000");
  ASSERT_EQ(h.create("/q/plain").err(), ErrorCode::kOk);
  auto third = h.create("/q/item-", std::string(), CreateMode::kPersistentSequential);
  EXPECT_EQ(third.result.path, "/q/item-0000000002");
  // Deletes do not reuse numbers: cversion only grows.
  ASSERT_EQ(h.remove("/q/item-0000000002").err(), ErrorCode::kOk);
  auto fourth = h.create("/q/", std::string(), CreateMode::kPersistentSequential);
  EXPECT_EQ(fourth.result.path, "/q/0000000003");
}

TEST(ZkDataTree, EphemeralsBelongToTheirSessionAndDieWithIt) {
  Harness h;
  ASSERT_EQ(h.open_session(7).err(), ErrorCode::kOk);
  EXPECT_EQ(h.tree.sessions().at(7), 30000);
  ASSERT_EQ(h.create("/e", std::string(), CreateMode::kEphemeral, 7).err(), ErrorCode::kOk);
  ASSERT_EQ(h.create("/s", std::string(), CreateMode::kEphemeralSequential, 7).err(), ErrorCode::kOk);
  ASSERT_EQ(h.create("/other", std::string(), CreateMode::kEphemeral, 8).err(), ErrorCode::kOk);
  EXPECT_EQ(h.stat("/e").ephemeral_owner, 7);
  EXPECT_EQ(h.tree.ephemerals_of(7), (std::vector<std::string>{"/e", "/s0000000001"}));
  EXPECT_EQ(h.create("/e/child").err(), ErrorCode::kNoChildrenForEphemerals);

  auto closed = h.close_session(7);
  ASSERT_EQ(closed.err(), ErrorCode::kOk);
  EXPECT_EQ(std::get<CloseSessionTxn>(closed.prepared.body).paths_to_delete,
            (std::vector<std::string>{"/e", "/s0000000001"}));
  EXPECT_EQ(h.tree.find("/e"), nullptr);
  EXPECT_EQ(h.tree.find("/s0000000001"), nullptr);
  EXPECT_NE(h.tree.find("/other"), nullptr);
  EXPECT_TRUE(h.tree.ephemerals_of(7).empty());
  EXPECT_EQ(h.tree.sessions().count(7), 0u);
  EXPECT_EQ(closed.result.triggers.size(), 2u);
}

TEST(ZkDataTree, CloseSessionSeesPendingEphemerals) {
  Harness h;
  Preparer p(h.tree, h.pending);
  // Prepared but not yet applied: close must still list it.
  Prepared create = p.create(h.ctx(3), 1, CreateRequest{"/pending", std::string(), open_acl_unsafe(), 1});
  ASSERT_TRUE(create.ok());
  PrepareContext close_ctx{3, &h.ids, h.zxid + 2};
  Prepared close = p.close_session(close_ctx);
  EXPECT_EQ(std::get<CloseSessionTxn>(close.body).paths_to_delete, std::vector<std::string>{"/pending"});
  h.commit(3, create);
  h.commit(3, close);
  EXPECT_EQ(h.tree.find("/pending"), nullptr);
}

TEST(ZkDataTree, PendingChangesDecideLaterRequests) {
  Harness h;
  Preparer p(h.tree, h.pending);
  ASSERT_TRUE(p.create(h.ctx(1), 1, CreateRequest{"/a", std::string(), open_acl_unsafe(), 0}).ok());
  PrepareContext next{1, &h.ids, h.zxid + 2};
  EXPECT_EQ(p.create(next, 1, CreateRequest{"/a", std::string(), open_acl_unsafe(), 0}).err, ErrorCode::kNodeExists);
  EXPECT_TRUE(p.create(next, 1, CreateRequest{"/a/b", std::string(), open_acl_unsafe(), 0}).ok());
  EXPECT_EQ(h.pending.size(), 2u + 1u);  // "/", "/a" and "/a/b"
  h.pending.forget_through(h.zxid + 2);
  EXPECT_EQ(h.pending.size(), 0u);
}

TEST(ZkDataTree, ContainersAreReapedOnlyAfterHavingChildren) {
  Harness h;
  ASSERT_EQ(h.create("/c", std::string(), CreateMode::kContainer, 1, open_acl_unsafe(), op(OpCode::kCreateContainer))
                .err(),
            ErrorCode::kOk);
  EXPECT_EQ(h.stat("/c").ephemeral_owner, kContainerEphemeralOwner);
  EXPECT_TRUE(h.tree.container_candidates(h.now_ms).empty());
  EXPECT_EQ(h.tree.container_candidates(h.now_ms + 100, 50), std::vector<std::string>{"/c"});
  ASSERT_EQ(h.create("/c/x").err(), ErrorCode::kOk);
  EXPECT_TRUE(h.tree.container_candidates(h.now_ms).empty());
  ASSERT_EQ(h.remove("/c/x").err(), ErrorCode::kOk);
  EXPECT_EQ(h.tree.container_candidates(h.now_ms), std::vector<std::string>{"/c"});

  Preparer p(h.tree, h.pending);
  auto reaped = h.commit(0, p.delete_container(h.ctx(0), "/c"));
  ASSERT_EQ(reaped.err(), ErrorCode::kOk);
  EXPECT_EQ(reaped.prepared.type, op(OpCode::kDeleteContainer));
  EXPECT_EQ(h.tree.find("/c"), nullptr);
  EXPECT_TRUE(h.tree.container_candidates(h.now_ms).empty());
  // The reaper may not delete a session's ephemeral.
  ASSERT_EQ(h.create("/e", std::string(), CreateMode::kEphemeral, 5).err(), ErrorCode::kOk);
  Preparer p2(h.tree, h.pending);
  EXPECT_EQ(p2.delete_container(h.ctx(0), "/e").err, ErrorCode::kBadVersion);
}

TEST(ZkDataTree, TtlNodesExpireWhenEmptyAndUnmodified) {
  DataTreeConfig config;
  config.extended_types_enabled = true;
  Harness h(config);
  Preparer p(h.tree, h.pending);
  auto created = h.commit(1, p.create_ttl(h.ctx(1), CreateTTLRequest{"/t", std::string(), open_acl_unsafe(),
                                                                     static_cast<int32_t>(CreateMode::kPersistentWithTtl),
                                                                     1000}));
  ASSERT_EQ(created.err(), ErrorCode::kOk);
  EXPECT_EQ(ttl_of_ephemeral_owner(h.stat("/t").ephemeral_owner), 1000);
  EXPECT_EQ(ephemeral_kind(h.stat("/t").ephemeral_owner, true), EphemeralKind::kTtl);
  EXPECT_TRUE(h.tree.expired_ttl_nodes(h.now_ms + 1000).empty());
  EXPECT_EQ(h.tree.expired_ttl_nodes(h.now_ms + 1001), std::vector<std::string>{"/t"});
  h.now_ms += 900;
  ASSERT_EQ(h.set_data("/t", std::string("touch")).err(), ErrorCode::kOk);
  EXPECT_TRUE(h.tree.expired_ttl_nodes(h.now_ms + 500).empty());
  ASSERT_EQ(h.create("/t/kid").err(), ErrorCode::kOk);
  EXPECT_TRUE(h.tree.expired_ttl_nodes(h.now_ms + 5000).empty());
  // TTL range and mode checks.
  Preparer p2(h.tree, h.pending);
  EXPECT_EQ(p2.create_ttl(h.ctx(1), CreateTTLRequest{"/u", std::string(), open_acl_unsafe(), 5, 0}).err,
            ErrorCode::kBadArguments);
  EXPECT_EQ(p2.create_ttl(h.ctx(1), CreateTTLRequest{"/u", std::string(), open_acl_unsafe(), 0, 10}).err,
            ErrorCode::kBadArguments);
}

TEST(ZkDataTree, MultiAppliesAllOrNothing) {
  Harness h;
  MultiRequest ok;
  ok.ops = {create_op("/m"), create_op("/m/a"), set_data_op("/m", "v", 0), check_op("/m", 1)};
  auto applied = h.multi(ok);
  ASSERT_EQ(applied.err(), ErrorCode::kOk);
  const auto results = multi_op_results(applied.result);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].type, op(OpCode::kCreate));
  EXPECT_EQ(results[0].path, "/m");
  EXPECT_EQ(results[2].type, op(OpCode::kSetData));
  EXPECT_EQ(results[2].stat.version, 1);
  EXPECT_EQ(results[3].type, op(OpCode::kCheck));
  EXPECT_EQ(h.stat("/m").mzxid, h.zxid);
  EXPECT_EQ(h.stat("/m/a").czxid, h.zxid);  // one zxid for every op

  const uint64_t digest_before = h.tree.digest();
  MultiRequest bad;
  bad.ops = {create_op("/n"), set_data_op("/m", "w", 0), delete_op("/m"), create_op("/z")};
  auto failed = h.multi(bad);
  EXPECT_EQ(failed.err(), ErrorCode::kBadVersion);
  EXPECT_EQ(failed.prepared.type, op(OpCode::kMulti));
  const auto failed_results = multi_op_results(failed.result);
  ASSERT_EQ(failed_results.size(), 4u);
  for (const auto& r : failed_results) EXPECT_EQ(r.type, op(OpCode::kError));
  EXPECT_EQ(failed_results[0].err, err(ErrorCode::kOk));  // rolled back
  EXPECT_EQ(failed_results[1].err, err(ErrorCode::kBadVersion));
  EXPECT_EQ(failed_results[2].err, err(ErrorCode::kRuntimeInconsistency));
  EXPECT_EQ(failed_results[3].err, err(ErrorCode::kRuntimeInconsistency));
  EXPECT_EQ(h.tree.find("/n"), nullptr);
  EXPECT_EQ(h.tree.digest(), digest_before);
  EXPECT_TRUE(failed.events.empty());
  EXPECT_EQ(h.pending.size(), 0u);
}

TEST(ZkDataTree, MultiOpsSeeEarlierOpsOfTheSameMulti) {
  Harness h;
  MultiRequest req;
  req.ops = {create_op("/p"), create_op("/p/s-", 2), create_op("/p/s-", 2), delete_op("/p/s-0000000000"),
             create_op("/p/s-", 2)};
  auto out = h.multi(req);
  ASSERT_EQ(out.err(), ErrorCode::kOk);
  EXPECT_EQ(out.result.multi[1].path, "/p/s-0000000000");
  EXPECT_EQ(out.result.multi[2].path, "/p/s-0000000001");
  EXPECT_EQ(out.result.multi[4].path, "/p/s-0000000002");
  EXPECT_EQ(h.node("/p").children, (std::set<std::string, std::less<>>{"s-0000000001", "s-0000000002"}));
  // Deleting a node created by the same multi, then its parent.
  MultiRequest req2;
  req2.ops = {create_op("/r"), create_op("/r/x"), delete_op("/r"), create_op("/never")};
  auto out2 = h.multi(req2);
  EXPECT_EQ(out2.err(), ErrorCode::kNotEmpty);
  EXPECT_EQ(h.tree.find("/r"), nullptr);
}

TEST(ZkDataTree, ApplyToleratesFuzzySnapshotReplays) {
  Harness h;
  ASSERT_EQ(h.create("/a").err(), ErrorCode::kOk);
  // Replaying the create of a node that already exists: no change except the parent's
  // cversion catching up, and no watch trigger.
  TxnHeader header{1, 0, ++h.zxid, h.now_ms, op(OpCode::kCreate)};
  auto r = h.tree.apply(header, CreateTxn{"/a", std::string(), open_acl_unsafe(), false, 5});
  EXPECT_EQ(r.err, ErrorCode::kNodeExists);
  EXPECT_TRUE(r.triggers.empty());
  EXPECT_EQ(h.stat("/").cversion, 5);
  EXPECT_EQ(h.stat("/").pzxid, h.zxid);
  // Replaying a delete of a node that is gone.
  TxnHeader del{1, 0, ++h.zxid, h.now_ms, op(OpCode::kDelete)};
  EXPECT_EQ(h.tree.apply(del, DeleteTxn{"/gone"}).err, ErrorCode::kNoNode);
  // Malformed paths from a damaged log fail the txn, not the process.
  TxnHeader bad{1, 0, ++h.zxid, h.now_ms, op(OpCode::kCreate)};
  EXPECT_EQ(h.tree.apply(bad, CreateTxn{"/", std::string(), {}, false, -1}).err, ErrorCode::kBadArguments);
  EXPECT_EQ(h.tree.digest(), h.tree.compute_digest());
}

TEST(ZkDataTree, ReadsCheckExistenceThenAcl) {
  Harness h;
  ASSERT_EQ(h.create("/r", std::string("data"), CreateMode::kPersistent, 1,
                     {Acl{perms::kWrite, Id{"world", "anyone"}}})
                .err(),
            ErrorCode::kOk);
  ASSERT_EQ(h.create("/open").err(), ErrorCode::kOk);
  ASSERT_EQ(h.create("/open/k1").err(), ErrorCode::kOk);
  ASSERT_EQ(h.create("/open/k1/k2").err(), ErrorCode::kOk);
  auto ctx = h.read_ctx(1);
  EXPECT_EQ(read_get_data(h.tree, h.watches, ctx, GetDataRequest{"/r", true}).err, ErrorCode::kNoAuth);
  EXPECT_EQ(h.watches.watch_count(), 0u);  // no watch when the read fails
  EXPECT_EQ(read_get_data(h.tree, h.watches, ctx, GetDataRequest{"/none", true}).err, ErrorCode::kNoNode);
  EXPECT_EQ(read_exists(h.tree, h.watches, ctx, ExistsRequest{"/r", false}).err, ErrorCode::kOk);
  auto kids = read_get_children2(h.tree, h.watches, ctx, GetChildren2Request{"/open", false});
  ASSERT_TRUE(kids.ok());
  EXPECT_EQ(kids.value.children, std::vector<std::string>{"k1"});
  EXPECT_EQ(kids.value.stat.num_children, 1);
  EXPECT_EQ(read_get_all_children_number(h.tree, ctx, GetAllChildrenNumberRequest{"/open"}).value.total_number, 2);
  EXPECT_EQ(read_get_all_children_number(h.tree, ctx, GetAllChildrenNumberRequest{"/"}).value.total_number, 7);

  MultiRequest reads;
  reads.ops = {MultiOp{op(OpCode::kGetData), GetDataRequest{"/open", false}},
               MultiOp{op(OpCode::kGetData), GetDataRequest{"/none", false}},
               MultiOp{op(OpCode::kGetChildren), GetChildrenRequest{"/open", false}}};
  auto multi = read_multi(h.tree, h.watches, ctx, reads);
  ASSERT_EQ(multi.results.size(), 3u);
  EXPECT_EQ(multi.results[0].type, op(OpCode::kGetData));
  EXPECT_EQ(multi.results[1].err, err(ErrorCode::kNoNode));
  EXPECT_EQ(multi.results[2].children, std::vector<std::string>{"k1"});

  ASSERT_EQ(h.create("/e1", std::string(), CreateMode::kEphemeral, 4).err(), ErrorCode::kOk);
  ASSERT_EQ(h.create("/open/e2", std::string(), CreateMode::kEphemeral, 4).err(), ErrorCode::kOk);
  auto eph = read_get_ephemerals(h.tree, h.read_ctx(4), GetEphemeralsRequest{"/open"});
  EXPECT_EQ(eph.ephemerals, std::vector<std::string>{"/open/e2"});
  EXPECT_EQ(read_get_ephemerals(h.tree, h.read_ctx(4), GetEphemeralsRequest{"/"}).ephemerals.size(), 2u);
}

TEST(ZkDataTree, PathValidationMatchesPathUtils) {
  EXPECT_TRUE(is_valid_path("/"));
  EXPECT_TRUE(is_valid_path("/a/b.c/..d/é"));
  EXPECT_TRUE(is_valid_path("/a/.../b"));
  EXPECT_FALSE(is_valid_path(""));
  EXPECT_FALSE(is_valid_path("a"));
  EXPECT_FALSE(is_valid_path("/a/"));
  EXPECT_FALSE(is_valid_path("//a"));
  EXPECT_FALSE(is_valid_path("/a/./b"));
  EXPECT_FALSE(is_valid_path("/a/.."));
  EXPECT_FALSE(is_valid_path("/a\x7f"));
  EXPECT_FALSE(is_valid_path("/\xc2\x85"));      // U+0085
  EXPECT_FALSE(is_valid_path("/\xef\xbf\xbf"));  // U+FFFF
  EXPECT_FALSE(is_valid_path("/\xf0\x9f\x98\x80"));  // outside the BMP
  EXPECT_FALSE(is_valid_path("/\xff"));          // not UTF-8
  EXPECT_NE(path_invalid_reason("/a//b")->find("empty node name"), std::string::npos);
}

}  // namespace
}  // namespace kz::zk
