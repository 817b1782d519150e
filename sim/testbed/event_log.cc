#include "sim/testbed/event_log.h"

#include <fmt/format.h>

#include <cstdio>

namespace kz::testbed {

void EventLog::write(Level level, std::string_view node, int64_t time_ns, std::string_view component,
                     std::string_view message) {
  if (!keep_text_ && !(echo_ && level >= echo_level_)) return;
  int64_t t = true_time_(ctx_);
  std::string line = fmt::format("{:>10.3f} {:<5} {} {}: {}\n", static_cast<double>(t) / 1e6, level_name(level),
                                 node, component, message);
  if (keep_text_) text_ += line;
  if (echo_ && level >= echo_level_) std::fwrite(line.data(), 1, line.size(), stderr);
}

void EventLog::event(std::string_view node, int64_t, std::string_view kind, std::initializer_list<Field> fields) {
  nlohmann::json j = nlohmann::json::object();
  for (const Field& f : fields) {
    if (const int64_t* i = std::get_if<int64_t>(&f.value)) {
      j[std::string(f.name)] = *i;
    } else {
      j[std::string(f.name)] = std::get<std::string>(f.value);
    }
  }
  events_.push_back(ClusterEvent{true_time_(ctx_), std::string(node), std::string(kind), std::move(j)});
}

void EventLog::add(std::string_view node, std::string_view kind, nlohmann::json fields) {
  int64_t t = true_time_(ctx_);
  if (keep_text_ || echo_) write(Level::kInfo, node, t, "testbed", fmt::format("{} {}", kind, fields.dump()));
  events_.push_back(ClusterEvent{t, std::string(node), std::string(kind), std::move(fields)});
}

std::string EventLog::to_jsonl() const {
  std::string out;
  for (const ClusterEvent& e : events_) {
    nlohmann::json j = {{"time_ns", e.time_ns}, {"node", e.node}, {"kind", e.kind}, {"fields", e.fields}};
    out += j.dump();
    out += '\n';
  }
  return out;
}

}  // namespace kz::testbed
