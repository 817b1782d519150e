// Test harness for the ZooKeeper client: a simulated world with kz's ZooKeeper server on node
// "zk1" (client port 2181, tickTime 2000: session timeouts are clamped into [4 s, 40 s]) and client
// nodes "c1", "c2". A test body runs in a fiber on "c1"; clients for other nodes are made from there
// with their node's Env.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/zk/client/client.h"
#include "core/zk/server/server.h"
#include "sim/world.h"

namespace kz::zk::client::testing {

inline constexpr uint16_t kZkPort = 2181;

inline void run_zk_server(io::Env& env, std::shared_ptr<ZkServer>* out = nullptr) {
  ServerConfig config;
  config.data_dir = "/data";
  config.data_log_dir = "/data";
  config.client_port = kZkPort;
  auto server = ZkServer::create(env, config);
  if (out != nullptr) *out = server;
  Status st = server->start();
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  server->wait_stopped();
}

class ZkSim {
 public:
  explicit ZkSim(uint64_t seed) : world_(sim::WorldOptions{.seed = seed}) {
    world_.add_node("zk1").start([this](io::Env& env) { run_zk_server(env, &server_); });
    world_.add_node("c1");
    world_.add_node("c2").start([](io::Env&) {});  // a host for a second client's fibers
  }

  sim::World& world() { return world_; }
  ZkServer& server() { return *server_; }
  io::Env& env(const std::string& node) { return world_.node(node)->env(); }

  static ClientOptions options(int32_t session_timeout_ms = 10'000) {
    ClientOptions o;
    o.servers = {io::Address{"zk1", kZkPort}};
    o.session_timeout_ms = session_timeout_ms;
    o.reconnect_delay_ns_max = ms_to_ns(200);
    return o;
  }

  // A connected client on `node` (must be called from a fiber).
  std::shared_ptr<Client> connect(const std::string& node, ClientOptions o) {
    auto c = Client::connect(env(node), std::move(o));
    EXPECT_TRUE(c->wait_connected(sec_to_ns(30))) << "state " << state_name(c->state());
    return c;
  }
  std::shared_ptr<Client> connect(const std::string& node) { return connect(node, options()); }

  // Runs `body` in a fiber on c1 and the world until it returns (at most `limit_ns` of sim time).
  void run(std::function<void(io::Env&)> body, int64_t limit_ns = sec_to_ns(600)) {
    bool done = false;
    world_.node("c1")->start([&](io::Env& env) {
      body(env);
      done = true;
    });
    const int64_t deadline_ns = world_.now_ns() + limit_ns;
    while (!done && world_.now_ns() < deadline_ns) world_.run_for(ms_to_ns(100));
    ASSERT_TRUE(done) << "the test body did not finish within the simulated time limit (seed " << world_.seed()
                      << ")";
  }

 private:
  sim::World world_;
  std::shared_ptr<ZkServer> server_;  // after world_: released before the world goes
};

// Collects every event a client delivers.
struct EventLog {
  std::vector<WatchedEvent> events;
  std::function<void(const WatchedEvent&)> sink() {
    return [this](const WatchedEvent& e) { events.push_back(e); };
  }
  // Watch events only (state events dropped).
  std::vector<std::pair<EventType, std::string>> watch_events() const {
    std::vector<std::pair<EventType, std::string>> out;
    for (const WatchedEvent& e : events) {
      if (e.type != EventType::kNone) out.emplace_back(e.type, e.path);
    }
    return out;
  }
  std::vector<KeeperState> states() const {
    std::vector<KeeperState> out;
    for (const WatchedEvent& e : events) {
      if (e.type == EventType::kNone) out.push_back(e.state);
    }
    return out;
  }
};

}  // namespace kz::zk::client::testing
