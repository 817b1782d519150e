// The simulated network: TCP-like byte streams between the hosts (nodes) of a World, carried as
// timed segments over per-host-pair links, on the World's scheduler.
//
// What a stream guarantees (like TCP): bytes arrive in order, exactly once, while the connection
// lives. A write is split into segments (at most `segment_bytes_max` each); each segment is delivered
// after the link's latency and serialisation delay, FIFO per direction even when latency jitters.
// Reads return what has arrived (a seeded fraction of reads is deliberately short, so framing code
// sees partial reads). Each direction has a window (`window_bytes`: bytes sent but not yet read);
// write_some takes only what fits and blocks while the window is full (flow control).
//
// Fault model:
//   - latency per ordered host pair: base + uniform jitter, plus a seeded rare tail; bandwidth
//     per ordered pair (segments queue behind each other);
//   - partitions (symmetric, one-way, or into groups): segments wait at the cut link, as if TCP kept
//     retransmitting, and flow on after heal; the connection does not break by itself. A connect
//     whose SYN is held times out;
//   - clogging: a link holds its segments until the clog ends;
//   - resets: reset_connections(host) / reset_random_connection() break streams at once, both sides
//     read kConnectionReset;
//   - a crashed host (process died, machine up): its connections are reset (peers receive an RST
//     one latency later), its listeners vanish, later connects are refused (kConnectionRefused), and
//     bytes reaching its dead connections are answered by RST;
//   - a powered-off host: silence. Peers are not told; bytes sent to it are dropped on arrival;
//     connects to it time out (no RST comes back). After it restarts, bytes reaching its old
//     connections are answered by RST, as a rebooted kernel does;
//   - a closed end answers data by RST (a peer writing to a closed socket is reset); a connect that
//     was given no timeout gives up after `connect_timeout_ns_max`, as an OS does.
//
// Determinism: every choice comes from a seeded Rng; connections, listeners and hosts are known by
// sequence ids (never pointers) in ordered maps; deliveries are scheduler timers that look their
// connection up by id, so nothing dangles across a crash. Every delivery, connect, reset and fault
// is recorded into the trace (SimTraceKind, sim/world.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/log.h"
#include "core/base/status.h"
#include "core/base/time.h"
#include "core/io/clock.h"
#include "core/io/net.h"
#include "core/io/rng.h"
#include "core/runtime/scheduler.h"
#include "core/runtime/sync.h"
#include "sim/trace_kinds.h"

namespace kz::sim {

// One direction of a link between two hosts.
struct LinkParams {
  int64_t latency_ns_base = 100 * kNsPerUs;
  int64_t jitter_ns_max = 400 * kNsPerUs;  // uniform in [0, jitter_ns_max] added to the base
  double tail_probability = 0.0;           // a rare extra delay (a retransmission, a slow switch)
  int64_t tail_ns_max = 0;                 // uniform in [0, tail_ns_max]
  int64_t bandwidth_bytes_per_sec = 125'000'000;  // 1 Gbit/s; 0: unlimited
};

struct NetOptions {
  LinkParams link = {};                       // default for every ordered pair of hosts
  uint32_t window_bytes = 256 * 1024;       // per direction: sent but not yet read
  uint32_t segment_bytes_max = 16 * 1024;
  double short_read_probability = 0.05;     // reads deliberately returning fewer bytes than available
  int64_t connect_timeout_ns_max = 30 * kNsPerSec;
  uint32_t accept_backlog_max = 128;
};

// Fault codes recorded as kTraceFault (a) by the network; b packs the host indices.
enum NetFault : uint64_t {
  kNetFaultPartition = 0x100,
  kNetFaultPartitionOneWay = 0x101,
  kNetFaultHeal = 0x102,
  kNetFaultHealAll = 0x103,
  kNetFaultClog = 0x104,
  kNetFaultReset = 0x105,
  kNetFaultHostCrash = 0x106,
  kNetFaultHostPowerOff = 0x107,
  kNetFaultHostStart = 0x108,
};

class SimNet;
class SimStream;
class SimListener;

// io::Net for one host: what a node's Env::net points at.
class NodeNet final : public io::Net {
 public:
  NodeNet(SimNet& net, uint32_t host, io::Clock& clock) : net_(net), host_(host), clock_(clock) {}
  Result<std::unique_ptr<io::Listener>> listen(const io::Address& addr) override;
  Result<std::unique_ptr<io::Stream>> connect(const io::Address& addr, int64_t timeout_ns = kNoTimeout) override;

 private:
  SimNet& net_;
  uint32_t host_;
  io::Clock& clock_;
};

class SimNet {
 public:
  // `trace` receives deliveries, connects, resets and faults; `seed` drives latency and short reads.
  SimNet(rt::Scheduler& sched, rt::TraceSink* trace, uint64_t seed, NetOptions options);
  ~SimNet();
  SimNet(const SimNet&) = delete;
  SimNet& operator=(const SimNet&) = delete;

  void set_logger(Logger log) { log_ = std::move(log); }
  const NetOptions& options() const { return options_; }

  // ---- Hosts (the World registers one per node)
  // A new host starts powered, with no process (connects are refused until host_started).
  uint32_t add_host(const std::string& name);
  // The io::Net of `host` for its node's Env; `clock` measures its timeouts.
  std::unique_ptr<NodeNet> endpoint(uint32_t host, io::Clock& clock);
  // The host's process died (machine still up): connections reset, listeners gone.
  void host_crashed(uint32_t host);
  // The host lost power: its connections go silent, listeners gone.
  void host_powered_off(uint32_t host);
  // A new process runs on the host (after crash or power loss).
  void host_started(uint32_t host);
  Result<uint32_t> host_index(std::string_view name) const;
  // host_index for fault methods: logs and returns nullopt when unknown.
  std::optional<uint32_t> fault_host(std::string_view name, std::string_view fault);
  const std::string& host_name(uint32_t host) const;

  // ---- Links
  void set_default_link(const LinkParams& params);
  // One direction; overrides the default for this pair from now on. False if a host is unknown.
  bool set_link(std::string_view from, std::string_view to, const LinkParams& params);
  // Options read live: window, segment size, short reads, connect timeout, backlog. (`link` here
  // only seeds links not used yet: use set_default_link to change every link.)
  NetOptions& mutable_options() { return options_; }

  // ---- Faults (each recorded into the trace). Hosts are node names; a method given an unknown
  // host (or a host paired with itself) changes nothing, logs a warning and returns false.
  bool partition(std::string_view a, std::string_view b);
  bool partition_one_way(std::string_view from, std::string_view to);
  // Cuts every link between hosts of different groups (both ways); hosts named in no group keep
  // their links. Earlier cuts stay (call heal_all() first for a fresh layout). A host named twice
  // or unknown: nothing is cut.
  bool partition(const std::vector<std::set<std::string>>& groups);
  bool heal(std::string_view a, std::string_view b);
  void heal_all();
  // Both directions hold their segments until `duration_ns` from now.
  bool clog(std::string_view a, std::string_view b, int64_t duration_ns);
  bool clog_one_way(std::string_view from, std::string_view to, int64_t duration_ns);
  // Resets every connection with an end on `host`; both sides read kConnectionReset. Returns how many.
  size_t reset_connections(std::string_view host);
  // Resets one live connection chosen by the seeded rng; false if there is none.
  bool reset_random_connection();

  // ---- Queries (for reports and tests)
  // True if bytes sent from `from` to `to` would flow now (ignores whether the process is up).
  bool reachable(std::string_view from, std::string_view to) const;
  size_t connection_count() const { return conns_.size(); }
  uint64_t deliveries() const { return deliveries_; }
  uint64_t bytes_delivered() const { return bytes_delivered_; }

 private:
  friend class NodeNet;
  friend class SimStream;
  friend class SimListener;

  enum class SegKind : uint8_t { kData, kSyn, kSynAck, kFin, kRst };
  struct Segment {
    int64_t deliver_at_ns;
    uint32_t len;
    SegKind kind;
  };
  struct Link {
    LinkParams params;
    bool overridden = false;
    bool cut = false;
    int64_t clog_until_ns = 0;
    int64_t busy_until_ns = 0;  // bandwidth: when the link finishes sending what it was given
  };
  // One direction of a connection: bytes written by one end, read by the other. `buf` holds the
  // bytes in [read_pos, visible_end) delivered but unread, then [visible_end, size) in flight.
  struct Pipe {
    Link* link = nullptr;  // links are never erased
    std::vector<uint8_t> buf;
    size_t read_pos = 0;
    size_t visible_end = 0;
    std::vector<Segment> segs;  // in flight, FIFO from seg_head
    size_t seg_head = 0;
    int64_t last_deliver_at_ns = 0;
    rt::TimerId timer;
    bool timer_armed = false;
    int64_t timer_deadline_ns = 0;
    bool stalled = false;  // the head segment waits at a cut link
    bool fin_queued = false;
    bool rst_queued = false;
    size_t unconsumed() const { return buf.size() - read_pos; }
    bool idle() const { return seg_head == segs.size(); }
  };
  enum class EndState : uint8_t { kConnecting, kOpen, kClosed, kDead };
  struct End {
    EndState state = EndState::kConnecting;
    uint32_t host = 0;
    io::Address addr;
    bool eof = false;    // the peer's FIN arrived
    bool reset = false;  // an RST arrived (or the network reset the connection)
    bool has_stream = false;
    rt::WaitList readers;  // here, not in the Stream object: a killed waiter may outlive its Stream
    rt::WaitList writers;
    uint32_t waiting = 0;  // fibers registered on readers/writers: the Conn stays while > 0
  };
  struct Conn {
    uint64_t id = 0;
    End ends[2];    // 0: the connecting side, 1: the accepting side
    Pipe pipes[2];  // pipes[s]: bytes written by ends[s]
  };
  struct Listener {
    uint64_t id = 0;
    uint32_t host = 0;
    uint16_t port = 0;
    bool closed = false;
    std::vector<uint64_t> backlog;  // accepted by the network, not yet by the application
    rt::WaitList waiters;
    uint32_t waiting = 0;
  };
  struct Host {
    std::string name;
    bool powered = true;
    bool up = false;
    uint16_t next_port = kEphemeralPortFirst;
  };
  static constexpr uint16_t kEphemeralPortFirst = 32768;
  static constexpr uint16_t kEphemeralPortLast = 60999;

  // Streams and listeners
  Result<std::unique_ptr<io::Listener>> listen(uint32_t host, io::Clock& clock, const io::Address& addr);
  Result<std::unique_ptr<io::Stream>> connect(uint32_t host, io::Clock& clock, const io::Address& addr,
                                              int64_t timeout_ns);
  Result<size_t> read(uint64_t conn_id, int side, std::span<uint8_t> buf, int64_t deadline_ns);
  // `block`: wait while the window is full (write_some); otherwise take what fits, maybe nothing.
  Result<size_t> write(uint64_t conn_id, int side, std::span<const uint8_t> data, bool block);
  void close_end(uint64_t conn_id, int side);
  void release_stream(uint64_t conn_id, int side);
  Result<std::unique_ptr<io::Stream>> accept(uint64_t listener_id, io::Clock& clock);
  void close_listener(uint64_t listener_id);
  uint16_t pick_port(uint32_t host);

  // Blocking: park on a wait list of a connection or listener until woken or the deadline.
  // Returns false on timeout. REQUIRES: inside a fiber, not unwinding.
  bool wait_conn(uint64_t conn_id, int side, bool writers, int64_t deadline_ns);
  bool wait_listener(uint64_t listener_id);

  // Segments
  void send(Conn& c, int side, SegKind kind, std::span<const uint8_t> data);
  int64_t sample_latency_ns(const LinkParams& params);
  void arm(Conn& c, int side, int64_t deadline_ns);
  void on_pipe_timer(uint64_t key);
  void deliver_due(Conn& c, int side);
  void deliver(Conn& c, int from_side, const Segment& seg);
  void send_rst(Conn& c, int side);
  void drop_in_flight(Conn& c, int side);
  void discard_unread(Pipe& p);
  void compact(Pipe& p);
  void wake_end(End& e);
  void maybe_erase(uint64_t conn_id);
  void leave_conn(uint64_t conn_id, int side);
  void leave_listener(uint64_t listener_id);
  void resume_stalled();
  void reset_conn(Conn& c);
  void stop_host(uint32_t host, bool power_off);

  // Inline: it runs several times per segment, from both sim_net*.cc files.
  Conn* find_conn(uint64_t id) { return id < conn_by_id_.size() ? conn_by_id_[id] : nullptr; }
  Link& link(uint32_t from, uint32_t to);
  const Link* find_link(uint32_t from, uint32_t to) const;
  void record(uint64_t kind, uint64_t a, uint64_t b) {
    if (trace_ != nullptr) trace_->record(kind, a, b);
  }
  void record_fault(NetFault fault, uint32_t a, uint32_t b) {
    record(kTraceFault, fault, (static_cast<uint64_t>(a) << 32) | b);
  }

  rt::Scheduler& sched_;
  rt::TraceSink* trace_;
  io::Rng rng_;
  NetOptions options_;
  Logger log_;
  // Owns delivery timers: a group with no fibers that is never killed while the network lives.
  rt::TaskGroup timer_owner_;
  std::vector<Host> hosts_;
  std::map<std::string, uint32_t, std::less<>> host_by_name_;
  std::map<std::pair<uint32_t, uint32_t>, Link> links_;  // map nodes are stable: Pipe::link
  std::map<uint64_t, Conn> conns_;
  // conns_ by id (ids are handed out in sequence): find_conn runs several times per segment, and a
  // map walk over a busy run's cold nodes was ~2.5% of it. Null once the connection is erased.
  std::vector<Conn*> conn_by_id_;
  std::map<uint64_t, Listener> listeners_;
  std::map<std::pair<uint32_t, uint16_t>, uint64_t> bound_;  // (host, port) -> listener id
  std::set<uint64_t> stalled_;                               // pipe keys: conn_id * 2 + side
  uint64_t next_conn_id_ = 1;
  uint64_t next_listener_id_ = 1;
  uint64_t deliveries_ = 0;
  uint64_t bytes_delivered_ = 0;
};

}  // namespace kz::sim
