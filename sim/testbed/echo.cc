// The echo service: the smallest service that exercises the whole testbed (network faults, crashes,
// histories, checkers) before the real services exist, and a sanity baseline for the simulator.
// Each server echoes every byte it reads; clients send seeded payloads and compare the echo.
#include <fmt/format.h>

#include <vector>

#include "sim/testbed/testbed.h"

namespace kz::testbed {

namespace {

constexpr uint16_t kEchoPort = 7;

void serve_connection(io::Env& env, std::unique_ptr<io::Stream> stream) {
  std::vector<uint8_t> buf(16 * 1024);
  for (;;) {
    Result<size_t> n = stream->read_some(buf);
    if (!n.is_ok() || *n == 0) return;
    if (!stream->write_all(std::span<const uint8_t>(buf.data(), *n)).is_ok()) return;
  }
}

void echo_server(io::Env& env) {
  Result<std::unique_ptr<io::Listener>> listener = env.net->listen(io::Address{env.node, kEchoPort});
  KZ_ASSERT_MSG(listener.is_ok(), listener.status().to_string());
  env.log.info("echo", "listening on {}", (*listener)->address().to_string());
  for (;;) {
    Result<std::unique_ptr<io::Stream>> s = (*listener)->accept();
    if (!s.is_ok()) {
      env.log.warn("echo", "accept failed: {}", s.status().to_string());
      return;
    }
    auto conn = std::make_shared<std::unique_ptr<io::Stream>>(std::move(*s));
    env.spawn("echo-conn", [&env, conn] { serve_connection(env, std::move(*conn)); });
  }
}

class EchoService final : public Service {
 public:
  Status setup(RunContext& ctx) override {
    for (int i = 1; i <= ctx.scenario.nodes; i++) {
      std::string name = fmt::format("n{}", i);
      ctx.server_nodes.push_back(name);
      ctx.world.add_node(name).start(echo_server);
    }
    return Status::ok();
  }
};

class EchoWorkload final : public Workload {
 public:
  Status start(RunContext& ctx, const WorkloadSpec& spec) override {
    int64_t size_max = spec.params.value("size_max", int64_t{4096});
    int64_t timeout_ms = spec.params.value("timeout_ms", int64_t{1000});
    if (size_max < 1 || size_max > 16 * 1024 * 1024) {
      return Status(Code::kInvalidArgument, "size_max must be within [1, 16 MiB]");
    }
    for (int c = 1; c <= spec.clients; c++) {
      std::string name = fmt::format("{}-c{}", spec.name, c);
      sim::Node& node = ctx.world.add_node(name);
      int64_t gap_ns = static_cast<int64_t>(1e9 / spec.rate_per_sec);
      node.start([&ctx, name, size_max, timeout_ms, gap_ns](io::Env& env) {
        run_client(ctx, env, name, size_max, timeout_ms, gap_ns);
      });
    }
    return Status::ok();
  }

 private:
  static void run_client(RunContext& ctx, io::Env& env, const std::string& name, int64_t size_max,
                         int64_t timeout_ms, int64_t gap_ns) {
    std::unique_ptr<io::Stream> stream;
    std::vector<uint8_t> sent, got;
    while (!ctx.stopping) {
      env.clock->sleep_for(gap_ns);
      if (ctx.stopping) break;
      const std::string& server = ctx.server_nodes[env.rng->below(ctx.server_nodes.size())];
      size_t size = 1 + env.rng->below(static_cast<uint64_t>(size_max));
      uint64_t op = ctx.history.invoke(ctx.now_ns(), name, "echo", {{"server", server}, {"size", size}});
      if (stream == nullptr) {
        auto s = env.net->connect(io::Address{server, kEchoPort}, ms_to_ns(timeout_ms));
        if (!s.is_ok()) {
          // Nothing was sent: the operation certainly did not happen.
          ctx.history.fail(ctx.now_ns(), op, s.status().to_string());
          continue;
        }
        stream = std::move(*s);
      }
      sent.resize(size);
      for (auto& b : sent) b = static_cast<uint8_t>(env.rng->next_u64());
      got.assign(size, 0);
      Status st = stream->write_all(sent);
      if (st.is_ok()) st = stream->read_exact(got, ms_to_ns(timeout_ms));
      if (!st.is_ok()) {
        ctx.history.info(ctx.now_ns(), op, st.to_string());
        stream->close();
        stream.reset();
        continue;
      }
      ctx.history.ok(ctx.now_ns(), op, {{"match", got == sent}, {"size", size}});
    }
  }
};

Verdict check_echo_integrity(const RunContext& ctx) {
  Verdict v{.checker = "echo-integrity"};
  size_t ok = 0;
  for (const HistoryEntry& e : ctx.history.entries()) {
    if (e.type != OpType::kOk || e.f != "echo") continue;
    ok++;
    if (!e.value.value("match", false)) {
      v.ok = false;
      v.message = fmt::format("op {} by {}: the echo differs from what was sent", e.op, e.process);
      v.witness = {ctx.history.invocation(e.op).value, e.value};
      v.witness_ops = {e.op};
      return v;
    }
  }
  v.message = fmt::format("{} echoes, all identical to what was sent", ok);
  return v;
}

}  // namespace

void register_echo(Registry& r) {
  r.services["echo"] = [] { return std::make_unique<EchoService>(); };
  r.workloads["echo"] = [] { return std::make_unique<EchoWorkload>(); };
  r.checkers["echo-integrity"] = check_echo_integrity;
  r.checker_help["echo-integrity"] = "every acknowledged echo returned exactly the bytes sent";
}

}  // namespace kz::testbed
