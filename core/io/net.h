// The network seam: listeners and byte streams, with errors as values.
// A Stream behaves like a TCP socket: reads return whatever bytes have arrived (possibly fewer than
// asked: callers must handle partial reads), writes may be partial, EOF is a read of 0 bytes.
// Blocking calls suspend the calling fiber only. Closing a stream wakes any fiber blocked on it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/base/time.h"

namespace kz::io {

struct Address {
  std::string host;  // sim: a node name ("zk1"); real: an IP or host name
  uint16_t port = 0;

  std::string to_string() const;
  // "host:port"; an error names what is wrong.
  static Result<Address> parse(std::string_view text);
  friend bool operator==(const Address&, const Address&) = default;
  friend auto operator<=>(const Address&, const Address&) = default;
};

class Stream {
 public:
  virtual ~Stream() = default;
  // Reads at least 1 and at most buf.size() bytes; 0 means the peer closed its side (EOF).
  // Errors: kConnectionReset, kClosed, kTimedOut (timeout_ns >= 0 passed with no byte).
  virtual Result<size_t> read_some(std::span<uint8_t> buf, int64_t timeout_ns = kNoTimeout) = 0;
  // Writes at least 1 byte of buf (blocks on flow control); returns how many were taken.
  virtual Result<size_t> write_some(std::span<const uint8_t> buf) = 0;
  // Never blocks: writes what flow control lets through now, possibly 0 bytes. Errors as write_some.
  // For a fiber that must not wait for the peer (it writes on another's behalf).
  virtual Result<size_t> try_write_some(std::span<const uint8_t> buf) = 0;
  // Closes both directions; the peer sees EOF once in-flight bytes are delivered. Idempotent.
  virtual void close() = 0;
  virtual const Address& peer() const = 0;
  virtual const Address& local() const = 0;

  // Loops write_some until all of buf is written.
  Status write_all(std::span<const uint8_t> buf);
  // Loops read_some until buf is full; kConnectionReset "unexpected EOF" if the peer closes first.
  Status read_exact(std::span<uint8_t> buf, int64_t timeout_ns = kNoTimeout);
};

class Listener {
 public:
  virtual ~Listener() = default;
  virtual Result<std::unique_ptr<Stream>> accept() = 0;
  // Stops accepting; a fiber blocked in accept() gets kClosed.
  virtual void close() = 0;
  virtual const Address& address() const = 0;
};

class Net {
 public:
  virtual ~Net() = default;
  // Port 0 picks a free port (see Listener::address()).
  virtual Result<std::unique_ptr<Listener>> listen(const Address& addr) = 0;
  // Errors: kConnectionRefused (nobody listens, node down), kTimedOut, kNotFound (unknown host).
  virtual Result<std::unique_ptr<Stream>> connect(const Address& addr, int64_t timeout_ns = kNoTimeout) = 0;
};

}  // namespace kz::io
