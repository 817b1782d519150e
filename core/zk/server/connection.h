// One client connection of the ZooKeeper server: the session handshake, request framing and
// dispatch, per-connection reply ordering, notifications, and four-letter words.
//
// Two fibers share the connection (through a shared_ptr): the reader decodes frames and
// dispatches them; the writer drains the outbox to the socket, coalescing frames into one write.
// A frame sent while nobody writes is written by the fiber that made it, as far as the stream
// takes it without blocking; only the rest goes through the writer. While the connection is corked
// (the reader dispatching requests it already holds, the server applying a batch of txns), frames
// collect in the outbox and go out in one write when it is uncorked: a pipelining client gets many
// replies per segment, and the server makes one send(2) per batch instead of one per reply.
// Replies are kept in `pending_` in request order: a write waits there for its txn to be applied,
// a read that follows a pending write is deferred until it reaches the head, so it sees that write.
// Malformed or oversized packets close the connection with a log line; nothing a client sends can
// crash the server.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/io/env.h"
#include "core/runtime/sync.h"
#include "core/zk/auth.h"
#include "core/zk/data_tree.h"

namespace kz::zk {

class ZkServer;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<ZkServer> server, std::unique_ptr<io::Stream> stream, uint64_t number);
  ~Connection();

  // Runs the reader loop in the calling fiber and spawns the writer; returns when the connection ends.
  void run();
  void close(std::string_view reason);

  int64_t session_id() const { return session_id_; }
  uint64_t number() const { return number_; }
  const io::Address& peer() const { return stream_->peer(); }
  const AuthIds& auth() const { return auth_; }
  uint64_t packets_received() const { return packets_received_; }
  uint64_t packets_sent() const { return packets_sent_; }
  size_t outstanding() const { return pending_.size(); }

  // ---- called by the server ----
  // The session's createSession txn was applied: send the ConnectResponse.
  void session_created(int64_t session_id, int32_t timeout_ms, int64_t zxid);
  // A txn this connection submitted (cxid = xid) was applied with this result.
  void write_applied(int32_t xid, int64_t zxid, const ApplyResult& result);
  // The prepare step refused a write without a txn (e.g. the server is shutting down).
  void write_failed(int32_t xid, ErrorCode err);
  // The leader's pipeline reached this server: answer the sync request `xid`.
  void sync_done(int32_t xid, const std::string& path);
  void notify(const WatcherEvent& event, int64_t zxid);
  // The session expired or was closed: tell the client (if it waits for a closeSession reply,
  // that reply was sent) and close.
  void session_closed();
  // Frames sent until the matching uncork() are held and then written together (nestable).
  void cork() { cork_depth_++; }
  void uncork();
  // The server's reply batch this connection joined (ZkServer::end_reply_batch uncorks it).
  bool in_reply_batch = false;

 private:
  enum class EntryState : uint8_t { kWaitingWrite, kDeferredRead, kReady };
  struct Entry {
    int32_t xid = 0;
    int32_t opcode = 0;
    EntryState state = EntryState::kReady;
    std::string body;   // the request body (deferred reads)
    std::string reply;  // the framed reply (ready)
    int64_t received_ns = 0;
  };

  Status handshake(std::string_view frame);
  Status dispatch(std::string_view frame);
  void handle_four_letter_word(const std::string& word);
  // Executes a read (getData, exists...) now and returns its framed reply.
  std::string execute_read(int32_t xid, int32_t opcode, std::string_view body);
  void push_ready(int32_t xid, int32_t opcode, std::string reply);
  void pump();  // moves ready entries at the head of pending_ to the outbox
  void send(std::string frame);
  // Writes what the outbox holds now, as far as the stream takes it without blocking; the rest
  // (or all of it, if the writer holds a batch) is left to the writer.
  void flush_outbox();
  // Writes `buf` now (the outbox is empty and the writer idle), leaving what the stream does not
  // take to the writer.
  void write_now(std::string buf);
  void writer_loop();
  std::string frame_reply(int32_t xid, int64_t zxid, int32_t err, std::string_view body);

  std::shared_ptr<ZkServer> server_;
  io::Env& env_;
  std::unique_ptr<io::Stream> stream_;
  uint64_t number_;
  std::string client_ip_;
  int64_t session_id_ = 0;
  int32_t timeout_ms_ = 0;
  bool connected_ = false;     // the handshake completed
  bool read_only_flag_ = false;  // the client sent the readOnly field (answer in kind)
  bool closing_ = false;
  bool writing_ = false;      // the writer holds a batch taken from the outbox (until it is written)
  bool slow_reply_ = false;   // BUGGIFY zk.server.slow_reply fired for a queued frame
  int cork_depth_ = 0;
  AuthIds auth_;
  std::deque<Entry> pending_;
  std::vector<std::string> outbox_;
  rt::Event outbox_ready_;
  rt::Event writer_done_;
  uint64_t packets_received_ = 0;
  uint64_t packets_sent_ = 0;
};

}  // namespace kz::zk
