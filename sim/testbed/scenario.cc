#include "sim/testbed/scenario.h"

#include <fmt/format.h>

#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace kz::testbed {

namespace {

// Error context: which file and where.
struct Ctx {
  std::string_view path;
  Status err(const toml::node& node, std::string_view key, std::string_view problem) const {
    return Status(Code::kInvalidArgument,
                  fmt::format("{}:{}: {}: {}", path, node.source().begin.line, key, problem));
  }
  Status err_line(int line, std::string_view key, std::string_view problem) const {
    return Status(Code::kInvalidArgument, fmt::format("{}:{}: {}: {}", path, line, key, problem));
  }
};

Status check_keys(const Ctx& ctx, const toml::table& table, std::string_view section,
                  const std::set<std::string_view>& allowed) {
  for (auto&& [k, v] : table) {
    if (!allowed.count(k.str())) {
      std::string known;
      for (auto a : allowed) known += fmt::format("{}{}", known.empty() ? "" : ", ", a);
      std::string full = section.empty() ? std::string(k.str()) : fmt::format("{}.{}", section, k.str());
      return ctx.err(v, full, fmt::format("unknown key (known: {})", known));
    }
  }
  return Status::ok();
}

Status get_string(const Ctx& ctx, const toml::table& t, std::string_view key, std::string_view full,
                  std::string* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::ok();
  if (!n->is_string()) return ctx.err(*n, full, "must be a string");
  *out = n->as_string()->get();
  return Status::ok();
}

Status get_int(const Ctx& ctx, const toml::table& t, std::string_view key, std::string_view full, int64_t* out,
               int64_t min, int64_t max) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::ok();
  if (!n->is_integer()) return ctx.err(*n, full, "must be an integer");
  int64_t v = n->as_integer()->get();
  if (v < min || v > max) return ctx.err(*n, full, fmt::format("{} is out of range [{}, {}]", v, min, max));
  *out = v;
  return Status::ok();
}

Status get_number(const Ctx& ctx, const toml::table& t, std::string_view key, std::string_view full, double* out,
                  double min, double max) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::ok();
  double v;
  if (n->is_integer()) {
    v = static_cast<double>(n->as_integer()->get());
  } else if (n->is_floating_point()) {
    v = n->as_floating_point()->get();
  } else {
    return ctx.err(*n, full, "must be a number");
  }
  if (v < min || v > max) return ctx.err(*n, full, fmt::format("{} is out of range [{}, {}]", v, min, max));
  *out = v;
  return Status::ok();
}

Status get_bool(const Ctx& ctx, const toml::table& t, std::string_view key, std::string_view full, bool* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::ok();
  if (!n->is_boolean()) return ctx.err(*n, full, "must be true or false");
  *out = n->as_boolean()->get();
  return Status::ok();
}

Status get_string_list(const Ctx& ctx, const toml::table& t, std::string_view key, std::string_view full,
                       std::vector<std::string>* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::ok();
  const toml::array* arr = n->as_array();
  if (arr == nullptr) return ctx.err(*n, full, "must be an array of strings");
  out->clear();
  for (auto&& item : *arr) {
    if (!item.is_string()) return ctx.err(item, full, "must be an array of strings");
    out->push_back(item.as_string()->get());
  }
  return Status::ok();
}

// Converts the keys of a table not in `known` into a JSON object of parameters.
Result<nlohmann::json> params_of(const Ctx& ctx, const toml::table& t, std::string_view section,
                                 const std::set<std::string_view>& known) {
  nlohmann::json params = nlohmann::json::object();
  for (auto&& [k, v] : t) {
    if (known.count(k.str())) continue;
    std::string full = fmt::format("{}.{}", section, k.str());
    if (v.is_integer()) {
      params[std::string(k.str())] = v.as_integer()->get();
    } else if (v.is_floating_point()) {
      params[std::string(k.str())] = v.as_floating_point()->get();
    } else if (v.is_boolean()) {
      params[std::string(k.str())] = v.as_boolean()->get();
    } else if (v.is_string()) {
      params[std::string(k.str())] = v.as_string()->get();
    } else if (const toml::array* arr = v.as_array()) {
      nlohmann::json items = nlohmann::json::array();
      for (auto&& item : *arr) {
        if (item.is_string()) items.push_back(item.as_string()->get());
        else if (item.is_integer()) items.push_back(item.as_integer()->get());
        else return ctx.err(item, full, "arrays may hold strings or integers only");
      }
      params[std::string(k.str())] = items;
    } else {
      return ctx.err(v, full, "unsupported value type");
    }
  }
  return params;
}

std::string config_value(const toml::node& v) {
  if (v.is_string()) return v.as_string()->get();
  if (v.is_integer()) return std::to_string(v.as_integer()->get());
  if (v.is_boolean()) return v.as_boolean()->get() ? "true" : "false";
  if (v.is_floating_point()) return fmt::format("{}", v.as_floating_point()->get());
  return "";
}

}  // namespace

uint64_t scenario_hash(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

Result<Scenario> parse_scenario(std::string_view text, std::string_view path) {
  Ctx ctx{path};
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Status(Code::kInvalidArgument,
                  fmt::format("{}:{}: {}", path, e.source().begin.line, e.description()));
  }
  Scenario s;
  s.path = std::string(path);
  s.text = std::string(text);
  KZ_RETURN_IF_ERROR(check_keys(ctx, root, "",
                                {"name", "description", "duration_ms", "cluster", "network", "workload", "fault", "buggify",
                                 "nemesis", "check"}));
  KZ_RETURN_IF_ERROR(get_string(ctx, root, "name", "name", &s.name));
  KZ_RETURN_IF_ERROR(get_string(ctx, root, "description", "description", &s.description));
  KZ_RETURN_IF_ERROR(get_int(ctx, root, "duration_ms", "duration_ms", &s.duration_ms, 1, 24LL * 3600 * 1000));
  if (s.name.empty()) return ctx.err_line(1, "name", "is required");

  if (const toml::node* n = root.get("cluster")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) return ctx.err(*n, "cluster", "must be a table");
    KZ_RETURN_IF_ERROR(check_keys(ctx, *t, "cluster", {"service", "nodes", "config"}));
    KZ_RETURN_IF_ERROR(get_string(ctx, *t, "service", "cluster.service", &s.service));
    int64_t nodes = s.nodes;
    KZ_RETURN_IF_ERROR(get_int(ctx, *t, "nodes", "cluster.nodes", &nodes, 1, 9));
    s.nodes = static_cast<int>(nodes);
    if (const toml::node* c = t->get("config")) {
      const toml::table* ct = c->as_table();
      if (ct == nullptr) return ctx.err(*c, "cluster.config", "must be a table");
      for (auto&& [k, v] : *ct) {
        std::string value = config_value(v);
        if (value.empty() && !v.is_string()) {
          return ctx.err(v, fmt::format("cluster.config.{}", k.str()), "must be a string, number or boolean");
        }
        s.config[std::string(k.str())] = value;
      }
    }
  }

  if (const toml::node* n = root.get("network")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) return ctx.err(*n, "network", "must be a table");
    KZ_RETURN_IF_ERROR(
        check_keys(ctx, *t, "network", {"latency_min_us", "latency_max_us", "distribution", "bandwidth_mbps"}));
    KZ_RETURN_IF_ERROR(get_int(ctx, *t, "latency_min_us", "network.latency_min_us", &s.network.latency_min_us, 0,
                               10'000'000));
    KZ_RETURN_IF_ERROR(get_int(ctx, *t, "latency_max_us", "network.latency_max_us", &s.network.latency_max_us, 0,
                               10'000'000));
    KZ_RETURN_IF_ERROR(get_string(ctx, *t, "distribution", "network.distribution", &s.network.distribution));
    KZ_RETURN_IF_ERROR(get_int(ctx, *t, "bandwidth_mbps", "network.bandwidth_mbps", &s.network.bandwidth_mbps, 0,
                               1'000'000));
    if (s.network.latency_max_us < s.network.latency_min_us) {
      return ctx.err(*n, "network.latency_max_us", "must be >= latency_min_us");
    }
    if (s.network.distribution != "uniform" && s.network.distribution != "exponential") {
      return ctx.err(*t->get("distribution"), "network.distribution", "must be \"uniform\" or \"exponential\"");
    }
  }

  if (const toml::node* n = root.get("workload")) {
    const toml::array* arr = n->as_array();
    if (arr == nullptr || !arr->is_array_of_tables()) return ctx.err(*n, "workload", "must be [[workload]] tables");
    int index = 0;
    for (auto&& item : *arr) {
      const toml::table& t = *item.as_table();
      WorkloadSpec w;
      w.line = static_cast<int>(t.source().begin.line);
      KZ_RETURN_IF_ERROR(get_string(ctx, t, "kind", "workload.kind", &w.kind));
      if (w.kind.empty()) return ctx.err(t, "workload.kind", "is required");
      w.name = index == 0 ? w.kind : fmt::format("{}{}", w.kind, index);
      KZ_RETURN_IF_ERROR(get_string(ctx, t, "name", "workload.name", &w.name));
      int64_t clients = w.clients;
      KZ_RETURN_IF_ERROR(get_int(ctx, t, "clients", "workload.clients", &clients, 1, 1000));
      w.clients = static_cast<int>(clients);
      KZ_RETURN_IF_ERROR(get_number(ctx, t, "rate_per_sec", "workload.rate_per_sec", &w.rate_per_sec, 0.001, 1e6));
      KZ_ASSIGN_OR_RETURN(w.params, params_of(ctx, t, "workload", {"kind", "name", "clients", "rate_per_sec"}));
      s.workloads.push_back(std::move(w));
      index++;
    }
  }

  if (const toml::node* n = root.get("fault")) {
    const toml::array* arr = n->as_array();
    if (arr == nullptr || !arr->is_array_of_tables()) return ctx.err(*n, "fault", "must be [[fault]] tables");
    for (auto&& item : *arr) {
      const toml::table& t = *item.as_table();
      FaultSpec f;
      f.line = static_cast<int>(t.source().begin.line);
      KZ_RETURN_IF_ERROR(get_string(ctx, t, "kind", "fault.kind", &f.kind));
      if (f.kind.empty()) return ctx.err(t, "fault.kind", "is required");
      if (t.get("at_ms") == nullptr) return ctx.err(t, "fault.at_ms", "is required");
      KZ_RETURN_IF_ERROR(get_int(ctx, t, "at_ms", "fault.at_ms", &f.at_ms, 0, s.duration_ms));
      KZ_RETURN_IF_ERROR(get_string(ctx, t, "target", "fault.target", &f.target));
      KZ_RETURN_IF_ERROR(get_int(ctx, t, "duration_ms", "fault.duration_ms", &f.duration_ms, 0, 24LL * 3600 * 1000));
      KZ_ASSIGN_OR_RETURN(f.params, params_of(ctx, t, "fault", {"kind", "at_ms", "target", "duration_ms"}));
      s.faults.push_back(std::move(f));
    }
  }

  if (const toml::node* n = root.get("nemesis")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) return ctx.err(*n, "nemesis", "must be a table");
    NemesisSpec& nm = s.nemesis;
    nm.line = static_cast<int>(t->source().begin.line);
    KZ_RETURN_IF_ERROR(check_keys(ctx, *t, "nemesis",
                                  {"enabled", "kinds", "targets", "start_ms", "interval_ms", "fault_duration_ms", "heal_at_ms",
                                   "mode"}));
    nm.enabled = true;
    KZ_RETURN_IF_ERROR(get_bool(ctx, *t, "enabled", "nemesis.enabled", &nm.enabled));
    KZ_RETURN_IF_ERROR(get_string_list(ctx, *t, "kinds", "nemesis.kinds", &nm.kinds));
    KZ_RETURN_IF_ERROR(get_string_list(ctx, *t, "targets", "nemesis.targets", &nm.targets));
    KZ_RETURN_IF_ERROR(get_int(ctx, *t, "start_ms", "nemesis.start_ms", &nm.start_ms, 0, s.duration_ms));
    KZ_RETURN_IF_ERROR(get_int(ctx, *t, "interval_ms", "nemesis.interval_ms", &nm.interval_ms, 1, s.duration_ms));
    KZ_RETURN_IF_ERROR(get_int(ctx, *t, "fault_duration_ms", "nemesis.fault_duration_ms", &nm.fault_duration_ms, 1,
                               s.duration_ms));
    KZ_RETURN_IF_ERROR(get_int(ctx, *t, "heal_at_ms", "nemesis.heal_at_ms", &nm.heal_at_ms, -1, s.duration_ms));
    KZ_RETURN_IF_ERROR(get_string(ctx, *t, "mode", "nemesis.mode", &nm.mode));
    if (nm.mode != "safety" && nm.mode != "liveness") {
      return ctx.err(*t->get("mode"), "nemesis.mode", "must be \"safety\" or \"liveness\"");
    }
    if (nm.enabled && nm.kinds.empty()) return ctx.err(*t, "nemesis.kinds", "must list at least one fault kind");
  }

  if (const toml::node* n = root.get("buggify")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) return ctx.err(*n, "buggify", "must be a table");
    KZ_RETURN_IF_ERROR(check_keys(ctx, *t, "buggify", {"enabled", "point_on_chance", "fire_chance"}));
    s.buggify.enabled = true;
    KZ_RETURN_IF_ERROR(get_bool(ctx, *t, "enabled", "buggify.enabled", &s.buggify.enabled));
    for (auto [key, field] : {std::pair{"point_on_chance", &s.buggify.point_on_chance},
                              std::pair{"fire_chance", &s.buggify.fire_chance}}) {
      if (const toml::node* v = t->get(key)) {
        std::optional<double> d = v->value<double>();
        if (!d.has_value() || *d < 0 || *d > 1) {
          return ctx.err(*v, fmt::format("buggify.{}", key), "must be a number within [0, 1]");
        }
        *field = *d;
      }
    }
  }

  if (const toml::node* n = root.get("check")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) return ctx.err(*n, "check", "must be a table");
    KZ_RETURN_IF_ERROR(check_keys(ctx, *t, "check", {"checkers", "liveness_ms", "final_heal"}));
    KZ_RETURN_IF_ERROR(get_string_list(ctx, *t, "checkers", "check.checkers", &s.checkers));
    KZ_RETURN_IF_ERROR(get_int(ctx, *t, "liveness_ms", "check.liveness_ms", &s.liveness_ms, 0, 3600 * 1000));
    KZ_RETURN_IF_ERROR(get_bool(ctx, *t, "final_heal", "check.final_heal", &s.final_heal));
  }
  if (s.nemesis.enabled && s.nemesis.heal_at_ms < 0) {
    s.nemesis.heal_at_ms = std::max<int64_t>(s.nemesis.start_ms, s.duration_ms - s.liveness_ms);
  }
  return s;
}

namespace {
std::string toml_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

void write_params(std::ostringstream& out, const nlohmann::json& params) {
  for (auto it = params.begin(); it != params.end(); ++it) {
    out << it.key() << " = ";
    if (it->is_string()) out << toml_quote(it->get<std::string>());
    else out << it->dump();
    out << "\n";
  }
}
}  // namespace

std::string scenario_to_toml(const Scenario& s) {
  std::ostringstream out;
  out << "name = " << toml_quote(s.name) << "\n";
  if (!s.description.empty()) out << "description = " << toml_quote(s.description) << "\n";
  out << "duration_ms = " << s.duration_ms << "\n\n";
  out << "[cluster]\nservice = " << toml_quote(s.service) << "\nnodes = " << s.nodes << "\n";
  if (!s.config.empty()) {
    out << "[cluster.config]\n";
    for (auto& [k, v] : s.config) out << toml_quote(k) << " = " << toml_quote(v) << "\n";
  }
  out << "\n[network]\nlatency_min_us = " << s.network.latency_min_us << "\nlatency_max_us = "
      << s.network.latency_max_us << "\ndistribution = " << toml_quote(s.network.distribution)
      << "\nbandwidth_mbps = " << s.network.bandwidth_mbps << "\n";
  for (const WorkloadSpec& w : s.workloads) {
    out << "\n[[workload]]\nkind = " << toml_quote(w.kind) << "\nname = " << toml_quote(w.name)
        << "\nclients = " << w.clients << "\nrate_per_sec = " << w.rate_per_sec << "\n";
    write_params(out, w.params);
  }
  for (const FaultSpec& f : s.faults) {
    out << "\n[[fault]]\nat_ms = " << f.at_ms << "\nkind = " << toml_quote(f.kind) << "\ntarget = "
        << toml_quote(f.target) << "\nduration_ms = " << f.duration_ms << "\n";
    write_params(out, f.params);
  }
  if (s.nemesis.enabled) {
    out << "\n[nemesis]\nkinds = [";
    for (size_t i = 0; i < s.nemesis.kinds.size(); i++) out << (i ? ", " : "") << toml_quote(s.nemesis.kinds[i]);
    out << "]\n";
    if (!s.nemesis.targets.empty()) {
      out << "targets = [";
      for (size_t i = 0; i < s.nemesis.targets.size(); i++) out << (i ? ", " : "") << toml_quote(s.nemesis.targets[i]);
      out << "]\n";
    }
    out << "start_ms = " << s.nemesis.start_ms << "\ninterval_ms = " << s.nemesis.interval_ms
        << "\nfault_duration_ms = " << s.nemesis.fault_duration_ms << "\nheal_at_ms = " << s.nemesis.heal_at_ms
        << "\nmode = " << toml_quote(s.nemesis.mode) << "\n";
  }
  if (s.buggify.enabled) {
    out << "\n[buggify]\nenabled = true\npoint_on_chance = " << s.buggify.point_on_chance
        << "\nfire_chance = " << s.buggify.fire_chance << "\n";
  }
  out << "\n[check]\nliveness_ms = " << s.liveness_ms << "\nfinal_heal = " << (s.final_heal ? "true" : "false")
      << "\ncheckers = [";
  for (size_t i = 0; i < s.checkers.size(); i++) out << (i ? ", " : "") << toml_quote(s.checkers[i]);
  out << "]\n";
  return out.str();
}

}  // namespace kz::testbed
