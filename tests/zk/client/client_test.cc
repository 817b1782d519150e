// The ZooKeeper client against kz's own server in a simulated world: CRUD, stats and errors,
// sequential and ephemeral nodes, watches, multi, auth and ACLs, pipelining and timeouts.
// Connection faults (reset, partition, expiry, malformed replies) are in client_fault_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/zk/auth.h"
#include "core/zk/client/client.h"
#include "tests/zk/client/client_harness.h"

namespace kz::zk::client {
namespace {

using testing::EventLog;
using testing::ZkSim;
using EventList = std::vector<std::pair<EventType, std::string>>;

TEST(ZkClient, CrudStatsAndErrors) {
  ZkSim sim(1);
  sim.run([&](io::Env&) {
    auto c = sim.connect("c1");
    EXPECT_NE(c->session_id(), 0);
    EXPECT_EQ(c->negotiated_timeout_ms(), 10'000);

    auto created = c->create("/a", std::string("x"));
    ASSERT_TRUE(created.ok()) << error_code_name(created.err);
    EXPECT_EQ(created.value.path, "/a");
    EXPECT_EQ(created.value.stat.version, 0);
    EXPECT_EQ(created.value.stat.data_length, 1);
    EXPECT_GT(created.value.stat.czxid, 0);
    EXPECT_EQ(c->last_zxid_seen(), created.value.stat.czxid);
    EXPECT_EQ(c->create("/a", std::string("y")).err, ErrorCode::kNodeExists);
    EXPECT_EQ(c->create("/missing/child", std::string()).err, ErrorCode::kNoNode);

    auto got = c->get_data("/a");
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got.value.data, std::optional<std::string>("x"));
    EXPECT_EQ(got.value.stat.czxid, created.value.stat.czxid);

    auto set = c->set_data("/a", std::string("xyz"), 0);
    ASSERT_TRUE(set.ok());
    EXPECT_EQ(set.value.version, 1);
    EXPECT_EQ(set.value.data_length, 3);
    EXPECT_GT(set.value.mzxid, created.value.stat.mzxid);
    EXPECT_EQ(c->set_data("/a", std::string("q"), 0).err, ErrorCode::kBadVersion);
    EXPECT_EQ(c->set_data("/nope", std::string("q")).err, ErrorCode::kNoNode);

    // Null data stays null, empty stays empty.
    ASSERT_TRUE(c->create("/null", std::nullopt).ok());
    EXPECT_EQ(c->get_data("/null").value.data, std::nullopt);

    auto st = c->exists("/a");
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st.value.version, 1);
    EXPECT_EQ(c->exists("/nope").err, ErrorCode::kNoNode);

    ASSERT_TRUE(c->create("/a/b", std::string()).ok());
    ASSERT_TRUE(c->create("/a/c", std::string()).ok());
    auto kids = c->get_children("/a", false, true);
    ASSERT_TRUE(kids.ok());
    std::vector<std::string> names = kids.value.children;
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"b", "c"}));
    EXPECT_EQ(kids.value.stat.num_children, 2);
    EXPECT_EQ(kids.value.stat.cversion, 2);
    EXPECT_EQ(c->get_children("/nope").err, ErrorCode::kNoNode);
    auto total = c->get_all_children_number("/a");
    ASSERT_TRUE(total.ok());
    EXPECT_EQ(total.value, 2);

    EXPECT_EQ(c->check("/a", 1), ErrorCode::kOk);
    EXPECT_EQ(c->check("/a", 7), ErrorCode::kBadVersion);
    EXPECT_EQ(c->sync("/a"), ErrorCode::kOk);

    EXPECT_EQ(c->remove("/a"), ErrorCode::kNotEmpty);
    EXPECT_EQ(c->remove("/a/b", 5), ErrorCode::kBadVersion);
    EXPECT_EQ(c->remove("/a/b", 0), ErrorCode::kOk);
    EXPECT_EQ(c->remove("/a/c"), ErrorCode::kOk);
    EXPECT_EQ(c->remove("/a"), ErrorCode::kOk);
    EXPECT_EQ(c->get_data("/a").err, ErrorCode::kNoNode);
    EXPECT_EQ(c->remove("/a"), ErrorCode::kNoNode);
    EXPECT_EQ(c->create("bad-path", std::string()).err, ErrorCode::kBadArguments);

    EXPECT_EQ(c->close(), ErrorCode::kOk);
    EXPECT_EQ(c->state(), State::kClosed);
    EXPECT_EQ(c->get_data("/null").err, ErrorCode::kSessionExpired);
  });
}

TEST(ZkClient, SequentialNames) {
  ZkSim sim(2);
  sim.run([&](io::Env&) {
    auto c = sim.connect("c1");
    ASSERT_TRUE(c->create("/q", std::string()).ok());
    std::vector<std::string> paths;
    for (int i = 0; i < 3; i++) {
      auto r = c->create("/q/n-", std::string(), CreateOptions{.mode = CreateMode::kPersistentSequential});
      ASSERT_TRUE(r.ok());
      paths.push_back(r.value.path);
    }
    EXPECT_EQ(paths, (std::vector<std::string>{"/q/n-0000000000", "/q/n-0000000001", "/q/n-0000000002"}));
    c->close();
  });
}

TEST(ZkClient, EphemeralsVanishAfterClose) {
  ZkSim sim(3);
  sim.run([&](io::Env&) {
    auto a = sim.connect("c1");
    auto b = sim.connect("c2");
    EXPECT_NE(a->session_id(), b->session_id());
    auto e = a->create("/e", std::string("1"), CreateOptions{.mode = CreateMode::kEphemeral});
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e.value.stat.ephemeral_owner, a->session_id());
    EXPECT_EQ(a->create("/e/child", std::string()).err, ErrorCode::kNoChildrenForEphemerals);
    auto mine = a->get_ephemerals("/");
    ASSERT_TRUE(mine.ok());
    EXPECT_EQ(mine.value, (std::vector<std::string>{"/e"}));
    EXPECT_TRUE(b->get_ephemerals("/").value.empty());
    EXPECT_TRUE(b->exists("/e").ok());
    EXPECT_EQ(a->close(), ErrorCode::kOk);
    EXPECT_EQ(b->exists("/e").err, ErrorCode::kNoNode);
    b->close();
  });
}

TEST(ZkClient, WatchesFireOnceInOrderBeforeTheNextReply) {
  ZkSim sim(4);
  sim.run([&](io::Env&) {
    EventLog log;
    ClientOptions o = ZkSim::options();
    o.on_event = log.sink();
    auto a = sim.connect("c1", o);
    auto b = sim.connect("c2");
    ASSERT_TRUE(b->create("/w", std::string("0")).ok());
    ASSERT_TRUE(a->get_data("/w", true).ok());
    EXPECT_EQ(a->exists("/x", true).err, ErrorCode::kNoNode);
    ASSERT_TRUE(a->get_children("/w", true).ok());
    EXPECT_TRUE(a->watches().contains(WatchKind::kData, "/w"));
    EXPECT_TRUE(a->watches().contains(WatchKind::kExist, "/x"));
    EXPECT_TRUE(a->watches().contains(WatchKind::kChild, "/w"));

    ASSERT_TRUE(b->set_data("/w", std::string("1")).ok());
    ASSERT_TRUE(b->set_data("/w", std::string("2")).ok());  // the data watch fired already
    ASSERT_TRUE(b->create("/x", std::string()).ok());
    ASSERT_TRUE(b->create("/w/c", std::string()).ok());
    ASSERT_TRUE(b->create("/w/d", std::string()).ok());  // the child watch fired already
    // The events reached a before the reply to this sync (which follows them on a's connection).
    EXPECT_EQ(a->sync("/"), ErrorCode::kOk);
    EXPECT_EQ(log.watch_events(), (EventList{{EventType::kNodeDataChanged, "/w"},
                                             {EventType::kNodeCreated, "/x"},
                                             {EventType::kNodeChildrenChanged, "/w"}}));
    EXPECT_TRUE(a->watches().empty());

    // A client's own write: the event is delivered before the write's reply returns.
    log.events.clear();
    ASSERT_TRUE(a->get_data("/x", true).ok());
    ASSERT_TRUE(a->set_data("/x", std::string("mine")).ok());
    EXPECT_EQ(log.watch_events(), (EventList{{EventType::kNodeDataChanged, "/x"}}));
    a->close();
    b->close();
  });
}

TEST(ZkClient, PersistentRecursiveWatchAndRemoveWatches) {
  ZkSim sim(5);
  sim.run([&](io::Env&) {
    ClientOptions o = ZkSim::options();
    o.event_channel_capacity = 64;
    auto a = sim.connect("c1", o);
    auto b = sim.connect("c2");
    rt::Channel<WatchedEvent>* events = a->events();
    ASSERT_NE(events, nullptr);
    auto next_watch_event = [&]() -> WatchedEvent {
      for (;;) {
        std::optional<WatchedEvent> e = events->recv_for(sec_to_ns(5));
        if (!e.has_value()) return WatchedEvent{EventType::kNone, KeeperState::kUnknown, "<timeout>", -1};
        if (e->type != EventType::kNone) return *e;
      }
    };
    ASSERT_TRUE(b->create("/p", std::string()).ok());
    ASSERT_EQ(a->add_watch("/p", AddWatchMode::kPersistentRecursive), ErrorCode::kOk);
    ASSERT_TRUE(b->create("/p/x", std::string()).ok());
    ASSERT_TRUE(b->set_data("/p/x", std::string("1")).ok());
    ASSERT_TRUE(b->set_data("/p/x", std::string("2")).ok());
    ASSERT_EQ(b->remove("/p/x"), ErrorCode::kOk);
    EventList got;
    for (int i = 0; i < 4; i++) {
      WatchedEvent e = next_watch_event();
      got.emplace_back(e.type, e.path);
      EXPECT_GT(e.zxid, 0);
    }
    EXPECT_EQ(got, (EventList{{EventType::kNodeCreated, "/p/x"},
                              {EventType::kNodeDataChanged, "/p/x"},
                              {EventType::kNodeDataChanged, "/p/x"},
                              {EventType::kNodeDeleted, "/p/x"}}));
    EXPECT_TRUE(a->watches().contains(WatchKind::kPersistentRecursive, "/p"));
    EXPECT_EQ(a->remove_watches("/p", WatcherType::kAny), ErrorCode::kOk);
    WatchedEvent removed = next_watch_event();
    EXPECT_EQ(removed.type, EventType::kPersistentWatchRemoved);
    EXPECT_EQ(removed.path, "/p");
    EXPECT_EQ(a->remove_watches("/p", WatcherType::kAny), ErrorCode::kNoWatcher);
    ASSERT_TRUE(b->create("/p/y", std::string()).ok());
    EXPECT_EQ(a->sync("/"), ErrorCode::kOk);
    EXPECT_EQ(events->size(), 0u) << "no event after the watch was removed";
    a->close();
    b->close();
  });
}

TEST(ZkClient, MultiIsAtomicAndMultiReadIsNot) {
  ZkSim sim(6);
  sim.run([&](io::Env&) {
    auto c = sim.connect("c1");
    auto ok = c->multi({op_create("/m1", std::string("a")), op_create("/m2", std::string("b")),
                        op_set_data("/m1", std::string("aa"), 0), op_check("/m2", 0)});
    ASSERT_TRUE(ok.ok()) << error_code_name(ok.err);
    ASSERT_EQ(ok.value.size(), 4u);
    EXPECT_EQ(ok.value[0].type, op(OpCode::kCreate));
    EXPECT_EQ(ok.value[0].path, "/m1");
    EXPECT_EQ(ok.value[2].type, op(OpCode::kSetData));
    EXPECT_EQ(ok.value[2].stat.version, 1);

    auto bad = c->multi({op_create("/m3", std::string()), op_check("/m1", 0), op_delete("/m2")});
    EXPECT_EQ(bad.err, ErrorCode::kBadVersion);
    ASSERT_EQ(bad.value.size(), 3u);
    EXPECT_EQ(bad.value[1].err, err(ErrorCode::kBadVersion));
    EXPECT_EQ(c->exists("/m3").err, ErrorCode::kNoNode) << "a failed multi applies nothing";
    EXPECT_TRUE(c->exists("/m2").ok());

    auto reads = c->multi_read({op_get_data("/m1"), op_get_children("/"), op_get_data("/none")});
    ASSERT_TRUE(reads.ok());
    ASSERT_EQ(reads.value.size(), 3u);
    EXPECT_EQ(reads.value[0].data, std::optional<std::string>("aa"));
    EXPECT_NE(std::find(reads.value[1].children.begin(), reads.value[1].children.end(), "m2"),
              reads.value[1].children.end());
    EXPECT_EQ(reads.value[2].err, err(ErrorCode::kNoNode));
    c->close();
  });
}

TEST(ZkClient, AuthAndAcl) {
  ZkSim sim(7);
  sim.run([&](io::Env&) {
    auto a = sim.connect("c1");
    auto b = sim.connect("c2");
    ASSERT_EQ(a->add_auth("digest", "alice:secret"), ErrorCode::kOk);
    auto who = a->who_am_i();
    ASSERT_TRUE(who.ok());
    bool alice = false;
    for (const ClientInfo& ci : who.value) alice |= ci.auth_scheme == "digest" && ci.user == digest_of("alice:secret");
    EXPECT_TRUE(alice);

    ASSERT_TRUE(a->create("/s", std::string("secret"), CreateOptions{.acl = creator_all_acl()}).ok());
    auto acl = a->get_acl("/s");
    ASSERT_TRUE(acl.ok());
    ASSERT_EQ(acl.value.acl.size(), 1u);
    EXPECT_EQ(acl.value.acl[0].id.scheme, "digest");
    EXPECT_EQ(acl.value.acl[0].id.id, digest_of("alice:secret"));
    EXPECT_EQ(acl.value.acl[0].perms, perms::kAll);

    EXPECT_EQ(b->get_data("/s").err, ErrorCode::kNoAuth);
    EXPECT_EQ(b->set_data("/s", std::string("x")).err, ErrorCode::kNoAuth);
    ASSERT_EQ(b->add_auth("digest", "alice:secret"), ErrorCode::kOk);
    EXPECT_EQ(b->get_data("/s").value.data, std::optional<std::string>("secret"));

    // setACL: world-readable, only alice writes.
    AclList open_read = read_acl_unsafe();
    open_read.push_back(Acl{perms::kAll, Id{"digest", digest_of("alice:secret")}});
    auto set = a->set_acl("/s", open_read, 0);
    ASSERT_TRUE(set.ok()) << error_code_name(set.err);
    EXPECT_EQ(set.value.aversion, 1);
    EXPECT_EQ(a->set_acl("/s", open_read, 0).err, ErrorCode::kBadVersion);
    EXPECT_EQ(a->set_acl("/s", AclList{Acl{perms::kAll, Id{"bogus", "x"}}}).err, ErrorCode::kInvalidAcl);
    a->close();
    b->close();
  });
}

TEST(ZkClient, PipelinedCallsFromManyFibers) {
  ZkSim sim(8);
  sim.run([&](io::Env& env) {
    auto c = sim.connect("c1");
    ASSERT_TRUE(c->create("/p", std::string()).ok());
    constexpr int kFibers = 40;
    int done = 0;
    std::vector<ErrorCode> results(kFibers, ErrorCode::kSystemError);
    std::vector<std::string> data(kFibers);
    rt::Event all_done(*env.sched);
    for (int i = 0; i < kFibers; i++) {
      env.spawn("caller", [&, i] {
        std::string path = "/p/n" + std::to_string(i);
        results[static_cast<size_t>(i)] = c->create(path, "v" + std::to_string(i)).err;
        auto got = c->get_data(path);
        data[static_cast<size_t>(i)] = got.value.data.value_or("?");
        if (++done == kFibers) all_done.set();
      });
    }
    ASSERT_TRUE(all_done.wait_for(sec_to_ns(30)));
    for (int i = 0; i < kFibers; i++) {
      EXPECT_EQ(results[static_cast<size_t>(i)], ErrorCode::kOk) << i;
      EXPECT_EQ(data[static_cast<size_t>(i)], "v" + std::to_string(i)) << i;
    }
    EXPECT_EQ(c->get_all_children_number("/p").value, kFibers);
    c->close();
  });
}

// Replies to requests the server holds at once go out together: one stream write for the replies
// to the requests read in one go, and one per connection for the txns applied after one fsync.
// One request at a time, each reply is its own write.
TEST(ZkClient, RepliesToPipelinedRequestsShareWrites) {
  ZkSim sim(9);
  sim.run([&](io::Env& env) {
    auto c = sim.connect("c1");
    ASSERT_TRUE(c->create("/q", std::string()).ok());
    const ServerStats& stats = sim.server().stats();
    uint64_t frames0 = stats.packets_sent;
    uint64_t writes0 = stats.reply_writes;
    for (int i = 0; i < 10; i++) ASSERT_TRUE(c->get_data("/q").ok());
    EXPECT_EQ(stats.packets_sent - frames0, 10u);
    EXPECT_EQ(stats.reply_writes - writes0, 10u) << "one request at a time: a write per reply";

    constexpr int kFibers = 50;
    int done = 0;
    rt::Event all_done(*env.sched);
    frames0 = stats.packets_sent;
    writes0 = stats.reply_writes;
    for (int i = 0; i < kFibers; i++) {
      env.spawn("caller", [&, i] {
        EXPECT_EQ(c->create("/q/n" + std::to_string(i), "v").err, ErrorCode::kOk);
        EXPECT_TRUE(c->get_data("/q").ok());
        if (++done == kFibers) all_done.set();
      });
    }
    ASSERT_TRUE(all_done.wait_for(sec_to_ns(30)));
    const uint64_t frames = stats.packets_sent - frames0;
    const uint64_t writes = stats.reply_writes - writes0;
    EXPECT_EQ(frames, 2u * kFibers);
    EXPECT_LT(writes * 4, frames) << writes << " writes for " << frames << " replies";
    c->close();
  });
}

TEST(ZkClient, StateChangesAreReported) {
  ZkSim sim(9);
  sim.run([&](io::Env&) {
    std::vector<State> states;
    EventLog log;
    ClientOptions o = ZkSim::options();
    o.on_state = [&](State s) { states.push_back(s); };
    o.on_event = log.sink();
    auto c = sim.connect("c1", o);
    EXPECT_EQ(c->server(), (io::Address{"zk1", testing::kZkPort}));
    EXPECT_EQ(c->close(), ErrorCode::kOk);
    EXPECT_EQ(c->close(), ErrorCode::kOk);  // idempotent
    EXPECT_EQ(states, (std::vector<State>{State::kConnected, State::kClosed}));
    EXPECT_EQ(log.states(), (std::vector<KeeperState>{KeeperState::kSyncConnected, KeeperState::kClosed}));
  });
}

TEST(ZkClient, CallsMadeWhileConnectingWaitForTheSession) {
  ZkSim sim(14);
  sim.run([&](io::Env& env) {
    auto c = Client::connect(env, ZkSim::options());
    EXPECT_EQ(c->state(), State::kConnecting);
    auto r = c->create("/early", std::string("e"));  // queued until the handshake completes
    ASSERT_TRUE(r.ok()) << error_code_name(r.err);
    EXPECT_EQ(c->state(), State::kConnected);
    auto container = c->create("/box", std::string(), CreateOptions{.mode = CreateMode::kContainer});
    ASSERT_TRUE(container.ok()) << error_code_name(container.err);
    EXPECT_EQ(container.value.stat.ephemeral_owner, kContainerEphemeralOwner);
    c->close();
  });
}

TEST(ZkClient, ParseServers) {
  auto two = parse_servers("h1:2181, h2:2182");
  ASSERT_TRUE(two.is_ok());
  EXPECT_EQ(*two, (std::vector<io::Address>{{"h1", 2181}, {"h2", 2182}}));
  auto default_port = parse_servers("localhost");
  ASSERT_TRUE(default_port.is_ok());
  EXPECT_EQ(*default_port, (std::vector<io::Address>{{"localhost", 2181}}));
  EXPECT_FALSE(parse_servers("h1:2181,,h2:1").is_ok());
  EXPECT_FALSE(parse_servers("h1:2181/chroot").is_ok());
  EXPECT_FALSE(parse_servers("h1:notaport").is_ok());
  EXPECT_FALSE(parse_servers("").is_ok());
}

}  // namespace
}  // namespace kz::zk::client
