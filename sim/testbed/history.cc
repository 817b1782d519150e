#include "sim/testbed/history.h"

#include <fmt/format.h>

#include "core/base/assert.h"

namespace kz::testbed {

std::string_view op_type_name(OpType type) {
  switch (type) {
    case OpType::kInvoke: return "invoke";
    case OpType::kOk: return "ok";
    case OpType::kFail: return "fail";
    case OpType::kInfo: return "info";
  }
  return "?";
}

int64_t HistField::as_int() const {
  KZ_ASSERT_MSG(kind_ == Kind::kInt, fmt::format("history field '{}' is not an integer", key()));
  return int_;
}

bool HistField::as_bool() const {
  KZ_ASSERT_MSG(kind_ == Kind::kBool, fmt::format("history field '{}' is not a boolean", key()));
  return int_ != 0;
}

const std::string& HistField::str() const {
  KZ_ASSERT_MSG(kind_ == Kind::kString, fmt::format("history field '{}' is not a string", key()));
  return string_;
}

const HistJson& HistField::json() const {
  KZ_ASSERT_MSG(kind_ == Kind::kJson, fmt::format("history field '{}' is not a json value", key()));
  return json_;
}

HistJson HistField::to_json() const {
  switch (kind_) {
    case Kind::kNull: return nullptr;
    case Kind::kBool: return int_ != 0;
    case Kind::kInt: return int_;
    case Kind::kString: return string_;
    case Kind::kJson: return json_;
  }
  return nullptr;
}

const HistField* HistValue::find(std::string_view key) const {
  for (const HistField& f : fields_) {
    if (f.key() == key) return &f;
  }
  return nullptr;
}

const HistField& HistValue::operator[](std::string_view key) const {
  const HistField* f = find(key);
  KZ_ASSERT_MSG(f != nullptr, fmt::format("history entry has no field '{}'", key));
  return *f;
}

HistJson HistValue::to_json() const {
  if (!object_) return nullptr;
  HistJson j = HistJson::object();
  for (const HistField& f : fields_) j[std::string(f.key())] = f.to_json();
  return j;
}

uint64_t History::invoke(int64_t time_ns, std::string_view process, std::string_view f, HistValue value) {
  uint64_t op = invoke_index_.size() + 1;
  invoke_index_.push_back(entries_.size());
  completion_index_.push_back(-1);
  HistoryEntry& e = entries_.emplace_back();  // built in place: entries are many and not small
  e.index = entries_.size() - 1;
  e.op = op;
  e.time_ns = time_ns;
  e.type = OpType::kInvoke;
  e.process = process;
  e.f = f;
  e.value = std::move(value);
  return op;
}

void History::complete(int64_t time_ns, uint64_t op, OpType type, HistValue value, std::string_view error) {
  KZ_ASSERT(op >= 1 && op <= invoke_index_.size());
  KZ_ASSERT_MSG(completion_index_[op - 1] < 0, "operation completed twice");
  const size_t inv_index = invoke_index_[op - 1];
  KZ_ASSERT(time_ns >= entries_[inv_index].time_ns);
  completion_index_[op - 1] = static_cast<int64_t>(entries_.size());
  HistoryEntry& e = entries_.emplace_back();  // chunked: the invocation's reference stays valid
  const HistoryEntry& inv = entries_[inv_index];
  e.index = entries_.size() - 1;
  e.op = op;
  e.time_ns = time_ns;
  e.type = type;
  e.process = inv.process;
  e.f = inv.f;
  e.value = std::move(value);
  e.error = error;
}

void History::ok(int64_t time_ns, uint64_t op, HistValue value) {
  complete(time_ns, op, OpType::kOk, std::move(value), "");
}
void History::fail(int64_t time_ns, uint64_t op, std::string_view error) {
  complete(time_ns, op, OpType::kFail, nullptr, error);
}
void History::info(int64_t time_ns, uint64_t op, std::string_view error) {
  complete(time_ns, op, OpType::kInfo, nullptr, error);
}

const HistoryEntry& History::invocation(uint64_t op) const {
  KZ_ASSERT(op >= 1 && op <= invoke_index_.size());
  return entries_[invoke_index_[op - 1]];
}

const HistoryEntry* History::completion(uint64_t op) const {
  KZ_ASSERT(op >= 1 && op <= invoke_index_.size());
  int64_t i = completion_index_[op - 1];
  return i < 0 ? nullptr : &entries_[static_cast<size_t>(i)];
}

std::string History::to_jsonl() const {
  std::string out;
  for (const HistoryEntry& e : entries_) {
    nlohmann::json j = {{"index", e.index}, {"op", e.op},         {"time_ns", e.time_ns},
                        {"type", op_type_name(e.type)}, {"process", e.process}, {"f", e.f}};
    if (!e.value.is_null()) j["value"] = e.value.to_json();
    if (!e.error.empty()) j["error"] = e.error;
    out += j.dump();
    out += '\n';
  }
  return out;
}

}  // namespace kz::testbed
