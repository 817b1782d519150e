// SimNet: TCP-like streams between World nodes, and the network's faults.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/io/env.h"
#include "core/io/net.h"
#include "sim/world.h"

namespace kz::sim {
namespace {

constexpr uint16_t kPort = 9000;

std::vector<uint8_t> pattern(size_t n, uint64_t salt) {
  std::vector<uint8_t> out(n);
  uint64_t x = salt * 0x9e3779b97f4a7c15ULL + 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<uint8_t>(x);
  }
  return out;
}

// Echoes every byte back on each accepted stream until EOF; counts finished connections.
void echo_server(io::Env& env, int* finished) {
  auto listener = env.net->listen({env.node, kPort});
  ASSERT_TRUE(listener.is_ok()) << listener.status().to_string();
  for (;;) {
    auto stream = (*listener)->accept();
    if (!stream.is_ok()) return;
    std::shared_ptr<io::Stream> s(std::move(*stream));
    env.spawn("echo", [s, finished] {
      std::vector<uint8_t> buf(4096);
      for (;;) {
        auto n = s->read_some(buf);
        if (!n.is_ok()) return;
        if (*n == 0) {
          (*finished)++;
          return;
        }
        if (!s->write_all(std::span(buf.data(), *n)).is_ok()) return;
      }
    });
  }
}

struct Pair {
  World world;
  Node& a;
  Node& b;
  explicit Pair(uint64_t seed, NetOptions net = {}) : world(WorldOptions{.seed = seed, .net = net}), a(world.add_node("a")), b(world.add_node("b")) {}
};

// The receiving side of the transfer tests: accepts one connection on b:kPort and reads it to EOF
// into `received` (sleeping `pause_ns` after each read: a slow reader), then sets `eof`.
void receive_all(io::Env& env, std::vector<uint8_t>& received, bool& eof, int64_t pause_ns) {
  auto l = env.net->listen({"b", kPort});
  ASSERT_TRUE(l.is_ok());
  auto s = (*l)->accept();
  ASSERT_TRUE(s.is_ok());
  std::vector<uint8_t> buf(8192);
  for (;;) {
    auto n = (*s)->read_some(buf);
    ASSERT_TRUE(n.is_ok()) << n.status().to_string();
    if (*n == 0) break;
    received.insert(received.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
    if (pause_ns > 0) env.clock->sleep_for(pause_ns);
  }
  eof = true;
}

TEST(SimNet, EchoWithPartialReads) {
  Pair p(7);
  int finished = 0;
  p.b.start([&](io::Env& env) { echo_server(env, &finished); });
  size_t short_reads = 0;
  bool done = false;
  p.a.start([&](io::Env& env) {
    auto s = env.net->connect({"b", kPort});
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    EXPECT_EQ((*s)->peer(), (io::Address{"b", kPort}));
    EXPECT_EQ((*s)->local().host, "a");
    for (int round = 0; round < 200; round++) {
      auto msg = pattern(1 + env.rng->below(6000), round);
      ASSERT_TRUE((*s)->write_all(msg).is_ok());
      std::vector<uint8_t> got(msg.size());
      size_t have = 0;
      while (have < got.size()) {
        auto n = (*s)->read_some(std::span(got).subspan(have));
        ASSERT_TRUE(n.is_ok()) << n.status().to_string();
        ASSERT_GT(*n, 0u);
        if (have + *n < got.size()) short_reads++;
        have += *n;
      }
      ASSERT_EQ(got, msg) << "round " << round;
    }
    (*s)->close();
    done = true;
  });
  p.world.run_for(sec_to_ns(10));
  EXPECT_TRUE(done);
  EXPECT_EQ(finished, 1);
  EXPECT_GT(short_reads, 10u);  // segmenting and deliberate short reads both split messages
  EXPECT_GT(p.world.net().deliveries(), 200u);
}

TEST(SimNet, LargeTransferWithFlowControl) {
  Pair p(11);
  const auto data = pattern(1 << 20, 99);
  std::vector<uint8_t> received;
  size_t partial_writes = 0;
  bool eof = false;
  // A slow reader: the writer must wait for the window.
  p.b.start([&](io::Env& env) { receive_all(env, received, eof, us_to_ns(100)); });
  p.a.start([&](io::Env& env) {
    auto s = env.net->connect({"b", kPort});
    ASSERT_TRUE(s.is_ok());
    std::span<const uint8_t> rest(data);
    while (!rest.empty()) {
      auto n = (*s)->write_some(rest);
      ASSERT_TRUE(n.is_ok());
      ASSERT_GT(*n, 0u);
      if (*n < rest.size()) partial_writes++;
      rest = rest.subspan(*n);
    }
    (*s)->close();
  });
  p.world.run_for(sec_to_ns(60));
  EXPECT_TRUE(eof);
  EXPECT_EQ(received.size(), data.size());
  EXPECT_TRUE(received == data);
  EXPECT_GT(partial_writes, 0u);
}

TEST(SimNet, TryWriteTakesWhatTheWindowAllowsAndNeverBlocks) {
  Pair p(12);
  const auto data = pattern(1 << 20, 7);
  std::vector<uint8_t> received;
  size_t zero_writes = 0;
  bool eof = false;
  p.b.start([&](io::Env& env) { receive_all(env, received, eof, 0); });
  p.a.start([&](io::Env& env) {
    auto s = env.net->connect({"b", kPort});
    ASSERT_TRUE(s.is_ok());
    std::span<const uint8_t> rest(data);
    while (!rest.empty()) {
      const int64_t before_ns = env.sched->now_ns();
      auto n = (*s)->try_write_some(rest);
      ASSERT_TRUE(n.is_ok()) << n.status().to_string();
      EXPECT_EQ(env.sched->now_ns(), before_ns);  // returned without waiting
      EXPECT_LE(*n, size_t{256 * 1024});          // never more than the window
      if (*n == 0) {
        zero_writes++;
        env.clock->sleep_for(us_to_ns(50));  // the window is full: let the reader drain it
      }
      rest = rest.subspan(*n);
    }
    (*s)->close();
    EXPECT_FALSE((*s)->try_write_some(data).is_ok());  // closed
  });
  p.world.run_for(sec_to_ns(60));
  EXPECT_TRUE(eof);
  EXPECT_TRUE(received == data);
  EXPECT_GT(zero_writes, 0u);
}

TEST(SimNet, ConnectErrors) {
  Pair p(3);
  std::vector<Code> codes;
  int64_t refused_after_ns = 0;
  p.b.start([&](io::Env& env) {
    auto l = env.net->listen({"b", kPort});
    ASSERT_TRUE(l.is_ok());
    EXPECT_EQ(env.net->listen({"b", kPort}).status().code(), Code::kAlreadyExists);
    auto s = (*l)->accept();
    (void)s;
    env.clock->sleep_for(sec_to_ns(100));
  });
  p.a.start([&](io::Env& env) {
    EXPECT_EQ(env.net->connect({"nowhere", kPort}).status().code(), Code::kNotFound);
    int64_t start = env.clock->now_ns();
    auto r = env.net->connect({"b", kPort + 1});
    codes.push_back(r.status().code());
    refused_after_ns = env.clock->now_ns() - start;
    codes.push_back(env.net->connect({"b", kPort}).status().code());
    env.clock->sleep_for(ms_to_ns(10));  // b crashes meanwhile
    codes.push_back(env.net->connect({"b", kPort}).status().code());
  });
  p.world.control().spawn("nemesis", [&] {
    p.world.sched().sleep_for(ms_to_ns(5));
    p.b.crash();
  });
  p.world.run_for(sec_to_ns(1));
  EXPECT_EQ(codes, (std::vector<Code>{Code::kConnectionRefused, Code::kOk, Code::kConnectionRefused}));
  EXPECT_GE(refused_after_ns, p.world.net().options().link.latency_ns_base);
}

TEST(SimNet, PartitionHoldsBytesUntilHeal) {
  Pair p(5);
  std::vector<Code> results;
  std::string got;
  p.b.start([&](io::Env& env) {
    auto l = env.net->listen({"b", kPort});
    auto s = (*l)->accept();
    ASSERT_TRUE(s.is_ok());
    std::vector<uint8_t> buf(64);
    auto timed_out = (*s)->read_some(buf, ms_to_ns(50));
    results.push_back(timed_out.status().code());
    auto n = (*s)->read_some(buf);
    ASSERT_TRUE(n.is_ok());
    got.assign(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
  });
  p.a.start([&](io::Env& env) {
    auto s = env.net->connect({"b", kPort});
    ASSERT_TRUE(s.is_ok());
    ASSERT_TRUE(p.world.net().partition("a", "b"));
    EXPECT_FALSE(p.world.net().reachable("a", "b"));
    EXPECT_FALSE(p.world.net().reachable("b", "a"));
    std::string msg = "hello";
    ASSERT_TRUE((*s)->write_all(std::span(reinterpret_cast<const uint8_t*>(msg.data()), msg.size())).is_ok());
    // A new connection cannot be made across the cut.
    results.push_back(env.net->connect({"b", kPort}, ms_to_ns(100)).status().code());
    env.clock->sleep_for(ms_to_ns(100));
    EXPECT_TRUE(got.empty());
    p.world.net().heal_all();
    EXPECT_TRUE(p.world.net().reachable("a", "b"));
    env.clock->sleep_for(sec_to_ns(1));
  });
  p.world.run_for(sec_to_ns(2));
  EXPECT_EQ(results, (std::vector<Code>{Code::kTimedOut, Code::kTimedOut}));
  EXPECT_EQ(got, "hello");
}

TEST(SimNet, OneWayPartition) {
  Pair p(6);
  std::optional<Code> b_read;
  std::string a_got;
  p.b.start([&](io::Env& env) {
    auto l = env.net->listen({"b", kPort});
    auto s = (*l)->accept();
    ASSERT_TRUE(s.is_ok());
    ASSERT_TRUE(p.world.net().partition_one_way("a", "b"));
    std::string msg = "from-b";
    ASSERT_TRUE((*s)->write_all(std::span(reinterpret_cast<const uint8_t*>(msg.data()), msg.size())).is_ok());
    std::vector<uint8_t> buf(64);
    b_read = (*s)->read_some(buf, ms_to_ns(200)).status().code();
  });
  p.a.start([&](io::Env& env) {
    auto s = env.net->connect({"b", kPort});
    ASSERT_TRUE(s.is_ok());
    env.clock->sleep_for(ms_to_ns(10));
    std::string msg = "from-a";
    ASSERT_TRUE((*s)->write_all(std::span(reinterpret_cast<const uint8_t*>(msg.data()), msg.size())).is_ok());
    std::vector<uint8_t> buf(6);
    ASSERT_TRUE((*s)->read_exact(buf, ms_to_ns(100)).is_ok());
    a_got.assign(buf.begin(), buf.end());
  });
  p.world.run_for(sec_to_ns(1));
  EXPECT_EQ(a_got, "from-b");
  EXPECT_EQ(b_read, Code::kTimedOut);
  EXPECT_FALSE(p.world.net().reachable("a", "b"));
  EXPECT_TRUE(p.world.net().reachable("b", "a"));
}

TEST(SimNet, CrashResetsPeerAndRestartListensAgain) {
  Pair p(8);
  int accepted = 0;
  p.b.start([&](io::Env& env) {
    auto l = env.net->listen({"b", kPort});
    ASSERT_TRUE(l.is_ok()) << l.status().to_string();
    for (;;) {
      auto s = (*l)->accept();
      if (!s.is_ok()) return;
      accepted++;
      std::vector<uint8_t> buf(16);
      (void)(*s)->read_some(buf);  // holds the connection open until the crash
    }
  });
  std::optional<Code> read_code;
  int64_t reset_seen_ns = 0;
  std::optional<Code> reconnect;
  p.a.start([&](io::Env& env) {
    auto s = env.net->connect({"b", kPort});
    ASSERT_TRUE(s.is_ok());
    std::vector<uint8_t> buf(16);
    read_code = (*s)->read_some(buf).status().code();
    reset_seen_ns = env.clock->now_ns();
    env.clock->sleep_for(ms_to_ns(50));  // b restarts meanwhile
    reconnect = env.net->connect({"b", kPort}, ms_to_ns(100)).status().code();
  });
  p.world.control().spawn("nemesis", [&] {
    p.world.sched().sleep_for(ms_to_ns(20));
    p.b.crash();
    p.world.sched().sleep_for(ms_to_ns(20));
    p.b.restart();
  });
  p.world.run_for(sec_to_ns(1));
  EXPECT_EQ(read_code, Code::kConnectionReset);
  EXPECT_GE(reset_seen_ns, ms_to_ns(20));
  EXPECT_LT(reset_seen_ns, ms_to_ns(25));  // promptly: one link latency after the crash
  EXPECT_EQ(reconnect, Code::kOk);
  EXPECT_EQ(accepted, 2);
}

TEST(SimNet, PowerOffLeavesPeerSilent) {
  Pair p(9);
  p.b.start([&](io::Env& env) {
    auto l = env.net->listen({"b", kPort});
    auto s = (*l)->accept();
    std::vector<uint8_t> buf(16);
    (void)(*s)->read_some(buf);
  });
  std::vector<Code> codes;
  p.a.start([&](io::Env& env) {
    auto s = env.net->connect({"b", kPort});
    ASSERT_TRUE(s.is_ok());
    env.clock->sleep_for(ms_to_ns(20));  // b loses power meanwhile
    std::vector<uint8_t> buf(16, 1);
    codes.push_back((*s)->write_all(buf).code());  // accepted, then dropped on arrival
    codes.push_back((*s)->read_some(buf, ms_to_ns(200)).status().code());
    codes.push_back(env.net->connect({"b", kPort}, ms_to_ns(100)).status().code());
  });
  p.world.control().spawn("nemesis", [&] {
    p.world.sched().sleep_for(ms_to_ns(10));
    p.b.power_off();
  });
  p.world.run_for(sec_to_ns(1));
  EXPECT_EQ(codes, (std::vector<Code>{Code::kOk, Code::kTimedOut, Code::kTimedOut}));
}

TEST(SimNet, ResetConnectionsBreaksBothSides) {
  Pair p(10);
  std::optional<Code> a_code, b_code;
  p.b.start([&](io::Env& env) {
    auto l = env.net->listen({"b", kPort});
    auto s = (*l)->accept();
    std::vector<uint8_t> buf(16);
    b_code = (*s)->read_some(buf).status().code();
  });
  p.a.start([&](io::Env& env) {
    auto s = env.net->connect({"b", kPort});
    ASSERT_TRUE(s.is_ok());
    std::vector<uint8_t> buf(16);
    a_code = (*s)->read_some(buf).status().code();
  });
  p.world.control().spawn("nemesis", [&] {
    p.world.sched().sleep_for(ms_to_ns(10));
    EXPECT_EQ(p.world.net().reset_connections("a"), 1u);
  });
  p.world.run_for(sec_to_ns(1));
  EXPECT_EQ(a_code, Code::kConnectionReset);
  EXPECT_EQ(b_code, Code::kConnectionReset);
  EXPECT_EQ(p.world.net().connection_count(), 0u);
}

TEST(SimNet, ClogDelaysDelivery) {
  Pair p(12);
  int64_t sent_ns = 0, received_ns = 0;
  p.b.start([&](io::Env& env) {
    auto l = env.net->listen({"b", kPort});
    auto s = (*l)->accept();
    std::vector<uint8_t> buf(4);
    ASSERT_TRUE((*s)->read_exact(buf).is_ok());
    received_ns = env.clock->now_ns();
  });
  p.a.start([&](io::Env& env) {
    auto s = env.net->connect({"b", kPort});
    ASSERT_TRUE(s.is_ok());
    ASSERT_TRUE(p.world.net().clog("a", "b", ms_to_ns(50)));
    sent_ns = env.clock->now_ns();
    std::vector<uint8_t> buf(4, 7);
    ASSERT_TRUE((*s)->write_all(buf).is_ok());
    env.clock->sleep_for(sec_to_ns(1));
  });
  p.world.run_for(sec_to_ns(2));
  ASSERT_GT(received_ns, 0);
  EXPECT_GE(received_ns - sent_ns, ms_to_ns(50));
  EXPECT_LT(received_ns - sent_ns, ms_to_ns(52));
}

TEST(SimNet, PausedNodeStillReceivesBytes) {
  Pair p(13);
  std::string got;
  int64_t got_ns = 0;
  p.b.start([&](io::Env& env) {
    auto l = env.net->listen({"b", kPort});
    auto s = (*l)->accept();
    std::vector<uint8_t> buf(5);
    ASSERT_TRUE((*s)->read_exact(buf).is_ok());
    got.assign(buf.begin(), buf.end());
    got_ns = env.clock->now_ns();
  });
  p.a.start([&](io::Env& env) {
    auto s = env.net->connect({"b", kPort});
    ASSERT_TRUE(s.is_ok());
    p.b.pause();
    std::string msg = "hello";
    ASSERT_TRUE((*s)->write_all(std::span(reinterpret_cast<const uint8_t*>(msg.data()), msg.size())).is_ok());
    env.clock->sleep_for(ms_to_ns(30));
    EXPECT_TRUE(got.empty());
    p.b.resume();
  });
  p.world.run_for(sec_to_ns(1));
  EXPECT_EQ(got, "hello");
  EXPECT_GE(got_ns, ms_to_ns(30));
  EXPECT_LT(got_ns, ms_to_ns(31));  // the bytes were already there: no latency after resume
}

TEST(SimNet, WritingToAClosedPeerIsReset) {
  Pair p(14);
  p.b.start([&](io::Env& env) {
    auto l = env.net->listen({"b", kPort});
    auto s = (*l)->accept();
    ASSERT_TRUE(s.is_ok());
    (*s)->close();
    env.clock->sleep_for(sec_to_ns(1));
  });
  std::vector<Code> codes;
  p.a.start([&](io::Env& env) {
    auto s = env.net->connect({"b", kPort});
    ASSERT_TRUE(s.is_ok());
    std::vector<uint8_t> buf(8, 1);
    auto eof = (*s)->read_some(buf);
    ASSERT_TRUE(eof.is_ok());
    EXPECT_EQ(*eof, 0u);
    codes.push_back((*s)->write_all(buf).code());  // the closed end answers with RST
    env.clock->sleep_for(ms_to_ns(10));
    codes.push_back((*s)->write_all(buf).code());
  });
  p.world.run_for(sec_to_ns(2));
  EXPECT_EQ(codes, (std::vector<Code>{Code::kOk, Code::kConnectionReset}));
}

TEST(SimNet, PartitionIntoGroupsAndRandomReset) {
  World world(WorldOptions{.seed = 15});
  for (const char* name : {"n1", "n2", "n3", "n4"}) world.add_node(name);
  SimNet& net = world.net();
  EXPECT_FALSE(net.partition({{"n1", "n2"}, {"n2"}}));  // a host in two groups: nothing cut
  EXPECT_FALSE(net.partition("n1", "nope"));
  EXPECT_TRUE(net.reachable("n1", "n3"));
  ASSERT_TRUE(net.partition({{"n1", "n2"}, {"n3"}}));
  EXPECT_TRUE(net.reachable("n1", "n2"));
  EXPECT_FALSE(net.reachable("n1", "n3"));
  EXPECT_FALSE(net.reachable("n3", "n2"));
  EXPECT_TRUE(net.reachable("n4", "n3"));  // named in no group: untouched
  EXPECT_TRUE(net.heal("n1", "n3"));
  EXPECT_TRUE(net.reachable("n3", "n1"));
  EXPECT_FALSE(net.reachable("n3", "n2"));
  net.heal_all();
  EXPECT_TRUE(net.reachable("n3", "n2"));

  EXPECT_FALSE(net.reset_random_connection());
  std::optional<Code> code;
  world.node("n1")->start([&](io::Env& env) {
    auto l = env.net->listen({"n1", kPort});
    auto s = (*l)->accept();
    std::vector<uint8_t> buf(8);
    code = (*s)->read_some(buf).status().code();
  });
  world.node("n2")->start([&](io::Env& env) {
    auto s = env.net->connect({"n1", kPort});
    ASSERT_TRUE(s.is_ok());
    env.clock->sleep_for(sec_to_ns(1));
  });
  world.run_for(ms_to_ns(10));
  EXPECT_TRUE(net.reset_random_connection());
  world.run_for(ms_to_ns(10));
  EXPECT_EQ(code, Code::kConnectionReset);
}

// A ping-pong of small messages; returns the world's trace hash.
uint64_t ping_pong_hash(uint64_t seed, int rounds, uint64_t* deliveries = nullptr) {
  Pair p(seed);
  p.b.start([](io::Env& env) {
    auto l = env.net->listen({"b", kPort});
    auto s = (*l)->accept();
    std::vector<uint8_t> buf(8);
    for (;;) {
      if (!(*s)->read_exact(buf).is_ok()) return;
      if (!(*s)->write_all(buf).is_ok()) return;
    }
  });
  int done = 0;
  p.a.start([&](io::Env& env) {
    auto s = env.net->connect({"b", kPort});
    std::vector<uint8_t> buf(8);
    for (int i = 0; i < rounds; i++) {
      buf[0] = static_cast<uint8_t>(i);
      if (!(*s)->write_all(buf).is_ok()) return;
      if (!(*s)->read_exact(buf).is_ok()) return;
      if (buf[0] != static_cast<uint8_t>(i)) return;
      done++;
    }
    (*s)->close();
  });
  p.world.run_for(sec_to_ns(100));
  EXPECT_EQ(done, rounds);
  if (deliveries != nullptr) *deliveries = p.world.net().deliveries();
  return p.world.trace_hash();
}

TEST(SimNet, SameSeedSameTraceHash) {
  uint64_t h1 = ping_pong_hash(42, 100);
  uint64_t h2 = ping_pong_hash(42, 100);
  uint64_t h3 = ping_pong_hash(43, 100);
  EXPECT_EQ(h1, h2);
  EXPECT_NE(h1, h3);
}

TEST(SimNet, PingPongDeliversEveryMessage) {
  uint64_t deliveries = 0;
  ping_pong_hash(1, 20000, &deliveries);
  // Two data segments per round trip, plus the handshake and the close.
  EXPECT_GE(deliveries, 40000u);
  EXPECT_LT(deliveries, 40010u);
}

}  // namespace
}  // namespace kz::sim
