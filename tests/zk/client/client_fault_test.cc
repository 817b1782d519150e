// The ZooKeeper client under connection faults: a reset connection (the session, its ephemerals,
// its auth and its watches survive; a request caught in the break completes with CONNECTIONLOSS),
// a partition long enough for the server to expire the session (kExpired, SESSIONEXPIRED), and a
// server sending malformed packets (a connection error each time, never a crash).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/zk/auth.h"
#include "core/zk/client/client.h"
#include "core/zk/client/frame.h"
#include "tests/zk/client/client_harness.h"

namespace kz::zk::client {
namespace {

using testing::EventLog;
using testing::ZkSim;
using EventList = std::vector<std::pair<EventType, std::string>>;

// Waits (sleeping in sim time) until `pred` holds; false after `limit_ns`.
template <typename Pred>
bool eventually(io::Env& env, Pred pred, int64_t limit_ns = sec_to_ns(30)) {
  for (int64_t waited = 0; waited < limit_ns; waited += ms_to_ns(10)) {
    if (pred()) return true;
    env.clock->sleep_for(ms_to_ns(10));
  }
  return pred();
}

TEST(ZkClientFaults, ResetKeepsSessionAuthAndRearmsWatches) {
  ZkSim sim(10);
  sim.run([&](io::Env& env) {
    EventLog log;
    ClientOptions o = ZkSim::options();
    o.on_event = log.sink();
    auto a = sim.connect("c1", o);
    auto b = sim.connect("c2");
    ASSERT_TRUE(b->create("/r", std::string("0")).ok());
    ASSERT_TRUE(b->create("/r2", std::string("0")).ok());
    ASSERT_TRUE(a->get_data("/r", true).ok());
    ASSERT_TRUE(a->exists("/r2", true).ok());
    ASSERT_TRUE(a->create("/eph", std::string(), CreateOptions{.mode = CreateMode::kEphemeral}).ok());
    ASSERT_EQ(a->add_auth("digest", "alice:pw"), ErrorCode::kOk);
    const int64_t session = a->session_id();

    // A request queued just before the break completes with CONNECTIONLOSS.
    std::optional<ErrorCode> caught;
    env.spawn("caught", [&] { caught = a->get_data("/r").err; });
    env.sched->yield();  // it queues its request and waits
    // While a cannot reach the server, /r2 changes: its notification is lost with the connection
    // and must come back through SetWatches2's relativeZxid.
    sim.world().net().partition("c1", "zk1");
    ASSERT_GT(sim.world().net().reset_connections("c1"), 0u);
    ASSERT_TRUE(eventually(env, [&] { return caught.has_value(); }));
    EXPECT_EQ(*caught, ErrorCode::kConnectionLoss);
    EXPECT_EQ(a->state(), State::kConnecting);
    ASSERT_TRUE(b->set_data("/r2", std::string("changed while away")).ok());
    sim.world().net().heal("c1", "zk1");

    ASSERT_TRUE(a->wait_connected(sec_to_ns(30)));
    EXPECT_EQ(a->session_id(), session);
    EXPECT_GE(a->connections_established(), 2u);
    EXPECT_TRUE(b->exists("/eph").ok()) << "the session (and its ephemeral) survived the reset";
    auto who = a->who_am_i();
    ASSERT_TRUE(who.ok());
    bool alice = false;
    for (const ClientInfo& ci : who.value) alice |= ci.auth_scheme == "digest" && ci.user == digest_of("alice:pw");
    EXPECT_TRUE(alice) << "the auth packet was sent again after the reconnect";

    ASSERT_TRUE(b->set_data("/r", std::string("1")).ok());
    EXPECT_EQ(a->sync("/"), ErrorCode::kOk);
    EXPECT_EQ(log.watch_events(), (EventList{{EventType::kNodeDataChanged, "/r2"}, {EventType::kNodeDataChanged, "/r"}}));
    std::vector<KeeperState> states = log.states();
    ASSERT_GE(states.size(), 3u);
    EXPECT_EQ(states[0], KeeperState::kSyncConnected);
    EXPECT_EQ(states[1], KeeperState::kDisconnected);
    EXPECT_EQ(states.back(), KeeperState::kSyncConnected);
    a->close();
    b->close();
  });
}

TEST(ZkClientFaults, PartitionLongerThanTheTimeoutExpiresTheSession) {
  ZkSim sim(11);
  sim.run([&](io::Env& env) {
    EventLog log;
    ClientOptions o = ZkSim::options(4'000);
    o.on_event = log.sink();
    auto a = sim.connect("c1", o);
    auto b = sim.connect("c2");
    EXPECT_EQ(a->negotiated_timeout_ms(), 4'000);
    ASSERT_TRUE(a->create("/eph", std::string(), CreateOptions{.mode = CreateMode::kEphemeral}).ok());

    // Idle, the pings keep the session alive well past its timeout.
    env.clock->sleep_for(sec_to_ns(12));
    EXPECT_EQ(a->state(), State::kConnected);
    EXPECT_TRUE(b->exists("/eph").ok());

    sim.world().net().partition("c1", "zk1");
    // Nothing heard for 2/3 of the timeout: the server is taken for dead.
    env.clock->sleep_for(ms_to_ns(3'500));
    EXPECT_EQ(a->state(), State::kConnecting);
    // A per-call timeout bounds a call made while disconnected.
    EXPECT_EQ(a->get_data("/eph", false, ms_to_ns(300)).err, ErrorCode::kOperationTimeout);
    std::optional<ErrorCode> queued;
    env.spawn("queued", [&] { queued = a->exists("/eph").err; });
    env.clock->sleep_for(sec_to_ns(8));
    EXPECT_EQ(b->exists("/eph").err, ErrorCode::kNoNode) << "the server expired the session";
    EXPECT_FALSE(queued.has_value());

    sim.world().net().heal("c1", "zk1");
    ASSERT_TRUE(a->wait_state(State::kExpired, sec_to_ns(30)));
    ASSERT_TRUE(eventually(env, [&] { return queued.has_value(); }));
    EXPECT_EQ(*queued, ErrorCode::kSessionExpired);
    EXPECT_EQ(a->get_data("/").err, ErrorCode::kSessionExpired);
    EXPECT_EQ(a->create("/x", std::string()).err, ErrorCode::kSessionExpired);
    EXPECT_FALSE(a->wait_connected(ms_to_ns(100)));
    std::vector<KeeperState> states = log.states();
    ASSERT_FALSE(states.empty());
    EXPECT_EQ(states.back(), KeeperState::kExpired);
    EXPECT_EQ(a->close(), ErrorCode::kOk);
    EXPECT_EQ(a->state(), State::kClosed);
    b->close();
  });
}

TEST(ZkClientFaults, EachCallTimesOutAtItsOwnDeadline) {
  // Calls share one deadline timer (re-armed lazily): each must still end exactly at its own
  // deadline, whatever order the deadlines come in, and a call answered in time is not disturbed.
  ZkSim sim(15);
  sim.run([&](io::Env& env) {
    auto c = sim.connect("c1");
    ASSERT_TRUE(c->create("/t", std::string("v")).ok());
    sim.world().net().partition("c1", "zk1");  // requests are held at the cut: no reply comes
    const int64_t start_ns = env.sched->now_ns();
    const std::vector<int64_t> timeouts_ms = {500, 200, 350, 200, 1'000};
    std::vector<int64_t> ended_ns(timeouts_ms.size(), -1);
    std::vector<ErrorCode> errs(timeouts_ms.size(), ErrorCode::kOk);
    for (size_t i = 0; i < timeouts_ms.size(); i++) {
      env.spawn("caller", [&, i] {
        errs[i] = c->get_data("/t", false, ms_to_ns(timeouts_ms[i])).err;
        ended_ns[i] = env.sched->now_ns();
      });
    }
    env.clock->sleep_for(ms_to_ns(700));
    sim.world().net().heal("c1", "zk1");
    env.clock->sleep_for(ms_to_ns(500));
    for (size_t i = 0; i < timeouts_ms.size(); i++) {
      if (timeouts_ms[i] < 700) {
        EXPECT_EQ(errs[i], ErrorCode::kOperationTimeout) << i;
        EXPECT_EQ(ended_ns[i] - start_ns, ms_to_ns(timeouts_ms[i])) << i;
      } else {
        // Healed before its deadline: the held request reaches the server and is answered.
        EXPECT_EQ(errs[i], ErrorCode::kOk) << i;
        EXPECT_LT(ended_ns[i] - start_ns, ms_to_ns(timeouts_ms[i])) << i;
      }
    }
    // Idle: the connection stays up (its idle timer keeps being re-armed by the pings' replies).
    env.clock->sleep_for(sec_to_ns(30));
    EXPECT_EQ(c->state(), State::kConnected);
    EXPECT_EQ(c->connections_established(), 1u);
    c->close();
  });
}

TEST(ZkClientFaults, SkipsServersThatAreDown) {
  ZkSim sim(13);
  sim.world().add_node("zk2");  // a host with no process: connects are refused
  sim.run([&](io::Env&) {
    ClientOptions o = ZkSim::options();
    o.servers = {io::Address{"zk2", testing::kZkPort}, io::Address{"zk1", testing::kZkPort},
                 io::Address{"zk2", testing::kZkPort + 1}};
    auto c = sim.connect("c1", o);
    EXPECT_EQ(c->server(), (io::Address{"zk1", testing::kZkPort}));
    ASSERT_TRUE(c->create("/up", std::string()).ok());
    c->close();
  });
}

// A server that completes handshakes and then misbehaves, one way per connection:
//   0: answers the handshake with a frame that is not a ConnectResponse;
//   1: answers a request with the wrong xid;
//   2: sends a frame length far beyond the client's limit;
//   3: answers getData with a reply whose body does not decode;
//   4+: behaves (answers getData with "ok").
void misbehaving_server(io::Env& env, int* connections) {
  auto listener = env.net->listen({env.node, testing::kZkPort});
  ASSERT_TRUE(listener.is_ok());
  for (;;) {
    auto accepted = (*listener)->accept();
    if (!accepted.is_ok()) return;
    std::shared_ptr<io::Stream> s(std::move(*accepted));
    int mode = (*connections)++;
    env.spawn("bad-conn", [s, mode] {
      FrameReader reader(1 << 20);
      auto send = [&](const std::string& bytes) {
        (void)s->write_all(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      };
      auto hello = reader.next(*s, kNoTimeout);
      if (!hello.is_ok()) return;
      if (mode == 0) {
        send(frame_bytes("abc"));
        return;
      }
      ConnectResponse resp{0, 10'000, 0x55, std::string(16, 'p'), false};
      send(frame_bytes(jute_encode(resp)));
      for (;;) {
        auto frame = reader.next(*s, kNoTimeout);
        if (!frame.is_ok()) return;
        auto h = jute_decode<RequestHeader>(frame->substr(0, 8));
        if (!h.is_ok()) return;
        if (h->xid == kPingXid) {
          send(frame_bytes(jute_encode(ReplyHeader{kPingXid, 0, 0})));
          continue;
        }
        switch (mode) {
          case 1:
            send(frame_bytes(jute_encode(ReplyHeader{h->xid + 100, 1, 0})));
            break;
          case 2:
            send(std::string("\x7f\xff\xff\xff", 4));
            break;
          case 3:
            send(frame_bytes(jute_encode(ReplyHeader{h->xid, 1, 0}) + "zz"));
            break;
          default:
            send(frame_bytes(jute_encode(ReplyHeader{h->xid, 1, 0}) + jute_encode(GetDataResponse{"ok", Stat{}})));
            break;
        }
      }
    });
  }
}

TEST(ZkClientFaults, MalformedPacketsAreConnectionErrors) {
  sim::World world(sim::WorldOptions{.seed = 12});
  int connections = 0;
  world.add_node("bad").start([&](io::Env& env) { misbehaving_server(env, &connections); });
  bool done = false;
  world.add_node("c1").start([&](io::Env& env) {
    ClientOptions o;
    o.servers = {io::Address{"bad", testing::kZkPort}};
    o.reconnect_delay_ns_max = ms_to_ns(50);
    auto c = Client::connect(env, o);
    ASSERT_TRUE(c->wait_connected(sec_to_ns(30)));
    EXPECT_EQ(c->connections_established(), 1u) << "the garbage handshake did not count";
    EXPECT_EQ(c->session_id(), 0x55);
    EXPECT_EQ(c->get_data("/x").err, ErrorCode::kConnectionLoss);  // wrong xid
    ASSERT_TRUE(c->wait_connected(sec_to_ns(30)));
    EXPECT_EQ(c->get_data("/x").err, ErrorCode::kConnectionLoss);  // oversized frame
    ASSERT_TRUE(c->wait_connected(sec_to_ns(30)));
    EXPECT_EQ(c->get_data("/x").err, ErrorCode::kMarshallingError);  // body does not decode
    ASSERT_TRUE(c->wait_state(State::kConnecting, sec_to_ns(30))) << "the connection that carried it is dropped";
    ASSERT_TRUE(c->wait_connected(sec_to_ns(30)));
    auto good = c->get_data("/x");
    ASSERT_TRUE(good.ok()) << error_code_name(good.err);
    EXPECT_EQ(good.value.data, std::optional<std::string>("ok"));
    EXPECT_EQ(c->connections_established(), 4u);
    EXPECT_EQ(c->session_id(), 0x55);
    done = true;
  });
  for (int i = 0; i < 600 && !done; i++) world.run_for(ms_to_ns(100));
  EXPECT_TRUE(done);
  EXPECT_EQ(connections, 5);
}

}  // namespace
}  // namespace kz::zk::client
