// RealStream: a connected non-blocking TCP socket behind io::Stream. Reads and writes try the
// syscall first and park the calling fiber on EAGAIN (one reader and one writer at a time); no
// allocation per call. close() wakes blocked fibers with kClosed; the destructor closes.
#pragma once

#include <memory>

#include "core/io/net.h"
#include "core/real/fd_watch.h"

namespace kz::real {

class RealStream final : public io::Stream {
 public:
  // Takes ownership of `fd` (non-blocking) and registers it with the reactor.
  static Result<std::unique_ptr<RealStream>> adopt(RealDriver& driver, rt::Scheduler& sched, int fd);
  ~RealStream() override { close(); }

  Result<size_t> read_some(std::span<uint8_t> buf, int64_t timeout_ns = kNoTimeout) override;
  Result<size_t> write_some(std::span<const uint8_t> buf) override;
  Result<size_t> try_write_some(std::span<const uint8_t> buf) override;
  void close() override;
  const io::Address& peer() const override { return peer_; }
  const io::Address& local() const override { return local_; }

  int fd() const { return fd_; }
  FdWatch& watch() { return watch_; }
  // Reads both ends' addresses from the socket (after the connection is established).
  void learn_addresses();

 private:
  RealStream(RealDriver& driver, rt::Scheduler& sched, int fd) : sched_(sched), watch_(driver, sched), fd_(fd) {}

  rt::Scheduler& sched_;
  FdWatch watch_;
  int fd_;
  io::Address peer_;
  io::Address local_;
};

}  // namespace kz::real
