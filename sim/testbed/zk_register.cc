// The `zk-register` workload and the `no-lost-writes` checker.
//
// What ZooKeeper promises decides what the checker demands: a standalone server is linearizable,
// so any read that starts after a write was acknowledged must see it; in an ensemble, reads are
// served by the server the client is connected to and may lag the leader (sequential consistency),
// so the demand holds within one session (a session never reads older than it has written or
// seen), not across clients.
//
// Each client reads and compare-and-sets a few registers (znodes /reg/k<i>): a read is getData, a
// write is setData with the version the client last read (a CAS). Every operation is recorded with
// the znode version it saw or produced. Since a znode's version only grows (the workload never
// deletes), a read that starts after a write was acknowledged must see at least that write's
// version: a smaller one means an acknowledged write was lost.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/zk/client/client.h"
#include "sim/testbed/testbed.h"
#include "sim/testbed/zk_outcome.h"

namespace kz::testbed {

namespace {

using zk::ErrorCode;

class ZkRegisterWorkload final : public Workload {
 public:
  Status start(RunContext& ctx, const WorkloadSpec& spec) override {
    int64_t keys = spec.params.value("keys", int64_t{3});
    int64_t timeout_ms = spec.params.value("timeout_ms", int64_t{2000});
    if (keys < 1 || keys > 100) return Status(Code::kInvalidArgument, "keys must be within [1, 100]");
    std::vector<io::Address> servers;
    for (const std::string& s : ctx.server_nodes) servers.push_back(io::Address{s, 2181});
    int64_t gap_ns = static_cast<int64_t>(1e9 / spec.rate_per_sec);
    // Whether the registers are believed to exist: the first client to connect creates them, and a
    // client that finds one missing (lost with a server's unsynced data) creates them again. (Each
    // of 50 clients creating all of them at connect was a burst of ~1,000 writes at startup.)
    auto created = std::make_shared<bool>(false);
    for (int c = 1; c <= spec.clients; c++) {
      std::string name = fmt::format("{}-c{}", spec.name, c);
      ctx.world.add_node(name).start([&ctx, name, servers, keys, timeout_ms, gap_ns, created](io::Env& env) {
        run_client(ctx, env, name, servers, static_cast<int>(keys), timeout_ms, gap_ns, *created);
      });
    }
    return Status::ok();
  }

 private:
  static void run_client(RunContext& ctx, io::Env& env, const std::string& name,
                         const std::vector<io::Address>& servers, int keys, int64_t timeout_ms, int64_t gap_ns,
                         bool& created) {
    zk::client::ClientOptions options;
    options.servers = servers;
    options.session_timeout_ms = 4000;
    options.request_timeout_ns = ms_to_ns(timeout_ms);
    std::shared_ptr<zk::client::Client> client = zk::client::Client::connect(env, options);
    // The version this client last saw per key (kUnknown: none). A flat vector: this runs once per
    // operation of every client, and a map's scattered nodes were ~3% of a busy run in cache misses.
    constexpr int32_t kUnknown = INT32_MIN;
    std::vector<int32_t> known_version(static_cast<size_t>(keys), kUnknown);
    // Register paths made once (formatting them per operation was ~1% of a busy run).
    std::vector<std::string> paths;
    for (int k = 0; k < keys; k++) paths.push_back(fmt::format("/reg/k{}", k));
    int64_t connected_at_ns = env.clock->now_ns();
    while (!ctx.stopping) {
      env.clock->sleep_for(gap_ns);
      if (ctx.stopping) break;
      // A session that cannot reconnect for 1.5 session timeouts is abandoned for a new one, as an
      // application recreates its handle. (A server that lost data refuses a client that has seen
      // a later zxid: only a new session can talk to it again.)
      bool stuck = client->state() != zk::client::State::kConnected &&
                   env.clock->now_ns() - connected_at_ns > 3 * ms_to_ns(options.session_timeout_ms) / 2;
      if (stuck || client->state() == zk::client::State::kExpired || client->state() == zk::client::State::kClosed) {
        client->close();
        client = zk::client::Client::connect(env, options);
        std::fill(known_version.begin(), known_version.end(), kUnknown);
        connected_at_ns = env.clock->now_ns();
      }
      if (client->state() != zk::client::State::kConnected) continue;
      connected_at_ns = env.clock->now_ns();
      if (!created) {
        created = true;  // before the creates: other clients need not repeat them meanwhile
        client->create("/reg", std::string(""));
        for (int k = 0; k < keys; k++) client->create(paths[static_cast<size_t>(k)], std::string("0"));
      }
      int k = static_cast<int>(env.rng->below(static_cast<uint64_t>(keys)));
      const std::string& path = paths[static_cast<size_t>(k)];
      if (env.rng->chance(0.5) || known_version[static_cast<size_t>(k)] == kUnknown) {
        uint64_t op = ctx.history.invoke(ctx.now_ns(), name, "read", hist("key", k));
        auto r = client->get_data(path);
        if (r.ok()) {
          known_version[static_cast<size_t>(k)] = r.value.stat.version;
          ctx.history.ok(ctx.now_ns(), op,
                         hist("key", k, "version", r.value.stat.version, "value", std::move(r.value.data).value_or(""),
                              "session", client->session_id(), "mzxid", r.value.stat.mzxid, "zxid", r.zxid));
        } else {
          record_zk_error(ctx, op, r.err);
          if (r.err == ErrorCode::kNoNode) created = false;  // the registers are gone: recreate them
        }
      } else {
        std::string value = name;
        value += '-';
        value += std::to_string(env.rng->below(1'000'000));
        int32_t expected = known_version[static_cast<size_t>(k)];
        uint64_t op = ctx.history.invoke(ctx.now_ns(), name, "cas",
                                         hist("key", k, "expected_version", expected, "value", value));
        auto r = client->set_data(path, value, expected);
        if (r.ok()) {
          known_version[static_cast<size_t>(k)] = r.value.version;
          ctx.history.ok(ctx.now_ns(), op,
                         hist("key", k, "version", r.value.version, "value", std::move(value), "session",
                              client->session_id(), "mzxid", r.value.mzxid, "zxid", r.zxid));
        } else {
          known_version[static_cast<size_t>(k)] = kUnknown;
          record_zk_error(ctx, op, r.err);
        }
      }
    }
    client->close();
  }
};

Verdict check_no_lost_writes(const RunContext& ctx) {
  Verdict v{.checker = "no-lost-writes"};
  // Acknowledged writes per key, in completion order: (completion time, version, op).
  std::map<int64_t, std::vector<std::tuple<int64_t, int64_t, uint64_t>>> acked;
  for (const HistoryEntry& e : ctx.history.entries()) {
    if (e.type == OpType::kOk && e.f == "cas") {
      acked[e.value["key"].get<int64_t>()].emplace_back(e.time_ns, e.value["version"].get<int64_t>(), e.op);
    }
  }
  size_t reads = 0;
  bool linearizable = ctx.server_nodes.size() == 1;
  // A read must see at least the highest version acknowledged before it was invoked: by any client
  // on a standalone server (linearizable), by its own session in an ensemble (a lagging follower may
  // legitimately miss another session's write). Per key (and session), prefix maxima over the
  // acknowledged writes in completion order answer each read with one binary search.
  struct Prefix {
    std::vector<int64_t> done_ns;  // completion times, ascending
    std::vector<size_t> best;      // index into `writes` of the highest version so far
    std::vector<std::tuple<int64_t, int64_t, uint64_t>> writes;
  };
  std::map<std::pair<int64_t, int64_t>, Prefix> prefixes;  // (key, session or 0) -> prefix maxima
  for (const auto& [key, list] : acked) {
    for (const auto& w : list) {
      int64_t session = linearizable ? 0 : ctx.history.completion(std::get<2>(w))->value.value("session", int64_t{-1});
      Prefix& p = prefixes[{key, session}];
      size_t i = p.writes.size();
      p.writes.push_back(w);
      p.done_ns.push_back(std::get<0>(w));
      p.best.push_back(p.best.empty() || std::get<1>(w) > std::get<1>(p.writes[p.best.back()]) ? i : p.best.back());
    }
  }
  for (const HistoryEntry& e : ctx.history.entries()) {
    if (e.type != OpType::kOk || e.f != "read") continue;
    reads++;
    int64_t read_session = linearizable ? 0 : e.value.value("session", int64_t{0});
    int64_t key = e.value["key"].get<int64_t>();
    int64_t version = e.value["version"].get<int64_t>();
    int64_t invoked = ctx.history.invocation(e.op).time_ns;
    auto it = prefixes.find({key, read_session});
    if (it == prefixes.end()) continue;
    const Prefix& p = it->second;
    size_t n = static_cast<size_t>(std::lower_bound(p.done_ns.begin(), p.done_ns.end(), invoked) - p.done_ns.begin());
    if (n == 0) continue;  // nothing of this key was acknowledged before the read was invoked
    const auto& [done_ns, acked_version, write_op] = p.writes[p.best[n - 1]];
    if (acked_version > version) {
      v.ok = false;
      v.message = fmt::format(
          "key {}: write op {} was acknowledged at {:.3f} ms with version {}, but read op {} invoked at {:.3f} ms "
          "saw version {}: the acknowledged write was lost",
          key, write_op, static_cast<double>(done_ns) / 1e6, acked_version, e.op, static_cast<double>(invoked) / 1e6,
          version);
      const HistoryEntry* w = ctx.history.completion(write_op);
      v.witness = nlohmann::json::array({{{"op", write_op}, {"f", "cas"}, {"time_ns", done_ns}, {"value", w->value}},
                                         {{"op", e.op}, {"f", "read"}, {"invoke_ns", invoked}, {"value", e.value}}});
      v.witness_ops = {write_op, e.op};
      return v;
    }
  }
  // Writes are linearizable in an ensemble too (every CAS is ordered by the leader): a CAS invoked
  // after another was acknowledged must produce a higher version of the key, whichever clients
  // made them. A lower or equal one means the earlier acknowledged write was lost.
  for (auto& [key, list] : acked) {
    // `list` is in completion order; prefix maxima of the versions acknowledged so far.
    std::vector<std::pair<int64_t, size_t>> best;  // (completion time, index of the max version so far)
    for (size_t i = 0; i < list.size(); i++) {
      size_t top = best.empty() || std::get<1>(list[i]) > std::get<1>(list[best.back().second]) ? i : best.back().second;
      best.emplace_back(std::get<0>(list[i]), top);
    }
    for (const auto& [done_ns, version, op] : list) {
      int64_t invoked = ctx.history.invocation(op).time_ns;
      auto it = std::lower_bound(best.begin(), best.end(), invoked,
                                 [](const std::pair<int64_t, size_t>& b, int64_t t) { return b.first < t; });
      if (it == best.begin()) continue;  // nothing was acknowledged before this write was invoked
      const auto& [earlier_done, earlier_version, earlier_op] = list[std::prev(it)->second];
      if (earlier_version >= version) {
        v.ok = false;
        v.message = fmt::format(
            "key {}: write op {} was acknowledged at {:.3f} ms with version {}, but write op {} invoked later, at "
            "{:.3f} ms, produced version {}: the acknowledged write was lost",
            key, earlier_op, static_cast<double>(earlier_done) / 1e6, earlier_version, op,
            static_cast<double>(invoked) / 1e6, version);
        v.witness = nlohmann::json::array(
            {{{"op", earlier_op}, {"f", "cas"}, {"time_ns", earlier_done}, {"value", ctx.history.completion(earlier_op)->value}},
             {{"op", op}, {"f", "cas"}, {"invoke_ns", invoked}, {"value", ctx.history.completion(op)->value}}});
        v.witness_ops = {earlier_op, op};
        return v;
      }
    }
  }
  size_t writes = 0;
  for (auto& [k, w] : acked) writes += w.size();
  v.message = fmt::format("{} acknowledged writes, {} reads: no read or later write saw a version older than an "
                          "acknowledged write",
                          writes, reads);
  return v;
}

}  // namespace

void register_zk_register(Registry& r) {
  r.workloads["zk-register"] = [] { return std::make_unique<ZkRegisterWorkload>(); };
  r.checkers["no-lost-writes"] = check_no_lost_writes;
  r.checker_help["no-lost-writes"] =
      "a read that starts after a write was acknowledged sees that write's version or a later one";
}

}  // namespace kz::testbed
