// `kz zookeeper`: a real ZooKeeper-compatible server process.
//   kz zookeeper --config zoo.cfg              (the keys people know; myid in dataDir)
//   kz zookeeper --port 2181 --data-dir /tmp/zk   (a standalone server)
#include <fmt/format.h>

#include <cstdio>

#include "core/cli/commands.h"
#include "core/real/cpu_affinity.h"
#include "core/real/host.h"
#include "core/real/real_runtime.h"
#include "core/zk/server/server.h"

namespace kz::cli {

namespace {

struct ZkArgs {
  std::string config_path;
  int port = 0;
  std::string data_dir;
  std::string log_level = "info";
  std::string cpu_affinity;  // empty: kz.cpuAffinity from the config (default none)
};

int fail(const std::string& message) {
  std::fprintf(stderr, "kz zookeeper: %s\n", message.c_str());
  return 2;
}

// kz.cpuAffinity / --cpu-affinity, before any helper thread starts (they inherit the mask). A pin
// that cannot be made is a warning, not an error: the server works anywhere, only slower.
void apply_cpu_affinity(io::Env& env, const zk::ServerConfig& config) {
  if (config.cpu_affinity == "none") return;
  int cpu = -1;
  std::string why;
  if (config.cpu_affinity == "disk") {
    Result<real::DiskCpu> disk = real::disk_completion_cpu(config.data_log_dir);
    if (!disk.is_ok()) {
      env.log.warn("cpu", "cpu affinity disk: not pinned: {}", disk.status().message());
      return;
    }
    cpu = disk->cpu;
    why = fmt::format(": it takes the completion interrupts of {}, the disk of {}", disk->device, config.data_log_dir);
  } else {
    cpu = std::stoi(config.cpu_affinity);  // checked by cpu_affinity_problem
  }
  if (Status st = real::pin_to_cpu(cpu); !st.is_ok()) {
    env.log.warn("cpu", "cpu affinity {}: not pinned: {}", config.cpu_affinity, st.message());
    return;
  }
  env.log.info("cpu", "pinned to CPU {}{}", cpu, why);
}

int cmd_zookeeper(const ZkArgs& args) {
  zk::ServerConfig config;
  if (!args.config_path.empty()) {
    Result<std::string> text = real::read_text_file(args.config_path);
    if (!text.is_ok()) return fail(text.status().message());
    Result<zk::ServerConfig> parsed = zk::parse_server_config(*text, args.config_path);
    if (!parsed.is_ok()) return fail(parsed.status().message());
    config = std::move(*parsed);
  }
  // ZooKeeper's default txn log preallocation (zookeeper.preAllocSize, 64 MiB) unless the config says.
  if (config.pre_alloc_size_kb < 0) config.pre_alloc_size_kb = 64 * 1024;
  if (args.port != 0) config.client_port = static_cast<uint16_t>(args.port);
  if (!args.data_dir.empty()) {
    config.data_dir = args.data_dir;
    config.data_log_dir = args.data_dir;
  }
  if (!args.cpu_affinity.empty()) {
    if (std::string problem = zk::cpu_affinity_problem(args.cpu_affinity); !problem.empty()) {
      return fail("--cpu-affinity: " + problem);
    }
    config.cpu_affinity = args.cpu_affinity;
  }
  if (config.data_dir.empty()) return fail("dataDir is required (--data-dir or dataDir= in the config)");
  if (Status st = real::make_dirs(config.data_dir); !st.is_ok()) return fail(st.message());
  std::string myid_path = config.data_dir + "/myid";
  if (real::path_exists(myid_path)) {
    Result<std::string> myid = real::read_text_file(myid_path);
    if (!myid.is_ok()) return fail(myid.status().message());
    if (Status st = zk::apply_myid(config, *myid, myid_path); !st.is_ok()) return fail(st.message());
  }
  if (Status st = zk::validate_server_config(config); !st.is_ok()) return fail(st.message());
  Level level = Level::kInfo;
  if (!parse_level(args.log_level, &level)) return fail("--log-level: expected debug, info, warn or error");
  // Outlives the fibers that use it (the replication layer requires it): released after they
  // are unwound, below.
  std::shared_ptr<zk::ZkServer> server;
  real::RealRuntimeOptions options;
  options.node = config.my_id > 0 ? fmt::format("zk{}", config.my_id) : "zk";
  options.log_level = level;
  Result<std::unique_ptr<real::RealRuntime>> rt = real::RealRuntime::create(options);
  if (!rt.is_ok()) return fail(rt.status().message());
  io::Env& env = (*rt)->env();
  for (const std::string& w : config.warnings) env.log.warn("config", "{}", w);
  apply_cpu_affinity(env, config);
  int exit_code = 0;
  server = zk::ZkServer::create(env, config);
  env.spawn("zk-main", [&] {
    Status st = server->start();
    if (!st.is_ok()) {
      env.log.error("zk", "cannot start: {}", st.to_string());
      exit_code = 1;
      (*rt)->stop();
      return;
    }
    server->wait_stopped();
    exit_code = 1;
    (*rt)->stop();
  });
  (*rt)->run();
  if ((*rt)->stop_signal() != 0) env.log.info("zk", "stopped by signal {}", (*rt)->stop_signal());
  // Unwind the server's fibers, then release the server (its sockets need the reactor), then the
  // runtime goes.
  (*rt)->group().kill();
  server.reset();
  return exit_code;
}

void register_zookeeper(CLI::App& app) {
  static ZkArgs args;
  auto* cmd = app.add_subcommand("zookeeper",
                                 "Run a ZooKeeper-compatible server.\n"
                                 "Examples:\n"
                                 "  kz zookeeper --port 2181 --data-dir /tmp/zk\n"
                                 "  kz zookeeper --config /etc/zookeeper/zoo.cfg\n"
                                 "  kz zookeeper --config zoo.cfg --cpu-affinity disk   (one server per machine)");
  cmd->add_option("--config,-c", args.config_path, "zoo.cfg file");
  cmd->add_option("--port,-p", args.port, "client port (overrides clientPort)");
  cmd->add_option("--data-dir,-d", args.data_dir, "data directory (overrides dataDir and dataLogDir)");
  cmd->add_option("--log-level", args.log_level, "debug, info, warn or error")->default_val("info");
  cmd->add_option("--cpu-affinity", args.cpu_affinity,
                  "none (default), disk (pin to the CPU that takes the completion interrupts of "
                  "dataLogDir's disk: shorter sync writes when the server has the machine to itself) "
                  "or a CPU number; overrides kz.cpuAffinity");
  cmd->callback([] { set_exit_code(cmd_zookeeper(args)); });
}

}  // namespace

KZ_COMMAND("zookeeper", register_zookeeper);

}  // namespace kz::cli
