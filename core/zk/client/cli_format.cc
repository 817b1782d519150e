#include "core/zk/client/cli_format.h"

#include <fmt/format.h>

namespace kz::zk::client {

namespace {

// Days since 1970-01-01 -> proleptic Gregorian year, month (1-12), day (1-31), counting in
// 400-year eras of 146097 days that start on March 1st (so the leap day ends each year).
void civil_from_days(int64_t days, int64_t* year, int* month, int* day) {
  days += 719468;  // from 1970-01-01 to 0000-03-01
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;                                                 // [0, 146096]
  const int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;  // [0, 399]
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // [0, 365]
  const int64_t month_index = (5 * day_of_year + 2) / 153;  // 0 = March
  *day = static_cast<int>(day_of_year - (153 * month_index + 2) / 5 + 1);
  *month = static_cast<int>(month_index < 10 ? month_index + 3 : month_index - 9);
  *year = year_of_era + era * 400 + (*month <= 2 ? 1 : 0);
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

}  // namespace

std::string java_date_utc(int64_t epoch_ms) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t secs = floor_div(epoch_ms, 1000);
  int64_t days = floor_div(secs, 86400);
  int64_t sec_of_day = secs - days * 86400;
  int64_t year = 0;
  int month = 0;
  int day = 0;
  civil_from_days(days, &year, &month, &day);
  int64_t weekday = (days % 7 + 7 + 4) % 7;  // 1970-01-01 was a Thursday
  return fmt::format("{} {} {:02d} {:02d}:{:02d}:{:02d} UTC {}", kDays[weekday], kMonths[month - 1], day,
                     sec_of_day / 3600, sec_of_day / 60 % 60, sec_of_day % 60, year);
}

std::string format_stat(const Stat& s) {
  std::string out;
  out += fmt::format("cZxid = 0x{:x}\n", static_cast<uint64_t>(s.czxid));
  out += fmt::format("ctime = {}\n", java_date_utc(s.ctime));
  out += fmt::format("mZxid = 0x{:x}\n", static_cast<uint64_t>(s.mzxid));
  out += fmt::format("mtime = {}\n", java_date_utc(s.mtime));
  out += fmt::format("pZxid = 0x{:x}\n", static_cast<uint64_t>(s.pzxid));
  out += fmt::format("cversion = {}\n", s.cversion);
  out += fmt::format("dataVersion = {}\n", s.version);
  out += fmt::format("aclVersion = {}\n", s.aversion);
  out += fmt::format("ephemeralOwner = 0x{:x}\n", static_cast<uint64_t>(s.ephemeral_owner));
  out += fmt::format("dataLength = {}\n", s.data_length);
  out += fmt::format("numChildren = {}\n", s.num_children);
  return out;
}

std::string perm_string(int32_t perms) {
  std::string p;
  if ((perms & perms::kCreate) != 0) p += 'c';
  if ((perms & perms::kDelete) != 0) p += 'd';
  if ((perms & perms::kRead) != 0) p += 'r';
  if ((perms & perms::kWrite) != 0) p += 'w';
  if ((perms & perms::kAdmin) != 0) p += 'a';
  return p;
}

Result<int32_t> parse_perms(std::string_view text) {
  int32_t perms = 0;
  for (char c : text) {
    switch (c) {
      case 'r':
        perms |= perms::kRead;
        break;
      case 'w':
        perms |= perms::kWrite;
        break;
      case 'c':
        perms |= perms::kCreate;
        break;
      case 'd':
        perms |= perms::kDelete;
        break;
      case 'a':
        perms |= perms::kAdmin;
        break;
      default:
        return Status(Code::kInvalidArgument, fmt::format("unknown permission '{}' in '{}' (use r w c d a)", c, text));
    }
  }
  return perms;
}

Result<AclList> parse_acl(std::string_view text) {
  AclList out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view entry = text.substr(start, comma - start);
    start = comma + 1;
    if (entry.empty()) continue;
    size_t first = entry.find(':');
    size_t last = entry.rfind(':');
    if (first == std::string_view::npos || first == last) {
      return Status(Code::kInvalidArgument, fmt::format("'{}' does not have the form scheme:id:perm", entry));
    }
    Result<int32_t> perms = parse_perms(entry.substr(last + 1));
    if (!perms.is_ok()) return perms.status();
    Acl acl;
    acl.perms = *perms;
    acl.id.scheme = std::string(entry.substr(0, first));
    acl.id.id = std::string(entry.substr(first + 1, last - first - 1));
    out.push_back(std::move(acl));
  }
  if (out.empty()) return Status(Code::kInvalidArgument, "empty ACL");
  return out;
}

std::string format_acl(const AclList& acl) {
  std::string out;
  for (const Acl& a : acl) out += fmt::format("'{},'{}\n: {}\n", a.id.scheme, a.id.id, perm_string(a.perms));
  return out;
}

std::string format_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); i++) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  out += "]";
  return out;
}

std::string_view keeper_code_text(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kSystemError:
      return "SystemError";
    case ErrorCode::kRuntimeInconsistency:
      return "RuntimeInconsistency";
    case ErrorCode::kDataInconsistency:
      return "DataInconsistency";
    case ErrorCode::kConnectionLoss:
      return "ConnectionLoss";
    case ErrorCode::kMarshallingError:
      return "MarshallingError";
    case ErrorCode::kUnimplemented:
      return "Unimplemented";
    case ErrorCode::kOperationTimeout:
      return "OperationTimeout";
    case ErrorCode::kBadArguments:
      return "BadArguments";
    case ErrorCode::kUnknownSession:
      return "UnknownSession";
    case ErrorCode::kApiError:
      return "APIError";
    case ErrorCode::kNoNode:
      return "NoNode";
    case ErrorCode::kNoAuth:
      return "NoAuth";
    case ErrorCode::kBadVersion:
      return "BadVersion";
    case ErrorCode::kNoChildrenForEphemerals:
      return "NoChildrenForEphemerals";
    case ErrorCode::kNodeExists:
      return "NodeExists";
    case ErrorCode::kNotEmpty:
      return "Directory not empty";
    case ErrorCode::kSessionExpired:
      return "Session expired";
    case ErrorCode::kInvalidCallback:
      return "Invalid callback";
    case ErrorCode::kInvalidAcl:
      return "InvalidACL";
    case ErrorCode::kAuthFailed:
      return "AuthFailed";
    case ErrorCode::kSessionMoved:
      return "Session moved";
    case ErrorCode::kNotReadOnly:
      return "Not a read-only call";
    case ErrorCode::kNoWatcher:
      return "No such watcher";
    case ErrorCode::kQuotaExceeded:
      return "Quota has exceeded";
    case ErrorCode::kThrottledOp:
      return "Op throttled due to high load";
    default:
      return "Unknown error";
  }
}

std::string error_message(ErrorCode code, std::string_view path) {
  switch (code) {
    case ErrorCode::kNoNode:
      return fmt::format("Node does not exist: {}", path);
    case ErrorCode::kNoChildrenForEphemerals:
      return fmt::format("Ephemerals cannot have children: {}", path);
    case ErrorCode::kNodeExists:
      return fmt::format("Node already exists: {}", path);
    case ErrorCode::kNotEmpty:
      return fmt::format("Node not empty: {}", path);
    case ErrorCode::kNotReadOnly:
      return fmt::format("Not a read-only call: {}", path);
    case ErrorCode::kInvalidAcl:
      return fmt::format("Acl is not valid : {}", path);
    case ErrorCode::kNoAuth:
      return fmt::format("Insufficient permission : {}", path);
    case ErrorCode::kBadArguments:
      return fmt::format("Argument is not valid : {}", path);
    case ErrorCode::kBadVersion:
      return fmt::format("version No is not valid : {}", path);
    default:
      if (path.empty()) return fmt::format("KeeperErrorCode = {}", keeper_code_text(code));
      return fmt::format("KeeperErrorCode = {} for {}", keeper_code_text(code), path);
  }
}

}  // namespace kz::zk::client
