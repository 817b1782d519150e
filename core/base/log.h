// Logging: one line per event, with a level, the node, the node's time and a component.
// Structured cluster events (leader elected, ISR changed, session expired...) go to an EventSink as
// well, so the testbed can draw them on a timeline and checkers can judge them.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace kz {

enum class Level : uint8_t { kDebug, kInfo, kWarn, kError };
std::string_view level_name(Level level);
// "debug", "info", "warn", "error"; false if unknown.
bool parse_level(std::string_view text, Level* out);

struct Field {
  std::string_view name;
  std::variant<int64_t, std::string> value;
  Field(std::string_view n, int64_t v) : name(n), value(v) {}
  Field(std::string_view n, int v) : name(n), value(int64_t{v}) {}
  Field(std::string_view n, uint64_t v) : name(n), value(static_cast<int64_t>(v)) {}
  Field(std::string_view n, std::string v) : name(n), value(std::move(v)) {}
  Field(std::string_view n, std::string_view v) : name(n), value(std::string(v)) {}
  Field(std::string_view n, const char* v) : name(n), value(std::string(v)) {}
};

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void write(Level level, std::string_view node, int64_t time_ns, std::string_view component,
                     std::string_view message) = 0;
  // A structured event; the default implementation does nothing.
  virtual void event(std::string_view node, int64_t time_ns, std::string_view kind,
                     std::initializer_list<Field> fields);
};

// Writes "LEVEL time node component: message" lines to stderr (real processes, tools).
class StderrLogSink final : public LogSink {
 public:
  explicit StderrLogSink(Level min_level) : min_level_(min_level) {}
  void write(Level level, std::string_view node, int64_t time_ns, std::string_view component,
             std::string_view message) override;

 private:
  Level min_level_;
};

// A node's logger. Time comes from a callback so core/ never reads a clock itself.
class Logger {
 public:
  using TimeFn = int64_t (*)(void* ctx);
  Logger() = default;
  Logger(LogSink* sink, std::string node, TimeFn time_fn, void* time_ctx)
      : sink_(sink), node_(std::move(node)), time_fn_(time_fn), time_ctx_(time_ctx) {}

  const std::string& node() const { return node_; }
  LogSink* sink() const { return sink_; }

  template <typename... Args>
  void log(Level level, std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    if (sink_ == nullptr) return;
    sink_->write(level, node_, now(), component, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void debug(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    log(Level::kDebug, component, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void info(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    log(Level::kInfo, component, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void warn(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    log(Level::kWarn, component, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void error(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    log(Level::kError, component, f, std::forward<Args>(args)...);
  }
  // A cluster event: logged at info and recorded as a structured event.
  void event(std::string_view kind, std::initializer_list<Field> fields);

 private:
  int64_t now() const { return time_fn_ ? time_fn_(time_ctx_) : 0; }
  LogSink* sink_ = nullptr;
  std::string node_;
  TimeFn time_fn_ = nullptr;
  void* time_ctx_ = nullptr;
};

}  // namespace kz
