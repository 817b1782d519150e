// ZooKeeper server configuration: zoo.cfg with the keys people know, parsed strictly: an invalid
// value is an error naming the key and the line; an unknown key is a warning (ZooKeeper passes
// unknown keys to system properties, so configs in the wild carry some).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace kz::zk {

struct ServerAddress {
  int64_t id = 0;
  std::string host;
  uint16_t quorum_port = 0;    // followers connect to the leader here (2888)
  uint16_t election_port = 0;  // leader election (3888)
  uint16_t client_port = 0;    // from the ";port" suffix of dynamic config, 0 if absent
  bool observer = false;
};

struct ServerConfig {
  int32_t tick_time_ms = 2000;
  int32_t init_limit_ticks = 10;
  int32_t sync_limit_ticks = 5;
  std::string data_dir;
  std::string data_log_dir;  // defaults to data_dir
  uint16_t client_port = 2181;
  std::string client_port_address = "0.0.0.0";
  int32_t max_client_cnxns = 60;     // per client IP; 0 = unlimited
  int32_t min_session_timeout_ms = -1;  // -1: 2 * tickTime
  int32_t max_session_timeout_ms = -1;  // -1: 20 * tickTime
  int32_t autopurge_snap_retain_count = 3;
  int32_t autopurge_purge_interval_hours = 0;  // 0: off
  std::set<std::string> four_letter_words = {"srvr"};  // ZooKeeper 3.8's default whitelist
  std::string super_digest;          // "super:base64(sha1(super:password))"
  bool force_sync = true;
  // preAllocSize: txn log preallocation in KiB (0: none). -1: not set; the real server's command
  // line makes it ZooKeeper's 64 MiB, simulation keeps it off (in-memory disks, unchanged traces).
  int64_t pre_alloc_size_kb = -1;
  uint64_t txn_log_prealloc_bytes() const {
    return pre_alloc_size_kb > 0 ? static_cast<uint64_t>(pre_alloc_size_kb) * 1024 : 0;
  }
  int32_t snap_count = 100000;
  int32_t commit_log_count = 500;  // committed txns kept in memory to sync followers by DIFF (else SNAP)
  int32_t jute_max_buffer_bytes = 0xfffff;  // jute.maxbuffer (1 MiB - 1)
  bool standalone_enabled = true;
  // kz.cpuAffinity: "none", "disk" (the CPU that takes the completion interrupts of dataLogDir's
  // disk) or a CPU number. A process setting: `kz zookeeper` applies it, the protocol ignores it.
  std::string cpu_affinity = "none";
  std::vector<ServerAddress> servers;  // server.N lines, ordered by id
  int64_t my_id = 0;                   // from dataDir/myid (0 for a standalone server)
  std::vector<std::string> warnings;   // unknown keys and other oddities, one line each

  int32_t min_session_timeout() const { return min_session_timeout_ms > 0 ? min_session_timeout_ms : 2 * tick_time_ms; }
  int32_t max_session_timeout() const { return max_session_timeout_ms > 0 ? max_session_timeout_ms : 20 * tick_time_ms; }
  bool standalone() const { return servers.size() <= 1 && standalone_enabled; }
  // ZooKeeper clamps a client's requested session timeout into [min, max].
  int32_t negotiate_session_timeout(int32_t requested_ms) const;
};

// Parses zoo.cfg text. `name` (the file) is used in messages: "zoo.cfg:7: tickTime: not a number: 'x'".
Result<ServerConfig> parse_server_config(std::string_view text, std::string_view name);
// Applies the contents of dataDir/myid. Errors name the file.
Status apply_myid(ServerConfig& config, std::string_view myid_text, std::string_view myid_path);
// The highest CPU number kz.cpuAffinity accepts (Linux's CPU_SETSIZE - 1).
inline constexpr int64_t kMaxCpuNumber = 1023;
// Empty if `value` is a valid kz.cpuAffinity / --cpu-affinity (none, disk, a CPU number), else what
// is wrong with it.
std::string cpu_affinity_problem(std::string_view value);
// Checks the whole config once parsed (ports, limits, myid present in servers...).
Status validate_server_config(const ServerConfig& config);

}  // namespace kz::zk
