#include "reports/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace kz::reports {

namespace {

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    if (comma > pos) out.push_back(s.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const std::string& s : v) out += fmt::format("{}{}", out.empty() ? "" : sep, s);
  return out;
}

std::string field_string(const nlohmann::json& fields, const char* key) {
  auto it = fields.find(key);
  if (it == fields.end()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

int64_t field_int(const nlohmann::json& fields, const char* key, int64_t fallback) {
  auto it = fields.find(key);
  return it != fields.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

bool is_partition(const std::string& kind) {
  return kind.starts_with("partition") || kind == "bridge";
}

// Faults that last until healed (their duration, or the final heal when the duration is 0).
bool lasts_until_healed(const std::string& kind) {
  return kind == "crash" || kind == "power-loss" || kind == "pause" || is_partition(kind) || kind == "clock-drift" ||
         kind == "disk-slow" || kind == "disk-full";
}

// Faults with their own length (default 1 s), healed by nobody.
bool has_own_length(const std::string& kind) {
  return kind == "clog" || kind == "clock-strobe";
}

// The lane row a per-node fault is drawn on, or empty for faults shown by the node's state.
std::string node_fault_class(const std::string& kind) {
  if (kind.starts_with("clock")) return "clock";
  if (kind.starts_with("disk")) return "disk";
  if (kind == "clog") return "clog";
  if (kind == "reset") return "reset";
  return {};
}

std::string params_text(const nlohmann::json& fields) {
  auto it = fields.find("params");
  if (it == fields.end() || !it->is_object() || it->empty()) return {};
  std::string out;
  for (const auto& [k, v] : it->items())
    out += fmt::format(" {}={}", k, v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

// One line for a fault: "crash zk3 for 3000 ms", "partition: zk1 | zk2,zk3,c1 for 3000 ms" (once the
// sides are known from the partition_sides event), with its parameters.
std::string describe_fault(const nlohmann::json& fields, const std::string& sides = "") {
  std::string kind = field_string(fields, "kind");
  std::string nodes = field_string(fields, "nodes");
  std::string text = sides.empty() ? fmt::format("{} {}", kind, nodes.empty() ? field_string(fields, "target") : nodes)
                                   : fmt::format("{}: {}", kind, sides);
  if (sides.empty() && kind == "partition-one-way") text += " cannot send to the other nodes";
  int64_t duration_ms = field_int(fields, "duration_ms", 0);
  if (duration_ms > 0 && (lasts_until_healed(kind) || has_own_length(kind))) {
    text += fmt::format(" for {} ms", duration_ms);
  }
  return text + params_text(fields);
}

class Builder {
 public:
  Builder(const RunData& run, Timeline* t) : run_(run), t_(*t) {}

  void build(size_t moments_max) {
    classify_nodes();
    t_.end_ns = run_.end_ns;
    for (const Event& e : run_.events) {
      if (e.kind == "final_heal") t_.final_heal_ns = e.time_ns;
    }
    refresh(0);
    std::vector<Moment> moments;
    moments.push_back(Moment{0, "start", state_});
    size_t i = 0;
    while (i < run_.events.size()) {
      int64_t now = run_.events[i].time_ns;
      std::vector<std::string> titles;
      for (; i < run_.events.size() && run_.events[i].time_ns == now; i++) apply(run_.events[i], &titles);
      refresh(now);
      if (!titles.empty()) moments.push_back(Moment{now, join(titles, "; "), state_});
    }
    for (size_t n = 0; n < lanes_.size(); n++) {
      close(&t_.lanes[n].state, &lanes_[n].state, t_.end_ns);
      close(&t_.lanes[n].net, &lanes_[n].net, t_.end_ns);
    }
    close(&t_.network, &network_, t_.end_ns);
    thin_moments(std::move(moments), moments_max);
  }

 private:
  struct Open {
    bool open = false;
    int64_t begin_ns = 0;
    std::string kind, label;
  };
  struct LaneOpen {
    Open state, net;
  };

  void classify_nodes() {
    std::set<std::string> clients, servers, others;
    for (const Op& op : run_.ops) {
      if (!op.process.empty()) clients.insert(op.process);
    }
    for (const Event& e : run_.events) {
      if (e.node != "testbed" && !e.node.empty()) servers.insert(e.node);
      if (e.kind == "partition_sides") {
        for (auto& n : split_csv(field_string(e.fields, "a"))) others.insert(n);
        for (auto& n : split_csv(field_string(e.fields, "b"))) others.insert(n);
      }
      if (e.kind != "fault") continue;
      for (auto& n : split_csv(field_string(e.fields, "nodes"))) servers.insert(n);
    }
    for (const std::string& c : clients) servers.erase(c);
    for (const std::string& n : others) {
      if (!servers.count(n)) clients.insert(n);
    }
    t_.servers.assign(servers.begin(), servers.end());
    t_.clients.assign(clients.begin(), clients.end());
    std::sort(t_.servers.begin(), t_.servers.end(), natural_less);
    std::sort(t_.clients.begin(), t_.clients.end(), natural_less);
    for (const std::string& s : t_.servers) add_node(s, true);
    for (const std::string& c : t_.clients) add_node(c, false);
  }

  void add_node(const std::string& name, bool server) {
    index_[name] = state_.nodes.size();
    NodeState ns;
    ns.node = name;
    ns.server = server;
    if (!server) ns.role = "client";
    state_.nodes.push_back(ns);
    NodeLane lane;
    lane.node = name;
    lane.server = server;
    t_.lanes.push_back(std::move(lane));
    lanes_.emplace_back();
  }

  NodeState* node(const std::string& name) {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &state_.nodes[it->second];
  }
  NodeLane* lane(const std::string& name) {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &t_.lanes[it->second];
  }

  int64_t heal_time(int64_t now, int64_t duration_ms) const {
    int64_t end = t_.final_heal_ns >= now ? t_.final_heal_ns : t_.end_ns;
    if (duration_ms > 0) end = std::min(end, now + duration_ms * 1'000'000);
    return end;
  }

  void apply(const Event& e, std::vector<std::string>* titles) {
    NodeState* n = node(e.node);
    NodeLane* l = lane(e.node);
    if (e.kind == "looking" || e.kind == "following" || e.kind == "leader_elected" || e.kind == "stepped_down") {
      if (n == nullptr) return;
      n->epoch = field_int(e.fields, "epoch", n->epoch);
      n->role = e.kind == "leader_elected" ? "leading" : e.kind == "following" ? "following" : "looking";
      if (e.kind == "leader_elected") {
        titles->push_back(fmt::format("{} elected leader, epoch {}", e.node, n->epoch));
      }
    } else if (e.kind == "zk_serving") {
      if (n == nullptr) return;
      n->role = field_string(e.fields, "role") == "standalone" ? "standalone" : "leading";
      titles->push_back(fmt::format("{} serving ({})", e.node, field_string(e.fields, "role")));
    } else if (e.kind == "node_crash" || e.kind == "node_power_off") {
      if (n == nullptr) return;
      n->up = false;
      n->powered_off = e.kind == "node_power_off";
      n->role = n->server ? "up" : "client";
    } else if (e.kind == "node_restart") {
      if (n == nullptr) return;
      n->up = true;
      n->powered_off = false;
      if (l != nullptr) l->marks.push_back(Mark{e.time_ns, "restart", fmt::format("{} restarted", e.node)});
    } else if (e.kind == "session_expired") {
      if (l != nullptr) {
        l->marks.push_back(
            Mark{e.time_ns, "session", fmt::format("session {} expired", field_string(e.fields, "session"))});
      }
    } else if (e.kind == "fault") {
      apply_fault(e);
      titles->push_back("fault: " + describe_fault(e.fields));
    } else if (e.kind == "partition_sides") {
      apply_partition_sides(e, titles);
    } else if (e.kind == "fault_skipped") {
      t_.fault_marks.push_back(
          Mark{e.time_ns, "skipped",
               fmt::format("{} skipped: {}", field_string(e.fields, "kind"), field_string(e.fields, "reason"))});
    } else if (e.kind == "fault_healed") {
      std::string kind = field_string(e.fields, "kind");
      if (kind == "pause") {
        for (auto& name : split_csv(field_string(e.fields, "nodes"))) {
          if (NodeState* p = node(name)) p->paused = false;
        }
      } else if (is_partition(kind)) {
        heal_network();
      }
    } else if (e.kind == "final_heal") {
      heal_network();
      for (NodeState& s : state_.nodes) s.paused = false;
      titles->push_back("final heal");
    }
  }

  void apply_fault(const Event& e) {
    std::string kind = field_string(e.fields, "kind");
    std::vector<std::string> nodes = split_csv(field_string(e.fields, "nodes"));
    int64_t duration_ms = field_int(e.fields, "duration_ms", 0);
    std::string text = describe_fault(e.fields);
    if (lasts_until_healed(kind) || has_own_length(kind)) {
      int64_t end = has_own_length(kind) ? e.time_ns + (duration_ms > 0 ? duration_ms : 1000) * 1'000'000
                                         : heal_time(e.time_ns, duration_ms);
      t_.fault_spans.push_back(Span{e.time_ns, std::max(end, e.time_ns), kind, text});
      std::string cls = node_fault_class(kind);
      if (!cls.empty()) {
        for (auto& name : nodes) {
          if (NodeLane* l = lane(name)) l->faults.push_back(Span{e.time_ns, std::max(end, e.time_ns), cls, text});
        }
      }
    } else {
      t_.fault_marks.push_back(Mark{e.time_ns, kind, text});
      std::string cls = node_fault_class(kind);
      for (auto& name : nodes) {
        if (NodeLane* l = lane(name); l != nullptr && !cls.empty()) l->marks.push_back(Mark{e.time_ns, cls, text});
      }
    }
    if (kind == "pause") {
      for (auto& name : nodes) {
        if (NodeState* p = node(name)) p->paused = true;
      }
    }
    if (is_partition(kind)) {
      // Until a partition_sides event says otherwise (it follows at once for partition,
      // partition-halves and bridge): the targets cannot reach anyone else (one-way: cannot send).
      cut_before_ = state_.cut;
      std::vector<std::string> others;
      for (const NodeState& s : state_.nodes) {
        if (std::find(nodes.begin(), nodes.end(), s.node) == nodes.end()) others.push_back(s.node);
      }
      cut(nodes, others, kind != "partition-one-way");
      partitions_.push_back(text);
      pending_fault_ = e.fields;
      pending_span_ = t_.fault_spans.size() - 1;
    }
  }

  // partition_sides {kind, a, b}: side a cannot reach side b (for a bridge, a's first node is the
  // bridge, which reaches both sides).
  void apply_partition_sides(const Event& e, std::vector<std::string>* titles) {
    if (pending_fault_.is_null()) return;  // not after a partition fault: nothing to refine
    std::string kind = field_string(e.fields, "kind");
    std::vector<std::string> a = split_csv(field_string(e.fields, "a"));
    std::vector<std::string> b = split_csv(field_string(e.fields, "b"));
    std::string sides;
    if (kind == "bridge" && !a.empty()) {
      std::string bridge = a.front();
      a.erase(a.begin());
      sides = fmt::format("{} | {} (bridge {} reaches both)", join(a, ","), join(b, ","), bridge);
    } else {
      sides = fmt::format("{} | {}", join(a, ","), join(b, ","));
    }
    state_.cut = cut_before_;
    cut(a, b, true);
    std::string text = describe_fault(pending_fault_, sides);
    if (!partitions_.empty()) partitions_.back() = text;
    if (pending_span_ < t_.fault_spans.size()) t_.fault_spans[pending_span_].label = text;
    if (!titles->empty()) titles->back() = "fault: " + text;
    pending_fault_ = nullptr;
  }

  void cut(const std::vector<std::string>& a, const std::vector<std::string>& b, bool both_ways) {
    for (auto& x : a) {
      for (auto& y : b) {
        if (x == y) continue;
        state_.cut.insert({x, y});
        if (both_ways) state_.cut.insert({y, x});
      }
    }
  }

  void heal_network() {
    state_.cut.clear();
    partitions_.clear();
  }

  // Brings every open interval in line with the current state.
  void refresh(int64_t now) {
    for (size_t i = 0; i < state_.nodes.size(); i++) {
      const NodeState& s = state_.nodes[i];
      std::string kind, label;
      if (!s.up) {
        kind = s.powered_off ? "powered-off" : "crashed";
        label = s.powered_off ? "power off" : "crashed";
      } else if (s.paused) {
        kind = label = "paused";
      } else if (s.server) {
        kind = s.role;
        label = s.role == "leading"     ? fmt::format("leader e{}", s.epoch)
                : s.role == "following" ? fmt::format("follower e{}", s.epoch)
                                        : s.role;
      }
      set(&t_.lanes[i].state, &lanes_[i].state, now, kind, label);
      std::vector<std::string> peers;
      for (const NodeState& p : state_.nodes) {
        if (p.node != s.node && (state_.cut.count({s.node, p.node}) || state_.cut.count({p.node, s.node}))) {
          peers.push_back(p.node);
        }
      }
      set(&t_.lanes[i].net, &lanes_[i].net, now, peers.empty() ? "" : "cut",
          peers.empty() ? "" : "cut off from " + join(peers, ", "));
    }
    set(&t_.network, &network_, now, partitions_.empty() ? "" : "partition", join(partitions_, "; "));
  }

  static void set(std::vector<Span>* out, Open* o, int64_t now, const std::string& kind, const std::string& label) {
    if (o->open && o->kind == kind && o->label == label) return;
    close(out, o, now);
    if (kind.empty()) return;
    *o = Open{true, now, kind, label};
  }

  static void close(std::vector<Span>* out, Open* o, int64_t now) {
    if (!o->open) return;
    if (now > o->begin_ns) out->push_back(Span{o->begin_ns, now, o->kind, o->label});
    o->open = false;
  }

  void thin_moments(std::vector<Moment> all, size_t max) {
    t_.moments_total = all.size();
    if (max == 0 || all.size() <= max) {
      t_.moments = std::move(all);
      return;
    }
    // Evenly spaced picks, always the first and the last.
    for (size_t k = 0; k < max; k++) {
      size_t idx = max == 1 ? 0 : k * (all.size() - 1) / (max - 1);
      t_.moments.push_back(std::move(all[idx]));
    }
  }

  const RunData& run_;
  Timeline& t_;
  ClusterState state_;
  std::map<std::string, size_t> index_;
  std::vector<LaneOpen> lanes_;
  Open network_;
  std::vector<std::string> partitions_;
  // The partition fault whose sides a partition_sides event may still give.
  nlohmann::json pending_fault_;
  size_t pending_span_ = 0;
  std::set<std::pair<std::string, std::string>> cut_before_;
};

}  // namespace

bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = a[i] >= '0' && a[i] <= '9', db = b[j] >= '0' && b[j] <= '9';
    if (da && db) {
      size_t ei = i, ej = j;
      while (ei < a.size() && a[ei] >= '0' && a[ei] <= '9') ei++;
      while (ej < b.size() && b[ej] >= '0' && b[ej] <= '9') ej++;
      std::string_view na = std::string_view(a).substr(i, ei - i), nb = std::string_view(b).substr(j, ej - j);
      while (na.size() > 1 && na[0] == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb[0] == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ei;
      j = ej;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      i++;
      j++;
    }
  }
  return a.size() - i < b.size() - j;
}

bool ClusterState::reaches(const std::string& from, const std::string& to) const {
  const NodeState* a = find(from);
  const NodeState* b = find(to);
  if (a == nullptr || b == nullptr || !a->up || !b->up || a->paused || b->paused) return false;
  return cut.count({from, to}) == 0;
}

const NodeState* ClusterState::find(const std::string& node) const {
  for (const NodeState& n : nodes) {
    if (n.node == node) return &n;
  }
  return nullptr;
}

Timeline build_timeline(const RunData& run, size_t moments_max) {
  Timeline t;
  Builder(run, &t).build(moments_max);
  return t;
}

}  // namespace kz::reports
