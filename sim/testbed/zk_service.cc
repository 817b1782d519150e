// The ZooKeeper service in the testbed: kz's ZooKeeper servers on simulated nodes zk1..zkN, with the
// scenario's [cluster.config] keys passed as zoo.cfg lines (tickTime, forceSync, snapCount...).
#include <fmt/format.h>

#include <map>

#include "core/zk/server/server.h"
#include "sim/testbed/testbed.h"

namespace kz::testbed {

namespace {

constexpr uint16_t kClientPort = 2181;

class ZkService final : public Service {
 public:
  Status setup(RunContext& ctx) override {
    std::string cfg;
    for (auto& [k, v] : ctx.scenario.config) cfg += fmt::format("{}={}\n", k, v);
    cfg += fmt::format("dataDir=/data\nclientPort={}\n", kClientPort);
    if (ctx.scenario.nodes > 1) {
      for (int i = 1; i <= ctx.scenario.nodes; i++) cfg += fmt::format("server.{}=zk{}:2888:3888\n", i, i);
    }
    KZ_ASSIGN_OR_RETURN(zk::ServerConfig config, zk::parse_server_config(cfg, ctx.scenario.path + " [cluster.config]"));
    for (int i = 1; i <= ctx.scenario.nodes; i++) {
      std::string name = fmt::format("zk{}", i);
      ctx.server_nodes.push_back(name);
      zk::ServerConfig node_config = config;
      node_config.my_id = i;
      ctx.world.add_node(name).start([this, node_config, name](io::Env& env) {
        // Kept here, outside the node's fibers: a crashed incarnation's fibers are unwound before
        // its server goes (the replication layer requires it).
        auto server = zk::ZkServer::create(env, node_config);
        incarnations_.push_back(server);
        current_[name] = server;
        Status st = server->start();
        if (!st.is_ok()) {
          env.log.error("zk", "cannot start: {}", st.to_string());
          return;
        }
        server->wait_stopped();
      });
    }
    return Status::ok();
  }

  Result<std::string> resolve_role(RunContext& ctx, std::string_view role) override {
    if (role == "zk.leader") {
      for (const std::string& n : ctx.server_nodes) {
        auto it = current_.find(n);
        if (!ctx.world.node(n)->up() || it == current_.end()) continue;
        const std::string& state = it->second->state();
        if (state == "standalone" || state == "leader") return n;
      }
      return std::string();
    }
    if (role == "zk.follower") {  // one of the current followers, chosen by the run's seed
      std::vector<std::string> followers;
      for (const std::string& n : ctx.server_nodes) {
        auto it = current_.find(n);
        if (ctx.world.node(n)->up() && it != current_.end() && it->second->state() == "follower") followers.push_back(n);
      }
      if (followers.empty()) return std::string();
      return followers[ctx.rng.below(followers.size())];
    }
    return Service::resolve_role(ctx, role);
  }

 private:
  std::vector<std::shared_ptr<zk::ZkServer>> incarnations_;
  std::map<std::string, std::shared_ptr<zk::ZkServer>> current_;
};

}  // namespace

void register_zookeeper(Registry& r) {
  r.services["zookeeper"] = [] { return std::make_unique<ZkService>(); };
}

}  // namespace kz::testbed
