// Histories: every client operation of a run, recorded as invoke / ok / fail / info with true
// simulated times (Jepsen's model). `fail` means the operation certainly did not take effect;
// `info` means its outcome is unknown (a timeout, a lost connection): checkers must allow both.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace kz::testbed {

enum class OpType : uint8_t { kInvoke, kOk, kFail, kInfo };

// An entry's arguments or results: a few named fields, in insertion order. Keys are string literals
// (HistKey), scalars (integers, strings, booleans) are stored typed, anything else (a list of
// paths...) as json. One allocation per entry for the field vector, and none per integer or short
// string: a busy simulation records two entries per operation, and a json object per entry (a heap
// string per string value, a heap key per long key) made the history 11% of zk-sim-speed's work.
// Serialised (to_json, history.jsonl) exactly as the json object it replaces.
using HistJson = nlohmann::ordered_json;

// A field name: a string literal (only a char array converts; a view of it is kept, not a copy).
class HistKey {
 public:
  template <size_t N>
  constexpr HistKey(const char (&literal)[N]) : name_(literal, N - 1) {}  // NOLINT: implicit on purpose
  std::string_view name() const { return name_; }

 private:
  std::string_view name_;
};

class HistField {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kString, kJson };

  HistField(HistKey key) : key_(key) {}  // NOLINT: a null field
  template <typename T>
  HistField(HistKey key, T&& value) : key_(key) {
    using V = std::remove_cvref_t<T>;
    if constexpr (nlohmann::detail::is_basic_json<V>::value) {
      // Before the string case: a json converts to std::string implicitly (and throws unless it is one).
      kind_ = Kind::kJson;
      json_ = HistJson(std::forward<T>(value));
    } else if constexpr (std::is_same_v<V, bool>) {
      kind_ = Kind::kBool;
      int_ = value ? 1 : 0;
    } else if constexpr (std::is_integral_v<V>) {
      if constexpr (sizeof(V) >= 8 && std::is_unsigned_v<V>) {
        if (value > static_cast<V>(INT64_MAX)) {  // beyond int64: kept as json's unsigned number
          kind_ = Kind::kJson;
          json_ = HistJson(value);
          return;
        }
      }
      kind_ = Kind::kInt;
      int_ = static_cast<int64_t>(value);
    } else if constexpr (std::is_constructible_v<std::string, T&&>) {
      kind_ = Kind::kString;
      string_ = std::string(std::forward<T>(value));
    } else {
      kind_ = Kind::kJson;
      json_ = HistJson(std::forward<T>(value));
    }
  }

  std::string_view key() const { return key_.name(); }
  Kind kind() const { return kind_; }
  // Typed reads; a field of another kind is an invariant break (the workload and its checker disagree).
  int64_t as_int() const;
  bool as_bool() const;
  const std::string& str() const;
  const HistJson& json() const;  // a field stored as json (lists, nested objects)
  // json-style access, so that checkers read `e.value["version"].get<int64_t>()`.
  template <typename T>
  T get() const {
    if (kind_ == Kind::kJson) return json_.get<T>();  // a json-typed field converts as json does
    if constexpr (std::is_same_v<T, bool>) {
      return as_bool();
    } else if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(as_int());
    } else if constexpr (std::is_same_v<T, std::string>) {
      return str();
    } else {
      return json().get<T>();
    }
  }
  // Iterates a json list field: `for (const auto& c : e.value["children"])`.
  HistJson::const_iterator begin() const { return json().begin(); }
  HistJson::const_iterator end() const { return json().end(); }
  HistJson to_json() const;

 private:
  HistKey key_;
  Kind kind_ = Kind::kNull;
  int64_t int_ = 0;
  std::string string_;
  HistJson json_;
};

class HistValue {
 public:
  HistValue() = default;                 // null: no value (fail/info entries)
  HistValue(std::nullptr_t) {}           // NOLINT
  HistValue(std::initializer_list<HistField> fields) : object_(true), fields_(fields) {}
  static HistValue object() {
    HistValue v;
    v.object_ = true;
    return v;
  }
  template <typename... KeyValues>
  friend HistValue hist(KeyValues&&... kv);

  bool is_null() const { return !object_; }
  bool is_object() const { return object_; }
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  const HistField* find(std::string_view key) const;
  // The field `key`; it must exist (as json's const operator[] requires).
  const HistField& operator[](std::string_view key) const;
  // The field's value, or `fallback` without it.
  template <typename T>
  T value(std::string_view key, T fallback) const {
    const HistField* f = find(key);
    return f == nullptr ? fallback : f->get<T>();
  }
  HistJson to_json() const;

 private:
  bool object_ = false;
  std::vector<HistField> fields_;
};

// nlohmann's hook: `nlohmann::json j = value;` and `{"args", value}` serialise a HistValue.
template <typename BasicJson>
void to_json(BasicJson& j, const HistValue& v) {
  j = BasicJson(v.to_json());
}

// An object built in place from alternating keys and values: hist("key", k, "value", v).
namespace detail {
inline void hist_emplace(std::vector<HistField>&) {}
template <typename V, typename... Rest>
void hist_emplace(std::vector<HistField>& fields, HistKey key, V&& value, Rest&&... rest) {
  fields.emplace_back(key, std::forward<V>(value));
  hist_emplace(fields, std::forward<Rest>(rest)...);
}
}  // namespace detail
template <typename... KeyValues>
HistValue hist(KeyValues&&... kv) {
  static_assert(sizeof...(KeyValues) % 2 == 0, "hist() takes key, value pairs");
  HistValue v = HistValue::object();
  v.fields_.reserve(sizeof...(KeyValues) / 2);
  detail::hist_emplace(v.fields_, std::forward<KeyValues>(kv)...);
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

// A history's entries, in fixed chunks: appending never moves an entry (references stay valid) and
// one allocation serves kChunk entries (std::deque's 512-byte blocks held two).
class HistoryEntries {
 public:
  static constexpr size_t kChunk = 512;
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = HistoryEntry;
    using difference_type = std::ptrdiff_t;
    using pointer = const HistoryEntry*;
    using reference = const HistoryEntry&;
    const_iterator() = default;
    const_iterator(const HistoryEntries* store, size_t i) : store_(store), i_(i) {}
    reference operator*() const { return (*store_)[i_]; }
    pointer operator->() const { return &(*store_)[i_]; }
    const_iterator& operator++() {
      i_++;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      i_++;
      return old;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }

   private:
    const HistoryEntries* store_ = nullptr;
    size_t i_ = 0;
  };

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const HistoryEntry& operator[](size_t i) const { return chunks_[i / kChunk][i % kChunk]; }
  HistoryEntry& operator[](size_t i) { return chunks_[i / kChunk][i % kChunk]; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }
  HistoryEntry& emplace_back() {
    if (size_ % kChunk == 0) chunks_.push_back(std::make_unique<HistoryEntry[]>(kChunk));
    HistoryEntry& e = chunks_.back()[size_ % kChunk];
    size_++;
    return e;
  }

 private:
  std::vector<std::unique_ptr<HistoryEntry[]>> chunks_;
  size_t size_ = 0;
};

class History {
 public:
  uint64_t invoke(int64_t time_ns, std::string_view process, std::string_view f, HistValue value);
  void ok(int64_t time_ns, uint64_t op, HistValue value);
  void fail(int64_t time_ns, uint64_t op, std::string_view error);
  void info(int64_t time_ns, uint64_t op, std::string_view error);

  const HistoryEntries& entries() const { return entries_; }
  // The invoke entry of an operation.
  const HistoryEntry& invocation(uint64_t op) const;
  // The completion of an operation, or null while pending.
  const HistoryEntry* completion(uint64_t op) const;
  size_t ops() const { return invoke_index_.size(); }
  std::string to_jsonl() const;

 private:
  void complete(int64_t time_ns, uint64_t op, OpType type, HistValue value, std::string_view error);
  HistoryEntries entries_;
  std::vector<size_t> invoke_index_;      // op id - 1 -> entry index
  std::vector<int64_t> completion_index_;  // op id - 1 -> entry index, -1 while pending
};

}  // namespace kz::testbed
