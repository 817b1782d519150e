// RealNet: io::Net over non-blocking TCP sockets (IPv4 and IPv6) on the epoll reactor.
// Host names are resolved with getaddrinfo at listen/connect (this may block the process briefly;
// acceptable at connection setup). Listeners use SO_REUSEADDR; port 0 picks a free port and
// Listener::address() reports the one chosen. Every socket gets TCP_NODELAY: kz frames requests
// itself and latency matters more than packet count. SIGPIPE is ignored (sends use MSG_NOSIGNAL too).
#pragma once

#include <memory>

#include "core/io/net.h"
#include "core/real/fd_watch.h"
#include "core/real/real_driver.h"

namespace kz::real {

class RealListener final : public io::Listener {
 public:
  // Takes ownership of a listening non-blocking `fd` and registers it with the reactor.
  static Result<std::unique_ptr<RealListener>> adopt(RealDriver& driver, rt::Scheduler& sched, int fd);
  ~RealListener() override { close(); }

  Result<std::unique_ptr<io::Stream>> accept() override;
  void close() override;
  const io::Address& address() const override { return address_; }

 private:
  RealListener(RealDriver& driver, rt::Scheduler& sched, int fd)
      : driver_(driver), sched_(sched), watch_(driver, sched), fd_(fd) {}

  RealDriver& driver_;
  rt::Scheduler& sched_;
  FdWatch watch_;
  int fd_;
  io::Address address_;
};

class RealNet final : public io::Net {
 public:
  RealNet(RealDriver& driver, rt::Scheduler& sched);

  Result<std::unique_ptr<io::Listener>> listen(const io::Address& addr) override;
  // REQUIRES: in a fiber (waits for the handshake).
  Result<std::unique_ptr<io::Stream>> connect(const io::Address& addr, int64_t timeout_ns = kNoTimeout) override;

  // Backlog of pending connections per listener.
  static constexpr int kListenBacklog = 1024;

 private:
  RealDriver& driver_;
  rt::Scheduler& sched_;
};

}  // namespace kz::real
