// Every code probe and BUGGIFY fault point of kz, declared in one place so that `kz sim explore`
// can say which were never reached. A probe marks a rare path (env.probe(name)); a fault point is
// a place where, under simulation only, env.buggify(name) may return true to inject an extra delay,
// a short read or an early timeout. The real backend has no FaultPoints: buggify is always false.
#pragma once

#include <array>
#include <string_view>

namespace kz::io {

inline constexpr std::array<std::string_view, 14> kProbes = {
    "zk.sync.diff",               // a follower brought up to date by DIFF
    "zk.sync.trunc",              // ... by TRUNC (it had a divergent suffix)
    "zk.sync.snap",               // ... by SNAP (it was too far behind the leader's log)
    "zk.leader.step_down",        // a leader gave up (lost its quorum, or a peer is ahead)
    "zk.session.expired",         // the leader expired a session
    "zk.session.moved",           // a client reconnected its session through another server
    "zk.client.reconnect",        // a client lost its connection and connected again
    "zk.client.stale_server",     // a server refused a client that has seen a later zxid
    "zk.request.forwarded",       // a follower forwarded a write to the leader
    "zk.request.malformed",       // a connection was closed over a malformed packet
    "zk.txnlog.torn_tail",        // recovery truncated a torn or corrupt log tail
    "zk.snapshot.taken",          // a fuzzy snapshot was written
    "zk.snapshot.restored",       // a server started from a snapshot
    "buggify.fired",              // some BUGGIFY point fired in this run
};

inline constexpr std::array<std::string_view, 5> kFaultPoints = {
    "zk.server.slow_reply",     // delay a client reply by up to 20 ms
    "zk.quorum.slow_send",      // delay a quorum message (proposal, ACK, commit...) by up to 20 ms
    "zk.txnlog.slow_sync",      // sleep before a group-commit fsync (bigger, later batches)
    "zk.client.early_timeout",  // a client request times out early (its outcome unknown)
    "zk.session.slow_tick",     // the session-expiry tick runs late
};

constexpr bool is_probe(std::string_view name) {
  for (std::string_view p : kProbes) {
    if (p == name) return true;
  }
  return false;
}
constexpr bool is_fault_point(std::string_view name) {
  for (std::string_view p : kFaultPoints) {
    if (p == name) return true;
  }
  return false;
}

}  // namespace kz::io
