// QuorumConfig: the replication settings of one ZooKeeper server, named after the zoo.cfg keys
// they mirror (tickTime, initLimit, syncLimit, dataDir, dataLogDir, server.N=host:quorumPort:
// electionPort, myid, snapCount, forceSync, autopurge.snapRetainCount, autopurge.purgeInterval).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/time.h"
#include "core/zk/quorum/zab_types.h"

namespace kz::zk::quorum {

struct QuorumServer {
  ServerId id = 0;
  std::string host;
  uint16_t quorum_port = 2888;
  uint16_t election_port = 3888;
};

struct QuorumConfig {
  int64_t tick_time_ms = 2000;     // tickTime
  uint32_t init_limit = 10;        // initLimit, in ticks
  uint32_t sync_limit = 5;         // syncLimit, in ticks
  std::string data_dir;            // dataDir: snapshots, acceptedEpoch, currentEpoch
  std::string data_log_dir;        // dataLogDir: the txn log (empty: data_dir)
  std::vector<QuorumServer> servers;  // server.N
  ServerId my_id = 0;              // myid
  uint64_t snap_count = 100000;    // snapCount: txns between snapshots (randomised by half, as ZK)
  bool force_sync = true;          // forceSync
  uint32_t autopurge_snap_retain_count = 3;  // autopurge.snapRetainCount (at least 3)
  int64_t autopurge_purge_interval_ms = 0;   // autopurge.purgeInterval (zoo.cfg says hours); 0: off
  // kz's own knobs.
  uint64_t log_file_bytes_target = 64ULL << 20;
  uint64_t log_prealloc_bytes = 0;  // preAllocSize (see TxnLogOptions::prealloc_bytes)
  size_t diff_entries_max = 500;          // ZooKeeper's commitLogCount
  uint32_t frame_bytes_max = 64U << 20;   // the largest message accepted from a peer
  size_t send_queue_frames_max = 4096;    // per peer and channel; overflow resets that link
  int64_t connect_timeout_ms = 1000;
  int64_t reconnect_backoff_ms_max = 1000;

  const QuorumServer* server(ServerId id) const {
    for (const QuorumServer& s : servers) {
      if (s.id == id) return &s;
    }
    return nullptr;
  }
  const std::string& log_dir() const { return data_log_dir.empty() ? data_dir : data_log_dir; }
};

}  // namespace kz::zk::quorum
