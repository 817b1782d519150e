#include "reports/run_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace kz::reports {

namespace {

Status line_error(std::string_view file, size_t line, std::string_view problem) {
  return Status(Code::kCorruption, fmt::format("{}:{}: {}", file, line, problem));
}

// Calls `fn(line_number, json_object)` for each non-empty line.
template <typename Fn>
Status each_json_line(std::string_view text, std::string_view file, Fn fn) {
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    line_no++;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return line_error(file, line_no, "not a JSON object");
    KZ_RETURN_IF_ERROR(fn(line_no, j));
  }
  return Status::ok();
}

bool get_int(const nlohmann::json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}

std::string get_string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<std::vector<Event>> parse_events_jsonl(std::string_view text, std::string_view file_name) {
  std::vector<Event> out;
  KZ_RETURN_IF_ERROR(each_json_line(text, file_name, [&](size_t line, const nlohmann::json& j) -> Status {
    Event e;
    if (!get_int(j, "time_ns", &e.time_ns)) return line_error(file_name, line, "missing integer time_ns");
    e.node = get_string(j, "node");
    e.kind = get_string(j, "kind");
    if (e.kind.empty()) return line_error(file_name, line, "missing kind");
    auto f = j.find("fields");
    e.fields = f != j.end() && f->is_object() ? *f : nlohmann::json::object();
    out.push_back(std::move(e));
    return Status::ok();
  }));
  // The log appends in true time order; keep the report's model correct even if a file was edited.
  std::stable_sort(out.begin(), out.end(), [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; });
  return out;
}

Result<std::vector<Op>> parse_history_jsonl(std::string_view text, std::string_view file_name, size_t* entries_out) {
  std::map<uint64_t, Op> ops;
  size_t entries = 0;
  KZ_RETURN_IF_ERROR(each_json_line(text, file_name, [&](size_t line, const nlohmann::json& j) -> Status {
    int64_t id = 0, time_ns = 0;
    if (!get_int(j, "op", &id) || id <= 0) return line_error(file_name, line, "missing positive integer op");
    if (!get_int(j, "time_ns", &time_ns)) return line_error(file_name, line, "missing integer time_ns");
    std::string type = get_string(j, "type");
    entries++;
    Op& op = ops[static_cast<uint64_t>(id)];
    op.id = static_cast<uint64_t>(id);
    auto value = j.find("value");
    if (type == "invoke") {
      op.process = get_string(j, "process");
      op.f = get_string(j, "f");
      op.invoke_ns = time_ns;
      if (value != j.end()) op.args = *value;
    } else if (type == "ok" || type == "fail" || type == "info") {
      op.type = type;
      op.complete_ns = time_ns;
      if (value != j.end()) op.result = *value;
      op.error = get_string(j, "error");
      if (op.process.empty()) op.process = get_string(j, "process");
      if (op.f.empty()) op.f = get_string(j, "f");
    } else {
      return line_error(file_name, line, fmt::format("unknown type '{}' (invoke, ok, fail, info)", type));
    }
    return Status::ok();
  }));
  if (entries_out != nullptr) *entries_out = entries;
  std::vector<Op> out;
  out.reserve(ops.size());
  for (auto& [id, op] : ops) out.push_back(std::move(op));
  return out;
}

Result<RunData> parse_run(std::string_view summary_text, std::string_view history_text, std::string_view events_text,
                          std::string scenario_text) {
  RunData run;
  run.summary = nlohmann::json::parse(summary_text, nullptr, /*allow_exceptions=*/false);
  if (run.summary.is_discarded() || !run.summary.is_object()) {
    return Status(Code::kCorruption, "summary.json: not a JSON object");
  }
  KZ_ASSIGN_OR_RETURN(run.events, parse_events_jsonl(events_text, "events.jsonl"));
  KZ_ASSIGN_OR_RETURN(run.ops, parse_history_jsonl(history_text, "history.jsonl", &run.history_entries));
  run.scenario_text = std::move(scenario_text);
  int64_t sim_ms = 0;
  if (get_int(run.summary, "sim_ms", &sim_ms)) run.end_ns = sim_ms * 1'000'000;
  for (const Event& e : run.events) run.end_ns = std::max(run.end_ns, e.time_ns);
  for (const Op& op : run.ops) run.end_ns = std::max({run.end_ns, op.invoke_ns, op.complete_ns});
  return run;
}

std::vector<uint64_t> witness_op_ids(const nlohmann::json& summary) {
  std::vector<uint64_t> out;
  auto checks = summary.find("checks");
  if (checks == summary.end() || !checks->is_array()) return out;
  for (const nlohmann::json& c : *checks) {
    if (!c.is_object() || c.value("ok", true)) continue;
    auto ids = c.find("witness_ops");
    if (ids != c.end() && ids->is_array() && !ids->empty()) {
      for (const nlohmann::json& id : *ids) {
        if (id.is_number_unsigned() || id.is_number_integer()) out.push_back(id.get<uint64_t>());
      }
      continue;
    }
    auto witness = c.find("witness");
    if (witness == c.end()) continue;
    // Look one level into arrays and objects for {"op": N} entries.
    auto visit = [&](const nlohmann::json& item) {
      if (item.is_object() && item.contains("op") && item["op"].is_number_integer()) {
        out.push_back(item["op"].get<uint64_t>());
      }
    };
    if (witness->is_array()) {
      for (const nlohmann::json& item : *witness) visit(item);
    } else if (witness->is_object()) {
      for (const auto& [key, item] : witness->items()) {
        if (item.is_array()) {
          for (const nlohmann::json& x : item) visit(x);
        }
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace kz::reports
