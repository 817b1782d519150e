#include "core/base/status.h"

#include <cstdio>
#include <cstdlib>

namespace kz {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kNotFound: return "NotFound";
    case Code::kAlreadyExists: return "AlreadyExists";
    case Code::kCorruption: return "Corruption";
    case Code::kIoError: return "IOError";
    case Code::kNoSpace: return "NoSpace";
    case Code::kTimedOut: return "TimedOut";
    case Code::kConnectionRefused: return "ConnectionRefused";
    case Code::kConnectionReset: return "ConnectionReset";
    case Code::kClosed: return "Closed";
    case Code::kCancelled: return "Cancelled";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kUnsupported: return "Unsupported";
    case Code::kBusy: return "Busy";
  }
  return "Unknown";
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

std::string Status::to_string() const {
  if (is_ok()) return "OK";
  std::string out(code_name(rep_->code));
  out += ": ";
  out += rep_->message;
  return out;
}

Status Status::with_context(std::string_view context) const {
  if (is_ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += rep_->message;
  return Status(rep_->code, std::move(msg));
}

void assert_fail(const char* expr, std::string_view message, const char* file, int line) {
  std::fprintf(stderr, "kz: invariant broken at %s:%d: %s%s%.*s\n", file, line, expr,
               message.empty() ? "" : ": ", static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace kz
