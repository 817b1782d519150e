// ZooKeeper recipe workloads and their checkers:
//   zk-queue      sequential-node queue: clients enqueue (create /queue/item- sequential) and dequeue
//                 (take the lowest child: getData + delete); at the end one listing of what is left.
//   zk-lock       the lock recipe: ephemeral sequential /lock/n-, the lowest holds the lock, release
//                 by delete; sessions that expire lose their node (and the lock) on the server.
//   zk-ephemeral  sessions create ephemeral sequential nodes under /eph and list them.
// Checkers:
//   unique-sequence               no two acknowledged sequential creates got the same name, and in a
//                                 parent a later create (higher czxid) gets a higher number
//   queue                         no item is dequeued twice, every dequeued item was enqueued, and every
//                                 acknowledged item is either dequeued or still listed at the end
//   mutual-exclusion              lock holdings never overlap in zxid order (ZooKeeper's own order)
//   ephemerals-gone-after-expiry  no listing answered at or after the zxid that closed a session shows
//                                 that session's ephemeral nodes
// Every result carries the reply's zxid, so the checkers judge ZooKeeper's guarantees in its own
// total order instead of guessing from real time (which would be wrong for reads served by a
// lagging follower).
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "core/zk/client/client.h"
#include "sim/testbed/testbed.h"
#include "sim/testbed/zk_outcome.h"

namespace kz::testbed {

namespace {

using zk::ErrorCode;
using zk::client::Client;


// A client session that is replaced when it expires or stays disconnected too long (as an
// application recreates its handle).
class Session {
 public:
  Session(io::Env& env, std::vector<io::Address> servers, int32_t session_timeout_ms, int64_t request_timeout_ms)
      : env_(env) {
    options_.servers = std::move(servers);
    options_.session_timeout_ms = session_timeout_ms;
    options_.request_timeout_ns = ms_to_ns(request_timeout_ms);
    open();
  }
  ~Session() { client_->close(); }
  // True if the session is connected now (replacing it first if it is dead or stuck).
  bool ready() {
    bool stuck = client_->state() != zk::client::State::kConnected &&
                 env_.clock->now_ns() - connected_at_ns_ > 3 * ms_to_ns(options_.session_timeout_ms) / 2;
    if (stuck || client_->state() == zk::client::State::kExpired || client_->state() == zk::client::State::kClosed) {
      client_->close();
      open();
      generation_++;
    }
    if (client_->state() != zk::client::State::kConnected) return false;
    connected_at_ns_ = env_.clock->now_ns();
    return true;
  }
  Client& operator*() { return *client_; }
  Client* operator->() { return client_.get(); }
  uint64_t generation() const { return generation_; }

 private:
  void open() {
    client_ = Client::connect(env_, options_);
    connected_at_ns_ = env_.clock->now_ns();
  }
  io::Env& env_;
  zk::client::ClientOptions options_;
  std::shared_ptr<Client> client_;
  int64_t connected_at_ns_ = 0;
  uint64_t generation_ = 0;
};

std::vector<io::Address> servers_of(const RunContext& ctx) {
  std::vector<io::Address> servers;
  for (const std::string& s : ctx.server_nodes) servers.push_back(io::Address{s, 2181});
  return servers;
}

int64_t seq_of(const std::string& name) {
  if (name.size() < 10) return -1;
  std::string digits = name.substr(name.size() - 10);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return -1;
  return std::stoll(digits);
}

template <typename Body>
Status start_clients(RunContext& ctx, const WorkloadSpec& spec, Body body) {
  int64_t gap_ns = static_cast<int64_t>(1e9 / spec.rate_per_sec);
  for (int c = 1; c <= spec.clients; c++) {
    std::string name = fmt::format("{}-c{}", spec.name, c);
    ctx.world.add_node(name).start([&ctx, name, gap_ns, body, spec](io::Env& env) { body(ctx, env, name, gap_ns, spec); });
  }
  return Status::ok();
}

// ---------------------------------------------------------------- zk-queue

void queue_client(RunContext& ctx, io::Env& env, const std::string& name, int64_t gap_ns, const WorkloadSpec& spec) {
  Session s(env, servers_of(ctx), static_cast<int32_t>(spec.params.value("session_timeout_ms", 4000)),
            spec.params.value("timeout_ms", int64_t{2000}));
  bool setup = false;
  uint64_t produced = 0;
  while (!ctx.stopping) {
    env.clock->sleep_for(gap_ns);
    if (ctx.stopping || !s.ready()) continue;
    if (!setup) {
      s->create("/queue", std::string(""));
      setup = true;
    }
    if (env.rng->chance(0.5)) {
      std::string item = fmt::format("{}-{}", name, ++produced);
      uint64_t op = ctx.history.invoke(ctx.now_ns(), name, "enqueue", {{"item", item}});
      auto r = s->create("/queue/item-", item, {.mode = zk::CreateMode::kPersistentSequential});
      if (r.ok()) {
        ctx.history.ok(ctx.now_ns(), op, {{"item", item}, {"path", r.value.path}, {"czxid", r.value.stat.czxid},
                                          {"zxid", r.zxid}});
      } else {
        record_zk_error(ctx, op, r.err);
        if (r.err == ErrorCode::kNoNode) setup = false;
      }
      continue;
    }
    uint64_t op = ctx.history.invoke(ctx.now_ns(), name, "dequeue", HistValue::object());
    auto list = s->get_children("/queue");
    if (!list.ok()) {
      record_zk_error(ctx, op, list.err);
      continue;
    }
    std::vector<std::string> children = list.value.children;
    std::sort(children.begin(), children.end(), [](const std::string& a, const std::string& b) {
      return seq_of(a) < seq_of(b);
    });
    bool done = false;
    for (const std::string& child : children) {
      std::string path = "/queue/" + child;
      auto data = s->get_data(path);
      if (data.err == ErrorCode::kNoNode) continue;  // taken by another consumer
      if (!data.ok()) {
        record_zk_error(ctx, op, data.err);
        done = true;
        break;
      }
      ErrorCode e = s->remove(path, data.value.stat.version);
      if (e == ErrorCode::kNoNode || e == ErrorCode::kBadVersion) continue;
      if (e != ErrorCode::kOk) {
        // The delete may have happened: the item is consumed or not; say so.
        ctx.history.info(ctx.now_ns(), op, fmt::format("{} deleting {} ({})", zk_error_text(e), path,
                                                       data.value.data.value_or("")));
        done = true;
        break;
      }
      ctx.history.ok(ctx.now_ns(), op, {{"item", data.value.data.value_or("")}, {"path", path}});
      done = true;
      break;
    }
    if (!done) ctx.history.fail(ctx.now_ns(), op, "empty");
  }
  // The final listing (the cluster has healed and had its liveness window).
  if (name.ends_with("-c1")) {
    for (int attempt = 0; attempt < 5; attempt++) {
      if (!s.ready()) {
        env.clock->sleep_for(ms_to_ns(100));
        continue;
      }
      uint64_t op = ctx.history.invoke(ctx.now_ns(), name, "final-list", HistValue::object());
      auto list = s->get_children("/queue");
      if (list.ok()) {
        nlohmann::json items = nlohmann::json::array();
        for (const std::string& child : list.value.children) items.push_back("/queue/" + child);
        ctx.history.ok(ctx.now_ns(), op, {{"paths", items}, {"zxid", list.zxid}});
        break;
      }
      record_zk_error(ctx, op, list.err);
    }
  }
}

class ZkQueueWorkload final : public Workload {
 public:
  Status start(RunContext& ctx, const WorkloadSpec& spec) override { return start_clients(ctx, spec, queue_client); }
};

Verdict check_queue(const RunContext& ctx) {
  Verdict v{.checker = "queue"};
  const History& h = ctx.history;
  std::map<std::string, uint64_t> enqueued_ok;   // path -> op
  std::set<std::string> items_invoked;            // every item some enqueue tried
  std::map<std::string, uint64_t> dequeued;       // path -> op
  const HistoryEntry* final_list = nullptr;
  for (const HistoryEntry& e : h.entries()) {
    if (e.type == OpType::kInvoke && e.f == "enqueue") items_invoked.insert(e.value["item"].get<std::string>());
    if (e.type != OpType::kOk) continue;
    if (e.f == "enqueue") enqueued_ok[e.value["path"].get<std::string>()] = e.op;
    if (e.f == "final-list") final_list = &e;
    if (e.f != "dequeue") continue;
    std::string path = e.value["path"].get<std::string>();
    auto [it, fresh] = dequeued.emplace(path, e.op);
    if (!fresh) {
      v.ok = false;
      v.message = fmt::format("{} was dequeued twice (ops {} and {})", path, it->second, e.op);
      v.witness_ops = {it->second, e.op};
      return v;
    }
    if (items_invoked.count(e.value["item"].get<std::string>()) == 0) {
      v.ok = false;
      v.message = fmt::format("op {} dequeued '{}', which no client enqueued", e.op, e.value["item"].get<std::string>());
      v.witness_ops = {e.op};
      return v;
    }
  }
  // Items consumed by a dequeue of unknown outcome.
  std::set<std::string> maybe_consumed;
  for (const HistoryEntry& e : h.entries()) {
    if (e.type == OpType::kInfo && e.f == "dequeue") {
      size_t at = e.error.find("/queue/");
      if (at != std::string::npos) maybe_consumed.insert(e.error.substr(at, e.error.find(' ', at) - at));
    }
  }
  if (final_list == nullptr) {
    v.message = fmt::format("{} enqueued, {} dequeued, none twice; no final listing, so completeness was not checked",
                            enqueued_ok.size(), dequeued.size());
    return v;
  }
  std::set<std::string> left;
  for (const auto& p : final_list->value["paths"]) left.insert(p.get<std::string>());
  const int64_t final_zxid = final_list->value["zxid"].get<int64_t>();
  for (const auto& [path, op] : enqueued_ok) {
    // Only items created before the state the listing shows must be in it.
    if (h.completion(op)->value["czxid"].get<int64_t>() > final_zxid) continue;
    if (dequeued.count(path) == 0 && left.count(path) == 0 && maybe_consumed.count(path) == 0) {
      v.ok = false;
      v.message = fmt::format("acknowledged item {} (op {}) was never dequeued and is gone from the final listing: lost",
                              path, op);
      v.witness_ops = {op, final_list->op};
      return v;
    }
  }
  v.message = fmt::format("{} enqueued, {} dequeued, none twice, {} left at the end, none lost", enqueued_ok.size(),
                          dequeued.size(), left.size());
  return v;
}

// ---------------------------------------------------------------- zk-lock

void lock_client(RunContext& ctx, io::Env& env, const std::string& name, int64_t gap_ns, const WorkloadSpec& spec) {
  Session s(env, servers_of(ctx), static_cast<int32_t>(spec.params.value("session_timeout_ms", 3000)),
            spec.params.value("timeout_ms", int64_t{2000}));
  int64_t hold_ns = ms_to_ns(spec.params.value("hold_ms", int64_t{50}));
  while (!ctx.stopping) {
    env.clock->sleep_for(gap_ns);
    if (ctx.stopping || !s.ready()) continue;
    s->create("/lock", std::string(""));
    uint64_t session = static_cast<uint64_t>(s->session_id());
    uint64_t gen = s.generation();
    uint64_t op = ctx.history.invoke(ctx.now_ns(), name, "acquire", {{"session", session}});
    auto mine = s->create("/lock/n-", name, {.mode = zk::CreateMode::kEphemeralSequential});
    if (!mine.ok()) {
      record_zk_error(ctx, op, mine.err);
      continue;
    }
    std::string my_name = mine.value.path.substr(std::string("/lock/").size());
    bool held = false;
    int64_t held_zxid = 0;
    // Poll until this node is the lowest (a watch on the predecessor would only save polls).
    while (!ctx.stopping && s.generation() == gen) {
      auto list = s->get_children("/lock");
      if (!list.ok()) {
        if (list.err == ErrorCode::kSessionExpired) break;
        env.clock->sleep_for(ms_to_ns(20));
        continue;
      }
      std::vector<std::string> children = list.value.children;
      std::sort(children.begin(), children.end(),
                [](const std::string& a, const std::string& b) { return seq_of(a) < seq_of(b); });
      if (std::find(children.begin(), children.end(), my_name) == children.end()) break;  // session gone
      if (children.front() == my_name) {
        held = true;
        held_zxid = list.zxid;
        break;
      }
      env.clock->sleep_for(ms_to_ns(20));
      s.ready();
    }
    if (!held) {
      ctx.history.info(ctx.now_ns(), op, "gave up waiting");
      s->remove(mine.value.path);
      continue;
    }
    ctx.history.ok(ctx.now_ns(), op, {{"session", session}, {"node", mine.value.path}, {"path", mine.value.path},
                                      {"czxid", mine.value.stat.czxid},
                                      {"zxid", held_zxid}});
    env.clock->sleep_for(hold_ns);
    uint64_t rel = ctx.history.invoke(ctx.now_ns(), name, "release", {{"session", session}, {"node", mine.value.path}});
    // A one-op multi: its reply carries the delete's own zxid.
    auto r = s->multi({zk::client::op_delete(mine.value.path)});
    if (r.ok()) {
      ctx.history.ok(ctx.now_ns(), rel, {{"session", session}, {"node", mine.value.path}, {"zxid", r.zxid}});
    } else {
      record_zk_error(ctx, rel, r.err);
    }
  }
}

class ZkLockWorkload final : public Workload {
 public:
  Status start(RunContext& ctx, const WorkloadSpec& spec) override { return start_clients(ctx, spec, lock_client); }
};

// session id -> the zxid of the txn that closed it (expiry or close), from the servers' events.
std::map<int64_t, int64_t> session_close_zxids(const RunContext& ctx) {
  std::map<int64_t, int64_t> out;
  for (const ClusterEvent& e : ctx.events.events()) {
    if (e.kind != "session_closed") continue;
    int64_t id = static_cast<int64_t>(std::stoull(e.fields["session"].get<std::string>(), nullptr, 16));
    int64_t zxid = e.fields["zxid"].get<int64_t>();
    auto [it, fresh] = out.emplace(id, zxid);
    if (!fresh) it->second = std::min(it->second, zxid);
  }
  return out;
}

Verdict check_mutual_exclusion(const RunContext& ctx) {
  Verdict v{.checker = "mutual-exclusion"};
  const History& h = ctx.history;
  std::map<int64_t, int64_t> closed = session_close_zxids(ctx);
  // A holding spans, in zxid order, from the listing that showed the node lowest to the node's
  // deletion: the release's zxid, or the close of its session; unknown ends run to infinity only
  // if the node may still exist (we then cannot judge later holdings by others: skip them).
  struct Holding {
    int64_t from, to;
    uint64_t op;
    std::string node;
  };
  std::map<std::string, int64_t> released;  // node -> zxid of its delete
  std::set<std::string> release_unknown;      // a release was tried, its outcome unknown
  for (const HistoryEntry& e : h.entries()) {
    if (e.f != "release") continue;
    if (e.type == OpType::kOk) released[e.value["node"].get<std::string>()] = e.value["zxid"].get<int64_t>();
    if (e.type == OpType::kInfo) release_unknown.insert(h.invocation(e.op).value["node"].get<std::string>());
  }
  std::vector<Holding> holdings;
  for (const HistoryEntry& e : h.entries()) {
    if (e.type != OpType::kOk || e.f != "acquire") continue;
    std::string node = e.value["node"].get<std::string>();
    int64_t to = std::numeric_limits<int64_t>::max();
    if (auto r = released.find(node); r != released.end()) {
      to = r->second;
    } else if (release_unknown.count(node) == 0) {
      // Never released: the node went with its session.
      if (auto c = closed.find(e.value["session"].get<int64_t>()); c != closed.end()) to = c->second;
    }  // else: deleted at some unknown zxid (a release whose outcome is unknown)
    holdings.push_back(Holding{e.value["zxid"].get<int64_t>(), to, e.op, node});
  }
  std::sort(holdings.begin(), holdings.end(), [](const Holding& a, const Holding& b) { return a.from < b.from; });
  // Each holding must start after every earlier holding (with a known end) ended.
  const Holding* latest_end = nullptr;
  for (size_t i = 0; i < holdings.size(); i++) {
    const Holding& b = holdings[i];
    if (latest_end != nullptr && b.from < latest_end->to) {
      const Holding& a = *latest_end;
      v.ok = false;
      v.message = fmt::format("lock held twice: {} (op {}) from zxid 0x{:x} to 0x{:x}, and {} (op {}) from zxid 0x{:x}",
                              a.node, a.op, a.from, a.to, b.node, b.op, b.from);
      v.witness_ops = {a.op, b.op};
      return v;
    }
    if (b.to != std::numeric_limits<int64_t>::max() && (latest_end == nullptr || b.to > latest_end->to)) latest_end = &b;
  }
  v.message = fmt::format("{} lock holdings, none overlapping in zxid order", holdings.size());
  return v;
}

// ---------------------------------------------------------------- zk-ephemeral

void ephemeral_client(RunContext& ctx, io::Env& env, const std::string& name, int64_t gap_ns, const WorkloadSpec& spec) {
  Session s(env, servers_of(ctx), static_cast<int32_t>(spec.params.value("session_timeout_ms", 2000)),
            spec.params.value("timeout_ms", int64_t{1000}));
  std::deque<std::string> mine;  // this client's ephemerals, oldest first (a few are kept)
  uint64_t generation = s.generation();
  while (!ctx.stopping) {
    env.clock->sleep_for(gap_ns);
    if (ctx.stopping || !s.ready()) continue;
    if (s.generation() != generation) {  // a new session: the old one's nodes are not ours to delete
      mine.clear();
      generation = s.generation();
    }
    if (mine.size() > 3) {
      s->remove(mine.front());
      mine.pop_front();
      continue;
    }
    if (env.rng->chance(0.3)) {
      s->create("/eph", std::string(""));
      int64_t session = s->session_id();
      std::string prefix = fmt::format("/eph/s{:016x}-", static_cast<uint64_t>(session));
      uint64_t op = ctx.history.invoke(ctx.now_ns(), name, "create-ephemeral", {{"session", session}});
      auto r = s->create(prefix, name, {.mode = zk::CreateMode::kEphemeralSequential});
      if (r.ok()) {
        ctx.history.ok(ctx.now_ns(), op, {{"session", session}, {"path", r.value.path}, {"czxid", r.value.stat.czxid},
                                          {"zxid", r.zxid}});
        mine.push_back(r.value.path);
      } else {
        record_zk_error(ctx, op, r.err);
      }
    } else {
      uint64_t op = ctx.history.invoke(ctx.now_ns(), name, "list", {{"path", "/eph"}});
      auto r = s->get_children("/eph");
      if (r.ok()) {
        ctx.history.ok(ctx.now_ns(), op, {{"children", r.value.children}, {"zxid", r.zxid}});
      } else {
        record_zk_error(ctx, op, r.err);
      }
    }
  }
}

class ZkEphemeralWorkload final : public Workload {
 public:
  Status start(RunContext& ctx, const WorkloadSpec& spec) override {
    return start_clients(ctx, spec, ephemeral_client);
  }
};

Verdict check_ephemerals_gone(const RunContext& ctx) {
  Verdict v{.checker = "ephemerals-gone-after-expiry"};
  std::map<int64_t, int64_t> closed = session_close_zxids(ctx);
  size_t lists = 0;
  for (const HistoryEntry& e : ctx.history.entries()) {
    if (e.type != OpType::kOk || e.f != "list") continue;
    lists++;
    int64_t zxid = e.value["zxid"].get<int64_t>();
    for (const auto& c : e.value["children"]) {
      std::string child = c.get<std::string>();
      if (child.size() < 18 || child[0] != 's') continue;
      int64_t session = static_cast<int64_t>(std::stoull(child.substr(1, 16), nullptr, 16));
      auto it = closed.find(session);
      if (it != closed.end() && it->second <= zxid) {
        v.ok = false;
        v.message = fmt::format("op {} listed /eph/{} at zxid 0x{:x}, but its session 0x{:x} was closed at zxid 0x{:x}",
                                e.op, child, zxid, session, it->second);
        v.witness = {{"listing", e.value}, {"session_closed_zxid", it->second}};
        v.witness_ops = {e.op};
        return v;
      }
    }
  }
  v.message = fmt::format("{} listings, {} sessions closed: no listing showed a closed session's ephemerals", lists,
                          closed.size());
  return v;
}

// ---------------------------------------------------------------- unique-sequence

Verdict check_unique_sequence(const RunContext& ctx) {
  Verdict v{.checker = "unique-sequence"};
  std::map<std::string, uint64_t> seen;  // path -> op
  // parent -> czxid -> (sequence, op)
  std::map<std::string, std::map<int64_t, std::pair<int64_t, uint64_t>>> order;
  for (const HistoryEntry& e : ctx.history.entries()) {
    if (e.type != OpType::kOk || !e.value.is_object() || !e.value.contains("path") || !e.value.contains("czxid")) continue;
    std::string path = e.value["path"].get<std::string>();
    auto [it, fresh] = seen.emplace(path, e.op);
    if (!fresh) {
      v.ok = false;
      v.message = fmt::format("two acknowledged creates got the same sequential name {} (ops {} and {})", path,
                              it->second, e.op);
      v.witness_ops = {it->second, e.op};
      return v;
    }
    std::string parent = path.substr(0, path.rfind('/'));
    order[parent][e.value["czxid"].get<int64_t>()] = {seq_of(path), e.op};
  }
  for (const auto& [parent, by_zxid] : order) {
    const std::pair<int64_t, uint64_t>* prev = nullptr;
    for (const auto& [zxid, entry] : by_zxid) {
      if (prev != nullptr && entry.first <= prev->first) {
        v.ok = false;
        v.message = fmt::format("under {}: op {} was created later (zxid 0x{:x}) but got sequence {} <= {} of op {}",
                                parent, entry.second, zxid, entry.first, prev->first, prev->second);
        v.witness_ops = {prev->second, entry.second};
        return v;
      }
      prev = &entry;
    }
  }
  v.message = fmt::format("{} sequential names, all distinct and increasing in creation order", seen.size());
  return v;
}

}  // namespace

void register_zk_recipes(Registry& r) {
  r.workloads["zk-queue"] = [] { return std::make_unique<ZkQueueWorkload>(); };
  r.workloads["zk-lock"] = [] { return std::make_unique<ZkLockWorkload>(); };
  r.workloads["zk-ephemeral"] = [] { return std::make_unique<ZkEphemeralWorkload>(); };
  r.checkers["queue"] = check_queue;
  r.checker_help["queue"] = "no item dequeued twice or invented; every acknowledged item dequeued or still listed";
  r.checkers["mutual-exclusion"] = check_mutual_exclusion;
  r.checker_help["mutual-exclusion"] = "lock holdings (lock recipe) never overlap in zxid order";
  r.checkers["ephemerals-gone-after-expiry"] = check_ephemerals_gone;
  r.checker_help["ephemerals-gone-after-expiry"] =
      "no listing answered at or after a session's close shows that session's ephemeral nodes";
  r.checkers["unique-sequence"] = check_unique_sequence;
  r.checker_help["unique-sequence"] = "sequential names are unique and increase with creation order (czxid)";
}

}  // namespace kz::testbed
