// The contents of a run directory (summary.json, history.jsonl, events.jsonl, scenario.toml) parsed
// into plain structs for the report. Parsing is strict: a malformed line is an error naming the file
// and line, never a crash.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace kz::reports {

// A cluster event (events.jsonl): true simulated time, the node that raised it ("testbed" for
// faults and heals), its kind and fields.
struct Event {
  int64_t time_ns = 0;
  std::string node;
  std::string kind;
  nlohmann::json fields;  // object
};

// A client operation: its invocation joined with its completion (history.jsonl).
struct Op {
  uint64_t id = 0;
  std::string process;
  std::string f;
  int64_t invoke_ns = 0;
  int64_t complete_ns = -1;      // -1: never completed
  std::string type = "pending";  // ok, fail, info, pending
  nlohmann::json args;           // value on invoke
  nlohmann::json result;         // value on completion
  std::string error;
};

struct RunData {
  nlohmann::json summary;  // object
  std::string scenario_text;
  std::vector<Event> events;  // in file order (true time, non-decreasing)
  std::vector<Op> ops;        // by operation id
  size_t history_entries = 0;
  int64_t end_ns = 0;  // the run's length: summary sim_ms, or the last time seen
};

Result<std::vector<Event>> parse_events_jsonl(std::string_view text, std::string_view file_name);
// Ops ordered by id; `entries_out` (optional) receives the number of history lines.
Result<std::vector<Op>> parse_history_jsonl(std::string_view text, std::string_view file_name, size_t* entries_out);
// `summary_text` must be a JSON object (summary.json).
Result<RunData> parse_run(std::string_view summary_text, std::string_view history_text, std::string_view events_text,
                          std::string scenario_text);

// Operation ids the failed checks point at: each failed check's witness_ops, or, when a summary
// has none, the "op" fields of its witness entries. Sorted, unique.
std::vector<uint64_t> witness_op_ids(const nlohmann::json& summary);

}  // namespace kz::reports
