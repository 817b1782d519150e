// The report's model of a run: replays the cluster events into per-node intervals (role, life,
// network cuts, clock and disk faults), the fault lane, and snapshots of the whole cluster at key
// moments (start, each fault, each election, the final heal) for the Graphviz pictures.
// Pure: no I/O, no clocks; the same run directory always gives the same timeline.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "reports/run_data.h"

namespace kz::reports {

// An interval on a lane. `kind` picks the colour (see docs/reports.md), `label` is the text shown.
struct Span {
  int64_t begin_ns = 0;
  int64_t end_ns = 0;
  std::string kind;
  std::string label;
};

// An instant on a lane (a restart, a clock jump, a bit flip...).
struct Mark {
  int64_t time_ns = 0;
  std::string kind;
  std::string label;
};

struct NodeLane {
  std::string node;
  bool server = true;
  std::vector<Span> state;   // up / looking / following / leading / standalone / crashed / powered-off / paused
  std::vector<Span> net;     // cut off from some peers (kind "cut")
  std::vector<Span> faults;  // clock and disk faults, clogs (kind "clock", "disk", "clog")
  std::vector<Mark> marks;
};

struct NodeState {
  std::string node;
  bool server = true;
  bool up = true;
  bool powered_off = false;
  bool paused = false;
  std::string role = "up";  // running, no role reported yet
  int64_t epoch = -1;
};

struct ClusterState {
  std::vector<NodeState> nodes;                       // servers first, then clients
  std::set<std::pair<std::string, std::string>> cut;  // (from, to): from cannot send to `to`
  // True if `from` can send to `to` (both up, the link not cut).
  bool reaches(const std::string& from, const std::string& to) const;
  const NodeState* find(const std::string& node) const;
};

struct Moment {
  int64_t time_ns = 0;
  std::string title;
  ClusterState state;
};

struct Timeline {
  int64_t end_ns = 0;
  std::vector<std::string> servers;  // natural order (zk2 before zk10)
  std::vector<std::string> clients;  // the history's processes
  std::vector<NodeLane> lanes;       // one per server, then one per client
  std::vector<Span> fault_spans;     // the fault lane: every fault with its extent
  std::vector<Mark> fault_marks;     // instant faults and skipped faults
  std::vector<Span> network;         // the partition layout over time ("zk1 | zk2 zk3 c1")
  std::vector<Moment> moments;       // at most moments_max, evenly thinned (first and last kept)
  size_t moments_total = 0;
  int64_t final_heal_ns = -1;
};

Timeline build_timeline(const RunData& run, size_t moments_max);

// "zk2" < "zk10": digits compare as numbers.
bool natural_less(const std::string& a, const std::string& b);

}  // namespace kz::reports
