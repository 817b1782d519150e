#include "core/base/log.h"

#include <cstdio>

namespace kz {

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarn: return "WARN";
    case Level::kError: return "ERROR";
  }
  return "?";
}

bool parse_level(std::string_view text, Level* out) {
  if (text == "debug") *out = Level::kDebug;
  else if (text == "info") *out = Level::kInfo;
  else if (text == "warn") *out = Level::kWarn;
  else if (text == "error") *out = Level::kError;
  else return false;
  return true;
}

void LogSink::event(std::string_view, int64_t, std::string_view, std::initializer_list<Field>) {}

void StderrLogSink::write(Level level, std::string_view node, int64_t time_ns, std::string_view component,
                          std::string_view message) {
  if (level < min_level_) return;
  std::string line = fmt::format("{:<5} {}.{:03} {} {}: {}\n", level_name(level), time_ns / 1'000'000'000,
                                 (time_ns / 1'000'000) % 1000, node, component, message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void Logger::event(std::string_view kind, std::initializer_list<Field> fields) {
  if (sink_ == nullptr) return;
  std::string text(kind);
  for (const Field& f : fields) {
    text += ' ';
    text += f.name;
    text += '=';
    if (const int64_t* i = std::get_if<int64_t>(&f.value)) {
      text += std::to_string(*i);
    } else {
      text += std::get<std::string>(f.value);
    }
  }
  int64_t t = now();
  sink_->write(Level::kInfo, node_, t, "event", text);
  sink_->event(node_, t, kind, fields);
}

}  // namespace kz
