// The client's watch registry: which watches a notification fires, what removeWatches removes,
// and how the SetWatches2 records that re-arm them are split.
#include <gtest/gtest.h>

#include "core/zk/client/watch_registry.h"

namespace kz::zk::client {
namespace {

TEST(ZkClientWatchRegistry, OneShotWatchesFireOnceByEventType) {
  WatchRegistry w;
  w.add(WatchKind::kData, "/a");
  w.add(WatchKind::kExist, "/b");
  w.add(WatchKind::kChild, "/a");
  EXPECT_TRUE(w.on_event(EventType::kNodeDataChanged, "/a"));
  EXPECT_FALSE(w.contains(WatchKind::kData, "/a"));
  EXPECT_TRUE(w.contains(WatchKind::kChild, "/a")) << "a data event leaves the child watch";
  EXPECT_FALSE(w.on_event(EventType::kNodeDataChanged, "/a")) << "fired once";
  EXPECT_TRUE(w.on_event(EventType::kNodeCreated, "/b"));
  EXPECT_FALSE(w.contains(WatchKind::kExist, "/b"));
  EXPECT_TRUE(w.on_event(EventType::kNodeChildrenChanged, "/a"));
  EXPECT_TRUE(w.empty());

  w.add(WatchKind::kData, "/d");
  w.add(WatchKind::kChild, "/d");
  EXPECT_TRUE(w.on_event(EventType::kNodeDeleted, "/d"));
  EXPECT_TRUE(w.empty()) << "a deletion fires data and child watches";
}

TEST(ZkClientWatchRegistry, PersistentWatchesStay) {
  WatchRegistry w;
  w.add(WatchKind::kPersistent, "/p");
  w.add(WatchKind::kPersistentRecursive, "/r");
  EXPECT_TRUE(w.on_event(EventType::kNodeDataChanged, "/p"));
  EXPECT_TRUE(w.on_event(EventType::kNodeChildrenChanged, "/p"));
  EXPECT_TRUE(w.on_event(EventType::kNodeCreated, "/r/x/y"));
  EXPECT_TRUE(w.on_event(EventType::kNodeDeleted, "/r"));
  EXPECT_FALSE(w.on_event(EventType::kNodeChildrenChanged, "/r")) << "recursive watches get no child events";
  EXPECT_FALSE(w.on_event(EventType::kNodeCreated, "/rx")) << "/rx is not under /r";
  EXPECT_FALSE(w.on_event(EventType::kNodeCreated, "/p/x")) << "a plain persistent watch is not recursive";
  EXPECT_EQ(w.count(WatchKind::kPersistent), 1u);
  EXPECT_EQ(w.count(WatchKind::kPersistentRecursive), 1u);
}

TEST(ZkClientWatchRegistry, RemoveReportsWhatWasRemoved) {
  WatchRegistry w;
  w.add(WatchKind::kExist, "/a");
  w.add(WatchKind::kChild, "/a");
  w.add(WatchKind::kPersistent, "/a");
  EXPECT_TRUE(w.has_removable("/a", WatcherType::kData));
  EXPECT_FALSE(w.has_removable("/b", WatcherType::kAny));
  EXPECT_EQ(w.remove("/a", WatcherType::kData), (std::vector<EventType>{EventType::kDataWatchRemoved}));
  EXPECT_FALSE(w.has_removable("/a", WatcherType::kData));
  EXPECT_EQ(w.remove("/a", WatcherType::kAny),
            (std::vector<EventType>{EventType::kChildWatchRemoved, EventType::kPersistentWatchRemoved}));
  EXPECT_TRUE(w.empty());
}

TEST(ZkClientWatchRegistry, SetWatchesSplitsByPathBytes) {
  WatchRegistry w;
  EXPECT_TRUE(w.set_watches(5, 100).empty());
  w.add(WatchKind::kData, "/aaaa");
  w.add(WatchKind::kData, "/bbbb");
  w.add(WatchKind::kChild, "/cccc");
  w.add(WatchKind::kPersistentRecursive, "/dddd");
  auto one = w.set_watches(7, 1000);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].relative_zxid, 7);
  EXPECT_EQ(one[0].data_watches, (std::vector<std::string>{"/aaaa", "/bbbb"}));
  EXPECT_EQ(one[0].child_watches, (std::vector<std::string>{"/cccc"}));
  EXPECT_EQ(one[0].persistent_recursive_watches, (std::vector<std::string>{"/dddd"}));
  auto split = w.set_watches(7, 10);  // two 5-byte paths per record
  ASSERT_EQ(split.size(), 2u);
  EXPECT_EQ(split[0].data_watches.size(), 2u);
  EXPECT_EQ(split[1].child_watches, (std::vector<std::string>{"/cccc"}));
  EXPECT_EQ(split[1].persistent_recursive_watches, (std::vector<std::string>{"/dddd"}));
  EXPECT_EQ(split[1].relative_zxid, 7);
}

}  // namespace
}  // namespace kz::zk::client
