#include "core/zk/server/config.h"

#include <fmt/format.h>

#include <algorithm>

namespace kz::zk {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Status bad(std::string_view name, int line, std::string_view key, std::string_view problem) {
  return Status(Code::kInvalidArgument, fmt::format("{}:{}: {}: {}", name, line, key, problem));
}

bool parse_int64(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 19) return false;
  int64_t v = 0;
  bool negative = false;
  size_t i = 0;
  if (text[0] == '-') {
    negative = true;
    i = 1;
    if (text.size() == 1) return false;
  }
  for (; i < text.size(); i++) {
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + (text[i] - '0');
  }
  *out = negative ? -v : v;
  return true;
}

Status int_value(std::string_view name, int line, std::string_view key, std::string_view value, int64_t min,
                 int64_t max, int64_t* out) {
  int64_t v;
  if (!parse_int64(value, &v)) return bad(name, line, key, fmt::format("not a number: '{}'", value));
  if (v < min || v > max) return bad(name, line, key, fmt::format("{} is out of range [{}, {}]", v, min, max));
  *out = v;
  return Status::ok();
}

Status port_value(std::string_view name, int line, std::string_view key, std::string_view value, uint16_t* out) {
  int64_t v;
  KZ_RETURN_IF_ERROR(int_value(name, line, key, value, 1, 65535, &v));
  *out = static_cast<uint16_t>(v);
  return Status::ok();
}

Status bool_value(std::string_view name, int line, std::string_view key, std::string_view value, bool* out) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "yes" || lower == "true") *out = true;
  else if (lower == "no" || lower == "false") *out = false;
  else return bad(name, line, key, fmt::format("expected yes/no or true/false, got '{}'", value));
  return Status::ok();
}

// server.N=host:quorumPort:electionPort[:participant|observer][;[clientAddress:]clientPort]
Status server_value(std::string_view name, int line, std::string_view key, std::string_view value,
                    ServerAddress* out) {
  std::string_view client;
  if (size_t semi = value.find(';'); semi != std::string_view::npos) {
    client = trim(value.substr(semi + 1));
    value = trim(value.substr(0, semi));
  }
  std::vector<std::string_view> parts;
  size_t start = 0;
  // An IPv6 host is in brackets: [::1]:2888:3888.
  if (!value.empty() && value[0] == '[') {
    size_t close = value.find(']');
    if (close == std::string_view::npos) return bad(name, line, key, "unclosed '[' in host");
    parts.push_back(value.substr(1, close - 1));
    start = close + 1;
    if (start < value.size() && value[start] == ':') start++;
  }
  while (start <= value.size()) {
    size_t colon = value.find(':', start);
    if (colon == std::string_view::npos) colon = value.size();
    parts.push_back(value.substr(start, colon - start));
    start = colon + 1;
  }
  if (parts.size() < 3 || parts.size() > 4) {
    return bad(name, line, key, fmt::format("expected host:quorumPort:electionPort[:role], got '{}'", value));
  }
  out->host = std::string(parts[0]);
  if (out->host.empty()) return bad(name, line, key, "empty host");
  KZ_RETURN_IF_ERROR(port_value(name, line, key, parts[1], &out->quorum_port));
  KZ_RETURN_IF_ERROR(port_value(name, line, key, parts[2], &out->election_port));
  if (parts.size() == 4) {
    if (parts[3] == "observer") out->observer = true;
    else if (parts[3] != "participant") return bad(name, line, key, fmt::format("unknown role '{}'", parts[3]));
  }
  if (!client.empty()) {
    size_t colon = client.rfind(':');
    std::string_view port = colon == std::string_view::npos ? client : client.substr(colon + 1);
    KZ_RETURN_IF_ERROR(port_value(name, line, key, port, &out->client_port));
  }
  return Status::ok();
}

}  // namespace

int32_t ServerConfig::negotiate_session_timeout(int32_t requested_ms) const {
  return std::clamp(requested_ms, min_session_timeout(), max_session_timeout());
}

Result<ServerConfig> parse_server_config(std::string_view text, std::string_view name) {
  ServerConfig c;
  bool data_log_dir_set = false;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    line_no++;
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return bad(name, line_no, line, "expected key=value");
    }
    std::string key(trim(line.substr(0, eq)));
    std::string_view value = trim(line.substr(eq + 1));
    int64_t v = 0;
    if (key == "tickTime") {
      KZ_RETURN_IF_ERROR(int_value(name, line_no, key, value, 1, 3'600'000, &v));
      c.tick_time_ms = static_cast<int32_t>(v);
    } else if (key == "initLimit") {
      KZ_RETURN_IF_ERROR(int_value(name, line_no, key, value, 1, 1'000'000, &v));
      c.init_limit_ticks = static_cast<int32_t>(v);
    } else if (key == "syncLimit") {
      KZ_RETURN_IF_ERROR(int_value(name, line_no, key, value, 1, 1'000'000, &v));
      c.sync_limit_ticks = static_cast<int32_t>(v);
    } else if (key == "dataDir") {
      if (value.empty()) return bad(name, line_no, key, "empty path");
      c.data_dir = std::string(value);
    } else if (key == "dataLogDir") {
      if (value.empty()) return bad(name, line_no, key, "empty path");
      c.data_log_dir = std::string(value);
      data_log_dir_set = true;
    } else if (key == "clientPort") {
      KZ_RETURN_IF_ERROR(port_value(name, line_no, key, value, &c.client_port));
    } else if (key == "clientPortAddress") {
      if (value.empty()) return bad(name, line_no, key, "empty address");
      c.client_port_address = std::string(value);
    } else if (key == "maxClientCnxns") {
      KZ_RETURN_IF_ERROR(int_value(name, line_no, key, value, 0, 1'000'000, &v));
      c.max_client_cnxns = static_cast<int32_t>(v);
    } else if (key == "minSessionTimeout") {
      KZ_RETURN_IF_ERROR(int_value(name, line_no, key, value, -1, INT32_MAX, &v));
      c.min_session_timeout_ms = static_cast<int32_t>(v);
    } else if (key == "maxSessionTimeout") {
      KZ_RETURN_IF_ERROR(int_value(name, line_no, key, value, -1, INT32_MAX, &v));
      c.max_session_timeout_ms = static_cast<int32_t>(v);
    } else if (key == "autopurge.snapRetainCount") {
      KZ_RETURN_IF_ERROR(int_value(name, line_no, key, value, 1, 1'000'000, &v));
      if (v < 3) c.warnings.push_back(fmt::format("{}:{}: {}: {} raised to the minimum, 3", name, line_no, key, v));
      c.autopurge_snap_retain_count = static_cast<int32_t>(std::max<int64_t>(3, v));
    } else if (key == "autopurge.purgeInterval") {
      KZ_RETURN_IF_ERROR(int_value(name, line_no, key, value, 0, 1'000'000, &v));
      c.autopurge_purge_interval_hours = static_cast<int32_t>(v);
    } else if (key == "4lw.commands.whitelist") {
      c.four_letter_words.clear();
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string_view::npos) comma = value.size();
        std::string_view word = trim(value.substr(start, comma - start));
        start = comma + 1;
        if (word.empty()) continue;
        if (word != "*" && word.size() != 4) {
          return bad(name, line_no, key, fmt::format("'{}' is not a four-letter word", word));
        }
        c.four_letter_words.insert(std::string(word));
      }
    } else if (key == "DigestAuthenticationProvider.superDigest" ||
               key == "zookeeper.DigestAuthenticationProvider.superDigest") {
      if (value.find(':') == std::string_view::npos) {
        return bad(name, line_no, key, "expected user:base64digest");
      }
      c.super_digest = std::string(value);
    } else if (key == "forceSync") {
      KZ_RETURN_IF_ERROR(bool_value(name, line_no, key, value, &c.force_sync));
    } else if (key == "preAllocSize" || key == "zookeeper.preAllocSize") {
      // ZooKeeper's system property (zoo.cfg passes it through): txn log preallocation in KiB.
      KZ_RETURN_IF_ERROR(int_value(name, line_no, key, value, 0, INT32_MAX, &v));
      c.pre_alloc_size_kb = v;
    } else if (key == "snapCount") {
      KZ_RETURN_IF_ERROR(int_value(name, line_no, key, value, 2, INT32_MAX, &v));
      c.snap_count = static_cast<int32_t>(v);
    } else if (key == "commitLogCount" || key == "zookeeper.commitLogCount") {
      // ZooKeeper reads this as a system property; kz takes it in the config file too.
      KZ_RETURN_IF_ERROR(int_value(name, line_no, key, value, 1, INT32_MAX, &v));
      c.commit_log_count = static_cast<int32_t>(v);
    } else if (key == "jute.maxbuffer") {
      KZ_RETURN_IF_ERROR(int_value(name, line_no, key, value, 1024, 1 << 30, &v));
      c.jute_max_buffer_bytes = static_cast<int32_t>(v);
    } else if (key == "kz.cpuAffinity") {
      if (std::string problem = cpu_affinity_problem(value); !problem.empty()) {
        return bad(name, line_no, key, problem);
      }
      c.cpu_affinity = std::string(value);
    } else if (key == "standaloneEnabled") {
      KZ_RETURN_IF_ERROR(bool_value(name, line_no, key, value, &c.standalone_enabled));
    } else if (key.rfind("server.", 0) == 0) {
      ServerAddress s;
      if (!parse_int64(std::string_view(key).substr(7), &s.id) || s.id < 1 || s.id > 255) {
        return bad(name, line_no, key, "server id must be a number in [1, 255]");
      }
      KZ_RETURN_IF_ERROR(server_value(name, line_no, key, value, &s));
      for (const ServerAddress& other : c.servers) {
        if (other.id == s.id) return bad(name, line_no, key, "duplicate server id");
      }
      c.servers.push_back(std::move(s));
    } else if (key == "admin.enableServer" || key == "admin.serverPort" || key == "reconfigEnabled" ||
               key == "globalOutstandingLimit" || key == "leaderServes" ||
               key == "electionAlg" || key == "metricsProvider.className" || key == "quorumListenOnAllIPs" ||
               key == "skipACL" || key == "syncEnabled" || key == "dynamicConfigFile") {
      c.warnings.push_back(fmt::format("{}:{}: {}: known to ZooKeeper, ignored by kz", name, line_no, key));
    } else {
      c.warnings.push_back(fmt::format("{}:{}: {}: unknown key, ignored", name, line_no, key));
    }
  }
  std::sort(c.servers.begin(), c.servers.end(), [](auto& a, auto& b) { return a.id < b.id; });
  if (!data_log_dir_set) c.data_log_dir = c.data_dir;
  return c;
}

Status apply_myid(ServerConfig& config, std::string_view myid_text, std::string_view myid_path) {
  std::string_view t = trim(myid_text);
  while (!t.empty() && (t.back() == '\n')) t.remove_suffix(1);
  int64_t id;
  if (!parse_int64(trim(t), &id) || id < 1 || id > 255) {
    return Status(Code::kInvalidArgument, fmt::format("{}: expected a server id in [1, 255], got '{}'", myid_path, t));
  }
  config.my_id = id;
  return Status::ok();
}

std::string cpu_affinity_problem(std::string_view value) {
  if (value == "none" || value == "disk") return "";
  int64_t cpu = 0;
  if (parse_int64(value, &cpu) && cpu >= 0 && cpu <= kMaxCpuNumber) return "";
  return fmt::format("expected none, disk or a CPU number in [0, {}], got '{}'", kMaxCpuNumber, value);
}

Status validate_server_config(const ServerConfig& c) {
  if (c.data_dir.empty()) return Status(Code::kInvalidArgument, "dataDir: is required");
  if (c.min_session_timeout() > c.max_session_timeout()) {
    return Status(Code::kInvalidArgument,
                  fmt::format("minSessionTimeout ({}) must not exceed maxSessionTimeout ({})", c.min_session_timeout(),
                              c.max_session_timeout()));
  }
  if (c.servers.size() > 1) {
    if (c.my_id == 0) return Status(Code::kInvalidArgument, "myid: missing for an ensemble (write dataDir/myid)");
    bool found = false;
    for (auto& s : c.servers) found = found || s.id == c.my_id;
    if (!found) {
      return Status(Code::kInvalidArgument, fmt::format("myid: {} is not one of the server.N lines", c.my_id));
    }
  }
  return Status::ok();
}

}  // namespace kz::zk
