// Watch trigger rules (ZooKeeper 3.8): one-shot data/exist/child watches, persistent and
// persistent-recursive watches, removeWatches/checkWatches, and setWatches re-arm after reconnect.
#include <gtest/gtest.h>

#include "tests/zk/zk_harness.h"

namespace kz::zk {
namespace {

using testing::Harness;

struct Seen {
  WatcherId watcher;
  EventType type;
  std::string path;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> seen(const std::vector<WatchEvent>& events) {
  std::vector<Seen> out;
  for (const auto& e : events) {
    EXPECT_EQ(e.event.state, static_cast<int32_t>(KeeperState::kSyncConnected));
    out.push_back(Seen{e.watcher, static_cast<EventType>(e.event.type), e.event.path});
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{" << s.watcher << " " << event_type_name(s.type) << " " << s.path << "}";
}

TEST(ZkWatch, OneShotDataWatchFiresOnce) {
  Harness h;
  ASSERT_EQ(h.create("/a").err(), ErrorCode::kOk);
  ASSERT_TRUE(read_get_data(h.tree, h.watches, h.read_ctx(10), GetDataRequest{"/a", true}).ok());
  auto first = h.set_data("/a", std::string("1"));
  EXPECT_EQ(seen(first.events), (std::vector<Seen>{{10, EventType::kNodeDataChanged, "/a"}}));
  EXPECT_EQ(first.events[0].zxid, h.zxid);
  EXPECT_TRUE(h.set_data("/a", std::string("2")).events.empty());
}

TEST(ZkWatch, ExistsWatchOnMissingNodeSeesCreation) {
  Harness h;
  EXPECT_EQ(read_exists(h.tree, h.watches, h.read_ctx(10), ExistsRequest{"/a", true}).err, ErrorCode::kNoNode);
  ASSERT_TRUE(read_get_children(h.tree, h.watches, h.read_ctx(11), GetChildrenRequest{"/", true}).ok());
  auto created = h.create("/a");
  EXPECT_EQ(seen(created.events), (std::vector<Seen>{{10, EventType::kNodeCreated, "/a"},
                                                     {11, EventType::kNodeChildrenChanged, "/"}}));
}

TEST(ZkWatch, DeleteNotifiesDataAndChildWatchersOnce) {
  Harness h;
  ASSERT_EQ(h.create("/a").err(), ErrorCode::kOk);
  auto ctx = h.read_ctx(10);
  ASSERT_TRUE(read_get_data(h.tree, h.watches, ctx, GetDataRequest{"/a", true}).ok());
  ASSERT_TRUE(read_get_children(h.tree, h.watches, ctx, GetChildrenRequest{"/a", true}).ok());
  ASSERT_TRUE(read_get_children(h.tree, h.watches, h.read_ctx(11), GetChildrenRequest{"/a", true}).ok());
  ASSERT_TRUE(read_get_children(h.tree, h.watches, h.read_ctx(12), GetChildrenRequest{"/", true}).ok());
  auto deleted = h.remove("/a");
  EXPECT_EQ(seen(deleted.events), (std::vector<Seen>{{10, EventType::kNodeDeleted, "/a"},
                                                     {11, EventType::kNodeDeleted, "/a"},
                                                     {12, EventType::kNodeChildrenChanged, "/"}}));
  EXPECT_EQ(h.watches.watch_count(), 0u);
}

TEST(ZkWatch, PersistentWatchStaysAndSeesChildrenOfItsPathOnly) {
  Harness h;
  ASSERT_EQ(h.create("/p").err(), ErrorCode::kOk);
  ASSERT_EQ(add_watch(h.watches, h.read_ctx(10), AddWatchRequest{"/p", 0}), ErrorCode::kOk);
  EXPECT_EQ(seen(h.create("/p/c").events), (std::vector<Seen>{{10, EventType::kNodeChildrenChanged, "/p"}}));
  EXPECT_TRUE(h.create("/p/c/d").events.empty());  // not recursive
  EXPECT_EQ(seen(h.set_data("/p", std::string("x")).events),
            (std::vector<Seen>{{10, EventType::kNodeDataChanged, "/p"}}));
  EXPECT_EQ(seen(h.set_data("/p", std::string("y")).events),
            (std::vector<Seen>{{10, EventType::kNodeDataChanged, "/p"}}));
}

TEST(ZkWatch, RecursiveWatchSeesDescendantsButNoChildrenChanged) {
  Harness h;
  ASSERT_EQ(add_watch(h.watches, h.read_ctx(10), AddWatchRequest{"/r", 1}), ErrorCode::kOk);
  EXPECT_EQ(seen(h.create("/r").events), (std::vector<Seen>{{10, EventType::kNodeCreated, "/r"}}));
  EXPECT_EQ(seen(h.create("/r/a").events), (std::vector<Seen>{{10, EventType::kNodeCreated, "/r/a"}}));
  EXPECT_EQ(seen(h.create("/r/a/b").events), (std::vector<Seen>{{10, EventType::kNodeCreated, "/r/a/b"}}));
  EXPECT_EQ(seen(h.set_data("/r/a/b", std::string("v")).events),
            (std::vector<Seen>{{10, EventType::kNodeDataChanged, "/r/a/b"}}));
  EXPECT_EQ(seen(h.remove("/r/a/b").events), (std::vector<Seen>{{10, EventType::kNodeDeleted, "/r/a/b"}}));
  EXPECT_TRUE(h.create("/rx").events.empty());  // a sibling with a common prefix is not a descendant
  // A one-shot watch on a descendant fires alongside and is consumed.
  ASSERT_TRUE(read_get_data(h.tree, h.watches, h.read_ctx(11), GetDataRequest{"/r/a", true}).ok());
  EXPECT_EQ(seen(h.set_data("/r/a", std::string("1")).events),
            (std::vector<Seen>{{10, EventType::kNodeDataChanged, "/r/a"}, {11, EventType::kNodeDataChanged, "/r/a"}}));
  EXPECT_EQ(seen(h.set_data("/r/a", std::string("2")).events),
            (std::vector<Seen>{{10, EventType::kNodeDataChanged, "/r/a"}}));
}

TEST(ZkWatch, RemoveAndCheckWatches) {
  Harness h;
  ASSERT_EQ(h.create("/a").err(), ErrorCode::kOk);
  auto ctx = h.read_ctx(10);
  ASSERT_TRUE(read_get_data(h.tree, h.watches, ctx, GetDataRequest{"/a", true}).ok());
  ASSERT_TRUE(read_get_children(h.tree, h.watches, ctx, GetChildrenRequest{"/a", true}).ok());
  EXPECT_EQ(check_watches(h.watches, ctx, CheckWatchesRequest{"/a", 1}), ErrorCode::kOk);
  EXPECT_EQ(check_watches(h.watches, h.read_ctx(11), CheckWatchesRequest{"/a", 3}), ErrorCode::kNoWatcher);
  EXPECT_EQ(remove_watches(h.watches, ctx, RemoveWatchesRequest{"/a", 1}), ErrorCode::kOk);
  EXPECT_EQ(remove_watches(h.watches, ctx, RemoveWatchesRequest{"/a", 1}), ErrorCode::kNoWatcher);
  EXPECT_EQ(check_watches(h.watches, ctx, CheckWatchesRequest{"/a", 2}), ErrorCode::kOk);
  EXPECT_EQ(remove_watches(h.watches, ctx, RemoveWatchesRequest{"/a", 3}), ErrorCode::kOk);
  EXPECT_EQ(remove_watches(h.watches, ctx, RemoveWatchesRequest{"/a", 9}), ErrorCode::kBadArguments);
  EXPECT_TRUE(h.remove("/a").events.empty());
  EXPECT_EQ(h.watches.watch_count(), 0u);
}

TEST(ZkWatch, DisconnectDropsAllWatchesOfTheWatcher) {
  Harness h;
  ASSERT_EQ(add_watch(h.watches, h.read_ctx(10), AddWatchRequest{"/", 1}), ErrorCode::kOk);
  ASSERT_EQ(add_watch(h.watches, h.read_ctx(11), AddWatchRequest{"/", 0}), ErrorCode::kOk);
  h.watches.remove_watcher(10);
  EXPECT_EQ(seen(h.create("/a").events), (std::vector<Seen>{{11, EventType::kNodeChildrenChanged, "/"}}));
}

TEST(ZkWatch, SetWatchesFiresMissedChangesAndRearmsTheRest) {
  Harness h;
  ASSERT_EQ(h.create("/same").err(), ErrorCode::kOk);
  ASSERT_EQ(h.create("/changed").err(), ErrorCode::kOk);
  ASSERT_EQ(h.create("/kids").err(), ErrorCode::kOk);
  ASSERT_EQ(h.create("/born").err(), ErrorCode::kOk);
  const int64_t seen_zxid = h.zxid;
  ASSERT_EQ(h.set_data("/changed", std::string("x")).err(), ErrorCode::kOk);
  ASSERT_EQ(h.create("/kids/k").err(), ErrorCode::kOk);
  SetWatches2 request;
  request.relative_zxid = seen_zxid;
  request.data_watches = {"/same", "/changed", "/gone"};
  request.exist_watches = {"/born", "/unborn"};
  request.child_watches = {"/kids", "/same"};
  request.persistent_recursive_watches = {"/tree"};
  auto fired = h.watches.set_watches(h.tree, 20, request);
  EXPECT_EQ(seen(fired), (std::vector<Seen>{{20, EventType::kNodeDataChanged, "/changed"},
                                            {20, EventType::kNodeDeleted, "/gone"},
                                            {20, EventType::kNodeCreated, "/born"},
                                            {20, EventType::kNodeChildrenChanged, "/kids"}}));
  SetWatches2 held = h.watches.watches_of(h.tree, 20);
  EXPECT_EQ(held.data_watches, std::vector<std::string>{"/same"});
  EXPECT_EQ(held.exist_watches, std::vector<std::string>{"/unborn"});
  EXPECT_EQ(held.child_watches, std::vector<std::string>{"/same"});
  EXPECT_EQ(held.persistent_recursive_watches, std::vector<std::string>{"/tree"});
  EXPECT_EQ(seen(h.create("/unborn").events), (std::vector<Seen>{{20, EventType::kNodeCreated, "/unborn"}}));
}

TEST(ZkWatch, SessionCloseFiresDeletesOfEphemerals) {
  Harness h;
  ASSERT_EQ(h.create("/e", std::string(), CreateMode::kEphemeral, 5).err(), ErrorCode::kOk);
  ASSERT_TRUE(read_exists(h.tree, h.watches, h.read_ctx(10), ExistsRequest{"/e", true}).ok());
  auto closed = h.close_session(5);
  EXPECT_EQ(seen(closed.events), (std::vector<Seen>{{10, EventType::kNodeDeleted, "/e"}}));
}

}  // namespace
}  // namespace kz::zk
