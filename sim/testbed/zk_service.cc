// The ZooKeeper service in the testbed: kz's ZooKeeper servers on simulated nodes zk1..zkN, with the
// scenario's [cluster.config] keys passed as zoo.cfg lines (tickTime, forceSync, snapCount...).
#include <fmt/format.h>

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
    if (config.servers.size() > 1) {
      return Status(Code::kUnsupported, "the zookeeper service runs standalone (nodes = 1) until the quorum layer lands");
    }
    for (int i = 1; i <= ctx.scenario.nodes; i++) {
      std::string name = fmt::format("zk{}", i);
      ctx.server_nodes.push_back(name);
      zk::ServerConfig node_config = config;
      node_config.my_id = i;
      ctx.world.add_node(name).start([node_config](io::Env& env) {
        auto server = zk::ZkServer::create(env, node_config);
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
      // Standalone: the one server leads.
      for (const std::string& n : ctx.server_nodes) {
        if (ctx.world.node(n)->up()) return n;
      }
      return std::string();
    }
    return Service::resolve_role(ctx, role);
  }
};

}  // namespace

void register_zookeeper(Registry& r) {
  r.services["zookeeper"] = [] { return std::make_unique<ZkService>(); };
}

}  // namespace kz::testbed
