// kz's ZooKeeper client: one session with an ensemble, on one node's io::Env.
//
// Connection management (client.cc): the session fiber connects to the servers in a seeded
// shuffled order (env.rng), performs the handshake (ConnectRequest with readOnly=false), and keeps
// the connection alive with a ping whenever nothing was sent for a third of the negotiated timeout.
// If nothing is heard from the server for two thirds of it, the server is taken for dead: the
// connection is dropped and the next server is tried with the same session id and password and the
// last zxid seen. After a reconnect, auth packets are sent again, then the watches are re-armed with
// SetWatches2 (relativeZxid = last zxid seen), before any queued request. A server answering the
// handshake with a zero timeout means the session expired: the client moves to kExpired for good.
//
// Requests (client_ops.cc) block the calling fiber only; any number of fibers may call at once.
// Requests are pipelined on the connection and replies are matched to them in xid order (the
// server answers in request order; a reply out of order is a connection error). A request in
// flight when the connection drops completes with CONNECTIONLOSS: its outcome is unknown. Requests
// made while (re)connecting wait for the connection. Calls on an expired or closed client return
// SESSIONEXPIRED. A per-call timeout returns OPERATIONTIMEOUT (if the request was sent, its
// outcome is unknown too).
//
// Watch and state events go to ClientOptions::on_event and/or the events() channel, in the order
// the server sent them, each before the reply that followed it on the wire.
//
// Everything the server sends is untrusted: a frame that does not decode is a connection error
// (the client reconnects), never a crash.
//
// Lifetime: the client is shared (std::shared_ptr) with its fibers. close() ends the session and
// the fibers; a client dropped without close() lives until its node's task group is killed.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/env.h"
#include "core/runtime/sync.h"
#include "core/zk/client/frame.h"
#include "core/zk/client/watch_registry.h"
#include "core/zk/codes.h"
#include "core/zk/proto.h"

namespace kz::zk::client {

enum class State : uint8_t { kConnecting, kConnected, kExpired, kClosed };
std::string_view state_name(State state);

// A watch or state event. State events have type kNone and an empty path.
struct WatchedEvent {
  EventType type = EventType::kNone;
  KeeperState state = KeeperState::kSyncConnected;
  std::string path;
  int64_t zxid = -1;  // the notification's zxid (-1 for events made by the client)
  bool operator==(const WatchedEvent&) const = default;
};

// The outcome of an operation: a ZooKeeper error code and, when it is kOk, a value. Callers switch
// on `err` (kNoNode, kNodeExists, kBadVersion, kConnectionLoss...).
template <typename T>
struct ZkResult {
  ErrorCode err = ErrorCode::kOk;
  T value{};
  int64_t zxid = 0;  // the reply header's zxid: the server's last applied zxid when it answered
  bool ok() const { return err == ErrorCode::kOk; }
};

// The timeout argument of every call: kDefaultCallTimeout uses ClientOptions::request_timeout_ns;
// kNoTimeout waits for the reply (or the connection's loss) however long it takes.
inline constexpr int64_t kDefaultCallTimeout = -2;

struct ClientOptions {
  std::vector<io::Address> servers;
  int32_t session_timeout_ms = 30'000;  // asked for; the server clamps it (see negotiated_timeout_ms)
  int64_t request_timeout_ns = kNoTimeout;
  // Between failed connection attempts the client sleeps a random time up to this (ZooKeeper: 1 s).
  int64_t reconnect_delay_ns_max = sec_to_ns(1);
  int32_t frame_bytes_max = 4 * 1024 * 1024;  // a reply longer than this is a connection error
  size_t requests_outstanding_max = 10'000;   // callers block while this many wait for replies
  // Called from the client's fibers for every watch and state event; must not block.
  std::function<void(const WatchedEvent&)> on_event;
  // Called on every state change.
  std::function<void(State)> on_state;
  // > 0: events are also queued on events() (a full channel stalls the client's reading).
  size_t event_channel_capacity = 0;
  std::string log_component = "zkclient";
};

// "h1:2181,h2:2181" -> addresses. A chroot suffix ("/app") is refused: kz's client has none.
Result<std::vector<io::Address>> parse_servers(std::string_view connect_string);

struct CreateResult {
  std::string path;  // the created path (with its sequence number for sequential nodes)
  Stat stat;
};

struct CreateOptions {
  CreateMode mode = CreateMode::kPersistent;
  AclList acl = {};  // empty: world:anyone with all permissions
  int64_t ttl_ms = 0;  // TTL modes only
};

// Builders for multi / multiRead ops.
MultiOp op_create(std::string path, Buffer data, CreateOptions options = {});
MultiOp op_delete(std::string path, int32_t version = -1);
MultiOp op_set_data(std::string path, Buffer data, int32_t version = -1);
MultiOp op_check(std::string path, int32_t version);
MultiOp op_get_data(std::string path);
MultiOp op_get_children(std::string path);

class Client : public std::enable_shared_from_this<Client> {
 public:
  // Creates the client and starts connecting (its fibers join env's task group).
  // REQUIRES: options.servers is not empty.
  static std::shared_ptr<Client> connect(io::Env& env, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  State state() const { return state_; }
  // Blocks until the client is connected (true), or until it expired, closed or timed out (false).
  bool wait_connected(int64_t timeout_ns);
  // Blocks until the state is `state` or the timeout passes; true if reached.
  bool wait_state(State state, int64_t timeout_ns);

  int64_t session_id() const { return session_id_; }
  const std::string& session_password() const { return session_password_; }
  int32_t negotiated_timeout_ms() const { return negotiated_timeout_ms_; }
  int64_t last_zxid_seen() const { return last_zxid_seen_; }
  // The server of the current connection (nullopt while not connected).
  std::optional<io::Address> server() const;
  const WatchRegistry& watches() const { return watches_; }
  // Null unless ClientOptions::event_channel_capacity > 0.
  rt::Channel<WatchedEvent>* events() { return events_.get(); }
  uint64_t connections_established() const { return connections_established_; }

  // ---- operations (block the calling fiber) ----
  ZkResult<CreateResult> create(const std::string& path, Buffer data, CreateOptions options = {},
                                int64_t timeout_ns = kDefaultCallTimeout);
  ErrorCode remove(const std::string& path, int32_t version = -1, int64_t timeout_ns = kDefaultCallTimeout);
  // NONODE when absent; with watch=true that arms an exist watch (a data watch when present).
  ZkResult<Stat> exists(const std::string& path, bool watch = false, int64_t timeout_ns = kDefaultCallTimeout);
  ZkResult<GetDataResponse> get_data(const std::string& path, bool watch = false,
                                     int64_t timeout_ns = kDefaultCallTimeout);
  ZkResult<Stat> set_data(const std::string& path, Buffer data, int32_t version = -1,
                          int64_t timeout_ns = kDefaultCallTimeout);
  // with_stat: getChildren2 (the stat of the parent is filled in); children in the server's order.
  ZkResult<GetChildren2Response> get_children(const std::string& path, bool watch = false, bool with_stat = false,
                                              int64_t timeout_ns = kDefaultCallTimeout);
  ZkResult<GetACLResponse> get_acl(const std::string& path, int64_t timeout_ns = kDefaultCallTimeout);
  ZkResult<Stat> set_acl(const std::string& path, AclList acl, int32_t version = -1,
                         int64_t timeout_ns = kDefaultCallTimeout);
  ErrorCode sync(const std::string& path, int64_t timeout_ns = kDefaultCallTimeout);
  ErrorCode check(const std::string& path, int32_t version, int64_t timeout_ns = kDefaultCallTimeout);
  // Atomic. `err` is the first failing op's error (kOk if all succeeded); `value` has one result
  // per op either way (ops that did not fail report kOk or RUNTIMEINCONSISTENCY).
  ZkResult<std::vector<OpResult>> multi(std::vector<MultiOp> ops, int64_t timeout_ns = kDefaultCallTimeout);
  // getData / getChildren ops, each succeeding or failing on its own; `err` is kOk unless the
  // request as a whole failed.
  ZkResult<std::vector<OpResult>> multi_read(std::vector<MultiOp> ops, int64_t timeout_ns = kDefaultCallTimeout);
  ZkResult<std::vector<std::string>> get_ephemerals(const std::string& prefix_path,
                                                    int64_t timeout_ns = kDefaultCallTimeout);
  ZkResult<int32_t> get_all_children_number(const std::string& path, int64_t timeout_ns = kDefaultCallTimeout);
  ErrorCode add_watch(const std::string& path, AddWatchMode mode, int64_t timeout_ns = kDefaultCallTimeout);
  // NOWATCHER without asking the server if this client holds no such watch.
  ErrorCode remove_watches(const std::string& path, WatcherType type, int64_t timeout_ns = kDefaultCallTimeout);
  ZkResult<std::vector<ClientInfo>> who_am_i(int64_t timeout_ns = kDefaultCallTimeout);
  // Sends an auth packet; on success it is remembered and sent again after every reconnect.
  // A server refusing it answers AUTHFAILED and drops the connection (the client reconnects).
  ErrorCode add_auth(const std::string& scheme, std::string auth, int64_t timeout_ns = kDefaultCallTimeout);
  // Ends the session (closeSession, waiting at most `timeout_ns`, default: the session timeout)
  // and stops the client's fibers. Idempotent; the state becomes kClosed.
  ErrorCode close(int64_t timeout_ns = kDefaultCallTimeout);
  // Breaks the current connection as a network fault would (the client reconnects).
  void drop_connection(std::string_view reason);

 private:
  struct Reply {
    int32_t err = 0;
    int64_t zxid = 0;
    std::string body;
    uint64_t connection = 0;  // which connection carried it (to drop that one on a bad body)
  };
  struct WatchSetup {
    WatchKind on_ok;
    bool exist_on_nonode = false;  // exists: NONODE arms an exist watch
    std::string path;
  };
  struct Request {
    uint64_t seq = 0;  // unique per request (xids of auth packets repeat)
    int32_t xid = 0;
    int32_t opcode = 0;
    std::string frame;
    std::optional<WatchSetup> watch;
    std::optional<AuthPacket> auth;  // remembered when the server accepts it
    std::optional<rt::Promise<Reply>> promise;  // none for the client's own packets
  };
  struct Connection {
    explicit Connection(rt::Scheduler& sched) : writer_done(sched) {}
    std::unique_ptr<io::Stream> stream;
    uint64_t number = 0;
    bool broken = false;
    bool writing = false;  // a write_all is in progress (writer fiber or a caller writing through)
    bool writer_waits_idle = false;  // the writer fiber waits for a caller's write to end
    int64_t last_send_ns = 0;
    rt::Event writer_done;
    // The idle detector: one timer per connection, re-armed lazily (see run_connection).
    FrameReader* reader = nullptr;
    int64_t idle_timeout_ns = 0;
    rt::TimerId idle_timer;
    bool idle_expired = false;  // nothing was heard for idle_timeout_ns: the timer closed the stream
  };
  // A call waiting for its reply until a deadline: on the caller's stack, linked into the list
  // call_deadlines_head_..tail_ (sorted by deadline, then by arrival) while it waits. One timer,
  // armed at the earliest deadline or before, serves every call (see wait_reply).
  struct CallDeadline {
    int64_t deadline_ns = kNever;
    rt::Fiber* fiber = nullptr;
    bool expired = false;
    bool linked = false;
    CallDeadline* prev = nullptr;
    CallDeadline* next = nullptr;
  };
  class Cond;

  Client(io::Env& env, ClientOptions options);
  void start();
  void session_loop();
  // Handshake on a fresh stream: false to try the next server; sets kExpired when told so.
  bool handshake(io::Stream& stream, FrameReader& reader, int64_t timeout_ns);
  void run_connection(std::unique_ptr<io::Stream> stream, FrameReader& reader);
  // Writes `batch` on `c` (c->writing set meanwhile); on failure marks it broken and closes it.
  bool write_batch(Connection* c, const std::string& batch);
  void expire();
  void writer_loop(std::shared_ptr<Connection> conn);
  Status handle_frame(std::string_view frame, uint64_t connection);
  void queue_reconnect_packets();
  void fail_all(ErrorCode code);
  void set_state(State state);
  void deliver(const WatchedEvent& event);
  void deliver_state_event(KeeperState keeper_state);
  int32_t next_xid();
  int64_t resolve_timeout(int64_t timeout_ns) const;
  // Queues a request and waits for its reply (or an error made up locally).
  Reply call(Request request, int64_t timeout_ns);
  template <typename Body>
  Reply request(int32_t opcode, const Body& body, int64_t timeout_ns, std::optional<WatchSetup> watch = {},
                std::optional<AuthPacket> auth = {});
  Reply request_header_only(int32_t opcode, int64_t timeout_ns);
  template <typename T>
  ZkResult<T> decode(const Reply& reply, std::string_view what);
  void wake_writer();
  // Waits for the reply until `deadline_ns` (scheduler time; kNever: no limit); true if it came.
  bool wait_reply(rt::Future<Reply>& future, int64_t deadline_ns);
  void link_deadline(CallDeadline& d);
  void unlink_deadline(CallDeadline& d);
  void arm_deadline_timer(int64_t deadline_ns);
  void on_deadline_timer();
  void arm_idle_timer(Connection* c, int64_t deadline_ns);
  void on_idle_timer(Connection* c);

  io::Env& env_;
  ClientOptions options_;
  State state_ = State::kConnecting;
  bool closing_ = false;  // close() began: a lost connection is not re-established
  std::vector<io::Address> order_;  // servers, shuffled once
  size_t next_server_ = 0;
  int64_t session_id_ = 0;
  std::string session_password_;
  int32_t negotiated_timeout_ms_ = 0;
  int64_t last_zxid_seen_ = 0;
  int32_t last_xid_ = 0;
  uint64_t last_request_seq_ = 0;
  std::vector<AuthPacket> auth_;  // accepted auth packets, re-sent after a reconnect
  WatchRegistry watches_;
  std::deque<Request> outgoing_;   // not sent yet, in xid order
  std::deque<Request> in_flight_;  // sent, awaiting their replies, in send order
  std::shared_ptr<Connection> conn_;  // null while not connected
  std::optional<io::Address> server_;
  uint64_t connections_established_ = 0;
  uint64_t next_connection_number_ = 1;
  rt::WaitList state_waiters_;
  rt::WaitList writer_waiters_;
  rt::WaitList room_waiters_;  // callers waiting for requests_outstanding_max to allow them
  std::unique_ptr<rt::Channel<WatchedEvent>> events_;
  CallDeadline* call_deadlines_head_ = nullptr;
  CallDeadline* call_deadlines_tail_ = nullptr;
  rt::TimerId deadline_timer_;
  int64_t deadline_timer_at_ = kNever;
};

}  // namespace kz::zk::client
