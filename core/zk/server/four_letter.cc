// Four-letter words: the plain-text admin commands a ZooKeeper client port answers (echo ruok | nc).
// Only the words in 4lw.commands.whitelist are executed; the output formats are ZooKeeper 3.8's.
#include <fmt/format.h>

#include "core/zk/server/connection.h"
#include "core/zk/server/server.h"

namespace kz::zk {

namespace {
constexpr const char* kVersion = "3.8.0-kz-0.1.0, built on 2026-11-25 00:00 UTC";

std::string latency_line(const ServerStats& s) {
  double avg = s.latency_samples == 0 ? 0.0
                                      : static_cast<double>(s.latency_ns_total) / static_cast<double>(s.latency_samples) / 1e6;
  return fmt::format("Latency min/avg/max: 0/{:.4f}/{}\n", avg, s.latency_ns_max / kNsPerMs);
}
}  // namespace

std::string ZkServer::four_letter_word(const std::string& word) {
  if (!four_letter_word_allowed(word)) return word + " is not executed because it is not in the whitelist.\n";
  if (word == "ruok") return "imok";
  if (word == "isro") return "rw";
  size_t node_count = tree_.node_count();
  std::string mode = state_;
  if (word == "srvr" || word == "stat") {
    std::string out = fmt::format("Zookeeper version: {}\n", kVersion);
    if (word == "stat") {
      out += "Clients:\n";
      for (auto& [n, c] : connections_) {
        out += fmt::format(" /{}[1](queued={},recved={},sent={})\n", c->peer().to_string(), c->outstanding(),
                           c->packets_received(), c->packets_sent());
      }
      out += "\n";
    }
    out += latency_line(stats_);
    out += fmt::format("Received: {}\nSent: {}\nConnections: {}\nOutstanding: {}\nZxid: 0x{:x}\nMode: {}\nNode count: {}\n",
                       stats_.packets_received, stats_.packets_sent, connections_.size(), commit_queue_.size(),
                       tree_.last_zxid(), mode, node_count);
    return out;
  }
  if (word == "mntr") {
    double avg = stats_.latency_samples == 0
                     ? 0.0
                     : static_cast<double>(stats_.latency_ns_total) / static_cast<double>(stats_.latency_samples) / 1e6;
    size_t ephemerals = 0;
    for (auto& [id, paths] : tree_.ephemerals()) ephemerals += paths.size();
    return fmt::format(
        "zk_version\t{}\nzk_server_state\t{}\nzk_avg_latency\t{:.4f}\nzk_max_latency\t{}\nzk_min_latency\t0\n"
        "zk_packets_received\t{}\nzk_packets_sent\t{}\nzk_num_alive_connections\t{}\nzk_outstanding_requests\t{}\n"
        "zk_znode_count\t{}\nzk_watch_count\t{}\nzk_ephemerals_count\t{}\nzk_approximate_data_size\t0\n"
        "zk_open_file_descriptor_count\t0\nzk_max_file_descriptor_count\t0\nzk_global_sessions\t{}\n"
        "zk_fsync_count\t{}\nzk_txns_committed\t{}\nzk_sessions_expired\t{}\n",
        kVersion, mode, avg, stats_.latency_ns_max / kNsPerMs, stats_.packets_received, stats_.packets_sent,
        connections_.size(), commit_queue_.size(), node_count, watches_.watch_count(), ephemerals, sessions_.size(),
        stats_.log_flushes, stats_.txns_committed, stats_.sessions_expired);
  }
  if (word == "conf") {
    std::string out = fmt::format(
        "clientPort={}\nclientPortAddress={}\ndataDir={}/version-2\ndataDirSize=0\ndataLogDir={}/version-2\n"
        "dataLogSize=0\ntickTime={}\nmaxClientCnxns={}\nminSessionTimeout={}\nmaxSessionTimeout={}\n"
        "clientPortListenBacklog=-1\nserverId={}\n",
        config_.client_port, client_address_.host, config_.data_dir, config_.data_log_dir, config_.tick_time_ms,
        config_.max_client_cnxns, config_.min_session_timeout(), config_.max_session_timeout(), config_.my_id);
    if (!config_.servers.empty()) {
      out += fmt::format("initLimit={}\nsyncLimit={}\nelectionAlg=3\nelectionPort={}\nquorumPort={}\npeerType=0\n",
                         config_.init_limit_ticks, config_.sync_limit_ticks, config_.servers.front().election_port,
                         config_.servers.front().quorum_port);
      for (auto& s : config_.servers) {
        out += fmt::format("server.{}={}:{}:{}:participant\n", s.id, s.host, s.quorum_port, s.election_port);
      }
    }
    return out;
  }
  if (word == "cons") {
    std::string out;
    for (auto& [n, c] : connections_) {
      out += fmt::format(" /{}[1](queued={},recved={},sent={},sid=0x{:x})\n", c->peer().to_string(), c->outstanding(),
                         c->packets_received(), c->packets_sent(), c->session_id());
    }
    return out + "\n";
  }
  if (word == "envi") {
    return fmt::format(
        "Environment:\nzookeeper.version={}\nhost.name={}\njava.version=none (kz is C++)\njava.vendor=kz\n"
        "os.name=Linux\nuser.dir={}\n",
        kVersion, env_.node, config_.data_dir);
  }
  if (word == "dirs") return "datadir_size: 0\nlogdir_size: 0\n";
  if (word == "wchs") {
    return fmt::format("{} connections watching {} paths\nTotal watches:{}\n", connections_.size(),
                       watches_.watch_count(), watches_.watch_count());
  }
  if (word == "srst" || word == "crst") {
    stats_.latency_ns_max = 0;
    stats_.latency_ns_total = 0;
    stats_.latency_samples = 0;
    return word == "srst" ? "Server stats reset.\n" : "Connection stats reset.\n";
  }
  return fmt::format("{} is not supported by kz.\n", word);
}

void Connection::handle_four_letter_word(const std::string& word) {
  env_.log.info("zk", "four-letter word '{}' from {}", word, stream_->peer().to_string());
  send(server_->four_letter_word(word));
  close("four-letter word answered");
}

}  // namespace kz::zk
