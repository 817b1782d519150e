// Histories: every client operation of a run, recorded as invoke / ok / fail / info with true
// simulated times (Jepsen's model). `fail` means the operation certainly did not take effect;
// `info` means its outcome is unknown (a timeout, a lost connection): checkers must allow both.
#pragma once

#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kz::testbed {

enum class OpType : uint8_t { kInvoke, kOk, kFail, kInfo };

// An entry's arguments or results: a small json object. Insertion-ordered (a vector of pairs), not a
// std::map: one allocation per entry instead of one per field, which made the history a quarter of a
// busy simulation's CPU time.
using HistValue = nlohmann::ordered_json;
// One field of an entry's value. Workloads pass `{{"key", k}, {"version", v}}`: the initializer_list
// overloads below build the object directly (json's own initializer lists first build every pair as a
// two-element array, one allocation per field).
using HistField = std::pair<std::string_view, HistValue>;
HistValue make_hist_value(std::initializer_list<HistField> fields);

// The same built in place from alternating keys and values, hist("key", k, "value", v): no
// temporary json per field and no copy of it (strings are moved in). For the busiest workloads.
namespace detail {
inline void hist_emplace(HistValue::object_t&) {}
template <typename V, typename... Rest>
void hist_emplace(HistValue::object_t& object, std::string_view key, V&& value, Rest&&... rest) {
  object.emplace_back(std::string(key), HistValue(std::forward<V>(value)));
  hist_emplace(object, std::forward<Rest>(rest)...);
}
}  // namespace detail
template <typename... KeyValues>
HistValue hist(KeyValues&&... kv) {
  static_assert(sizeof...(KeyValues) % 2 == 0, "hist() takes key, value pairs");
  HistValue v = HistValue::object();
  auto& object = v.get_ref<HistValue::object_t&>();
  object.reserve(sizeof...(KeyValues) / 2);
  detail::hist_emplace(object, std::forward<KeyValues>(kv)...);
  return v;
}
std::string_view op_type_name(OpType type);

struct HistoryEntry {
  uint64_t index = 0;  // position in the history
  uint64_t op = 0;     // the operation this entry belongs to (invoke and completion share it)
  int64_t time_ns = 0;
  OpType type = OpType::kInvoke;
  std::string process;  // the client ("c3")
  std::string f;        // the function: "write", "read", "cas", "echo"...
  HistValue value;  // arguments on invoke, results on completion
  std::string error;     // on fail/info
};

class History {
 public:
  uint64_t invoke(int64_t time_ns, const std::string& process, const std::string& f, HistValue value);
  void ok(int64_t time_ns, uint64_t op, HistValue value);
  uint64_t invoke(int64_t time_ns, const std::string& process, const std::string& f,
                  std::initializer_list<HistField> fields) {
    return invoke(time_ns, process, f, make_hist_value(fields));
  }
  void ok(int64_t time_ns, uint64_t op, std::initializer_list<HistField> fields) {
    ok(time_ns, op, make_hist_value(fields));
  }
  void fail(int64_t time_ns, uint64_t op, const std::string& error);
  void info(int64_t time_ns, uint64_t op, const std::string& error);

  const std::deque<HistoryEntry>& entries() const { return entries_; }
  // The invoke entry of an operation.
  const HistoryEntry& invocation(uint64_t op) const;
  // The completion of an operation, or null while pending.
  const HistoryEntry* completion(uint64_t op) const;
  size_t ops() const { return invoke_index_.size(); }
  std::string to_jsonl() const;

 private:
  void complete(int64_t time_ns, uint64_t op, OpType type, HistValue value, const std::string& error);
  std::deque<HistoryEntry> entries_;  // a deque: growing never moves (or re-faults) the entries
  std::vector<size_t> invoke_index_;      // op id - 1 -> entry index
  std::vector<int64_t> completion_index_;  // op id - 1 -> entry index, -1 while pending
};

}  // namespace kz::testbed
