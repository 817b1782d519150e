// Checkers for register histories (the zk-register workload: reads and version-CAS writes of a few
// keys, each result carrying the znode's version, value, mzxid and the reply's zxid).
//
// `linearizable`: a Wing-Gong search per key against the CAS-register model. A standalone
//   ZooKeeper server promises linearizable reads and writes, so every operation is checked; an
//   ensemble serves reads from the server the client is connected to, which may lag, so only the
//   writes (CAS) are checked there; reads are `sequential-consistency`'s job.
// `sequential-consistency`: ZooKeeper's own guarantee, checked exactly with zxids: a read answered at
//   zxid Z returns the last committed write with zxid <= Z (no acknowledged write between the
//   value's mzxid and Z is missing), one version of a key is one write, and each session's replies
//   never go back in zxid (a session sees the system's history in order, even when it moves).
#include <fmt/format.h>

#include <map>

#include "sim/testbed/linearizability.h"
#include "sim/testbed/testbed.h"

namespace kz::testbed {

namespace {

nlohmann::json op_json(const History& h, uint64_t op) {
  const HistoryEntry& inv = h.invocation(op);
  const HistoryEntry* done = h.completion(op);
  nlohmann::json j = {{"op", op}, {"process", inv.process}, {"f", inv.f}, {"invoke_ms", ns_to_ms(inv.time_ns)},
                      {"args", inv.value}};
  if (done == nullptr) {
    j["type"] = "pending";
  } else {
    j["type"] = op_type_name(done->type);
    j["complete_ms"] = ns_to_ms(done->time_ns);
    if (done->type == OpType::kOk) j["result"] = done->value;
    if (!done->error.empty()) j["error"] = done->error;
  }
  return j;
}

Verdict check_linearizable(const RunContext& ctx) {
  Verdict v{.checker = "linearizable"};
  const History& h = ctx.history;
  const bool reads_too = ctx.server_nodes.size() == 1;
  struct KeyOps {
    std::vector<lin::Operation> ops;
    std::map<std::string, int64_t> value_ids{{"0", 0}};
    int64_t intern(const std::string& s) { return value_ids.emplace(s, static_cast<int64_t>(value_ids.size())).first->second; }
  };
  std::map<int64_t, KeyOps> keys;
  for (const HistoryEntry& inv : h.entries()) {
    if (inv.type != OpType::kInvoke || (inv.f != "read" && inv.f != "cas")) continue;
    const HistoryEntry* done = h.completion(inv.op);
    if (done != nullptr && done->type == OpType::kFail) continue;  // certainly did not happen
    KeyOps& k = keys[inv.value["key"].get<int64_t>()];
    lin::Operation o{.id = inv.op, .call_ns = inv.time_ns};
    bool known = done != nullptr && done->type == OpType::kOk;
    if (known) o.return_ns = done->time_ns;
    if (inv.f == "read") {
      if (!known || !reads_too) continue;  // an unanswered read changes nothing
      o.kind = lin::kRead;
      o.a = done->value["version"].get<int64_t>();
      o.b = k.intern(done->value["value"].get<std::string>());
    } else {
      o.a = inv.value["expected_version"].get<int64_t>();
      o.c = k.intern(inv.value["value"].get<std::string>());
      if (known) {
        o.kind = lin::kCasOk;
        o.b = done->value["version"].get<int64_t>();
      } else {
        o.kind = lin::kCasUnknown;
      }
    }
    k.ops.push_back(o);
  }
  size_t checked = 0;
  uint64_t steps = 0;
  std::vector<int64_t> undecided;
  for (auto& [key, k] : keys) {
    lin::Outcome out = lin::check(lin::register_model(0, 0), k.ops, 20'000'000);
    checked += k.ops.size();
    steps += out.steps;
    if (!out.decided) {
      undecided.push_back(key);
      continue;
    }
    if (out.linearizable) continue;
    std::map<int64_t, std::string> names;
    for (const auto& [s, id] : k.value_ids) names[id] = s;
    v.ok = false;
    const uint64_t first = out.stuck.front();
    v.message = fmt::format(
        "key {}: not linearizable: after {} operations linearized (register at version {} = '{}'), op {} ({}) "
        "cannot take effect before it returns{}",
        key, out.deepest_depth, lin::register_version(out.deepest_state),
        names[lin::register_value_id(out.deepest_state)], first, h.invocation(first).f,
        reads_too ? "" : " (writes only: an ensemble's reads are checked by sequential-consistency)");
    nlohmann::json prefix = nlohmann::json::array();
    size_t from = out.deepest.size() > 6 ? out.deepest.size() - 6 : 0;
    for (size_t i = from; i < out.deepest.size(); i++) {
      prefix.push_back(op_json(h, out.deepest[i]));
      v.witness_ops.push_back(out.deepest[i]);
    }
    nlohmann::json stuck = nlohmann::json::array();
    for (uint64_t op : out.stuck) {
      stuck.push_back(op_json(h, op));
      v.witness_ops.push_back(op);
    }
    v.witness = {{"key", key},
                 {"state", {{"version", lin::register_version(out.deepest_state)},
                            {"value", names[lin::register_value_id(out.deepest_state)]}}},
                 {"linearized_tail", prefix},
                 {"cannot_place", stuck}};
    return v;
  }
  v.message = fmt::format("{} operations on {} keys linearizable ({}; {} search steps){}", checked, keys.size(),
                          reads_too ? "reads and CAS" : "CAS writes; reads are per-server", steps,
                          undecided.empty() ? "" : fmt::format("; UNDECIDED for {} keys (step budget)", undecided.size()));
  return v;
}

Verdict check_sequential_consistency(const RunContext& ctx) {
  Verdict v{.checker = "sequential-consistency"};
  const History& h = ctx.history;
  struct Write {
    int64_t version;
    std::string value;
    uint64_t op;
  };
  std::map<int64_t, std::map<int64_t, Write>> writes;  // key -> zxid -> acknowledged write
  std::map<int64_t, std::map<int64_t, uint64_t>> by_version;  // key -> version -> op
  auto fail = [&](std::string message, std::vector<uint64_t> ops) {
    v.ok = false;
    v.message = std::move(message);
    v.witness = nlohmann::json::array();
    for (uint64_t op : ops) v.witness.push_back(op_json(h, op));
    v.witness_ops = std::move(ops);
    return v;
  };
  for (const HistoryEntry& e : h.entries()) {
    if (e.type != OpType::kOk || e.f != "cas" || !e.value.contains("mzxid")) continue;
    int64_t key = e.value["key"].get<int64_t>();
    int64_t version = e.value["version"].get<int64_t>();
    int64_t zxid = e.value["mzxid"].get<int64_t>();
    auto [it, fresh] = by_version[key].emplace(version, e.op);
    if (!fresh) {
      return fail(fmt::format("key {}: two acknowledged writes produced version {} (ops {} and {}): one of them "
                              "was lost or the history forked",
                              key, version, it->second, e.op),
                  {it->second, e.op});
    }
    writes[key][zxid] = Write{version, e.value["value"].get<std::string>(), e.op};
  }
  size_t reads = 0;
  std::map<int64_t, std::pair<int64_t, uint64_t>> session_zxid;  // session -> (last zxid, op)
  for (const HistoryEntry& e : h.entries()) {
    if (e.type != OpType::kOk || (e.f != "read" && e.f != "cas") || !e.value.contains("zxid")) continue;
    int64_t session = e.value["session"].get<int64_t>();
    int64_t zxid = e.value["zxid"].get<int64_t>();
    auto [last, fresh] = session_zxid.emplace(session, std::make_pair(zxid, e.op));
    if (!fresh) {
      if (zxid < last->second.first) {
        return fail(fmt::format("session 0x{:x} went back in time: op {} was answered at zxid 0x{:x}, after op {} at "
                                "zxid 0x{:x}",
                                session, e.op, zxid, last->second.second, last->second.first),
                    {last->second.second, e.op});
      }
      last->second = {zxid, e.op};
    }
    if (e.f != "read") continue;
    reads++;
    int64_t key = e.value["key"].get<int64_t>();
    int64_t mzxid = e.value["mzxid"].get<int64_t>();
    if (mzxid > zxid) {
      return fail(fmt::format("key {}: read op {} returned a value written at zxid 0x{:x}, later than the zxid 0x{:x} "
                              "it was answered at",
                              key, e.op, mzxid, zxid),
                  {e.op});
    }
    auto kw = writes.find(key);
    if (kw == writes.end()) continue;
    auto at = kw->second.find(mzxid);
    if (at != kw->second.end() && (at->second.version != e.value["version"].get<int64_t>() ||
                                   at->second.value != e.value["value"].get<std::string>())) {
      return fail(fmt::format("key {}: read op {} saw version {} '{}' for zxid 0x{:x}, but write op {} made it "
                              "version {} '{}'",
                              key, e.op, e.value["version"].get<int64_t>(), e.value["value"].get<std::string>(),
                              mzxid, at->second.op, at->second.version, at->second.value),
                  {at->second.op, e.op});
    }
    auto missed = kw->second.upper_bound(mzxid);
    if (missed != kw->second.end() && missed->first <= zxid) {
      return fail(fmt::format("key {}: read op {} was answered at zxid 0x{:x} with the value of zxid 0x{:x}, but "
                              "acknowledged write op {} (zxid 0x{:x}, version {}) lies in between: the server's "
                              "state at that zxid lost it",
                              key, e.op, zxid, mzxid, missed->second.op, missed->first, missed->second.version),
                  {missed->second.op, e.op});
    }
  }
  size_t acked = 0;
  for (const auto& [k, w] : writes) acked += w.size();
  v.message = fmt::format("{} reads and {} acknowledged writes in {} sessions: every read is the state at its zxid, "
                          "no session went back",
                          reads, acked, session_zxid.size());
  return v;
}

}  // namespace

void register_register_checkers(Registry& r) {
  r.checkers["linearizable"] = check_linearizable;
  r.checker_help["linearizable"] =
      "register histories are linearizable (Wing-Gong search per key; standalone: reads and CAS, ensemble: CAS)";
  r.checkers["sequential-consistency"] = check_sequential_consistency;
  r.checker_help["sequential-consistency"] =
      "each read is exactly the state at the zxid it was answered at; sessions never go back in zxid";
}

}  // namespace kz::testbed
