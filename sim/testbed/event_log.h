// The run's log sink: keeps every structured cluster event (elections, crashes, faults, sessions...)
// for events.jsonl, the report's timeline and the checkers, and the text log lines for log.txt.
// Optionally echoes log lines to stderr (kz sim run --verbose).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/base/log.h"

namespace kz::testbed {

struct ClusterEvent {
  int64_t time_ns = 0;
  std::string node;
  std::string kind;
  nlohmann::json fields;  // object
};

class EventLog final : public LogSink {
 public:
  // time_ns in log lines is the node's clock; events also record true time via `true_time`.
  using TrueTimeFn = int64_t (*)(void* ctx);
  EventLog(TrueTimeFn true_time, void* ctx) : true_time_(true_time), ctx_(ctx) {}

  void set_echo(Level min_level) {
    echo_ = true;
    echo_level_ = min_level;
  }
  void set_keep_text(bool keep) { keep_text_ = keep; }
  void write(Level level, std::string_view node, int64_t time_ns, std::string_view component,
             std::string_view message) override;
  void event(std::string_view node, int64_t time_ns, std::string_view kind,
             std::initializer_list<Field> fields) override;
  // Events raised by the testbed itself (faults, heals) rather than a node.
  void add(std::string_view node, std::string_view kind, nlohmann::json fields);

  const std::vector<ClusterEvent>& events() const { return events_; }
  const std::string& text() const { return text_; }
  std::string to_jsonl() const;

 private:
  TrueTimeFn true_time_;
  void* ctx_;
  bool echo_ = false;
  Level echo_level_ = Level::kInfo;
  bool keep_text_ = true;
  std::vector<ClusterEvent> events_;
  std::string text_;
};

}  // namespace kz::testbed
