#include "core/real/real_net.h"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "core/real/os_error.h"
#include "core/real/real_stream.h"
#include "core/real/socket_util.h"

namespace kz::real {

namespace {

// Owns a getaddrinfo result list.
struct AddrInfoList {
  addrinfo* head = nullptr;
  ~AddrInfoList() {
    if (head != nullptr) freeaddrinfo(head);
  }
};

Status resolve(const io::Address& addr, bool passive, AddrInfoList* out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  std::string port = std::to_string(addr.port);
  const char* host = addr.host.empty() ? nullptr : addr.host.c_str();
  int rc = getaddrinfo(host, port.c_str(), &hints, &out->head);
  if (rc == 0) return Status::ok();
  std::string what = "resolve " + addr.to_string();
  switch (rc) {
    case EAI_NONAME:
    case EAI_NODATA:
    case EAI_ADDRFAMILY:
    case EAI_FAMILY:
      return Status(Code::kNotFound, fmt::format("{}: {}", what, gai_strerror(rc)));
    case EAI_SYSTEM: return net_error(errno, "resolve", addr.to_string());
    default: return Status(Code::kIoError, fmt::format("{}: {}", what, gai_strerror(rc)));
  }
}

// Closes a descriptor unless released.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

}  // namespace

// ---------------------------------------------------------------- RealListener

Result<std::unique_ptr<RealListener>> RealListener::adopt(RealDriver& driver, rt::Scheduler& sched, int fd) {
  std::unique_ptr<RealListener> listener(new RealListener(driver, sched, fd));
  KZ_RETURN_IF_ERROR(listener->watch_.attach(fd));
  listener->address_ = local_address(fd);
  return listener;
}

Result<std::unique_ptr<io::Stream>> RealListener::accept() {
  for (;;) {
    if (fd_ < 0) return Status(Code::kClosed, "accept on closed listener " + address_.to_string());
    int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      set_nodelay(fd);
      KZ_ASSIGN_OR_RETURN(std::unique_ptr<RealStream> stream, RealStream::adopt(driver_, sched_, fd));
      stream->learn_addresses();
      return std::unique_ptr<io::Stream>(std::move(stream));
    }
    int err = errno;
    // A connection that died in the backlog, or a signal: try the next one.
    if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
    if (err != EAGAIN && err != EWOULDBLOCK) {
      // EMFILE/ENFILE/ENOBUFS: the caller decides (back off, shed load); the listener stays usable.
      return net_error(err, "accept on", address_.to_string());
    }
    if (watch_.wait(FdWatch::Dir::kRead, kNever) == FdWatch::WaitResult::kClosed) {
      return Status(Code::kClosed, "listener closed while accepting");
    }
  }
}

void RealListener::close() {
  if (fd_ < 0) return;
  watch_.detach();
  ::close(fd_);
  fd_ = -1;
}

// ---------------------------------------------------------------- RealNet

RealNet::RealNet(RealDriver& driver, rt::Scheduler& sched) : driver_(driver), sched_(sched) {
  // A peer that resets a connection must give us an error, not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

Result<std::unique_ptr<io::Listener>> RealNet::listen(const io::Address& addr) {
  AddrInfoList list;
  KZ_RETURN_IF_ERROR(resolve(addr, /*passive=*/true, &list));
  Status last(Code::kNotFound, "listen " + addr.to_string() + ": no usable address");
  for (addrinfo* ai = list.head; ai != nullptr; ai = ai->ai_next) {
    FdCloser fd{::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol)};
    if (fd.fd < 0) {
      last = net_error(errno, "socket for", addr.to_string());
      continue;
    }
    int one = 1;
    // A restarted server must be able to bind while old connections sit in TIME_WAIT.
    setsockopt(fd.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd.fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      int err = errno;
      last = err == EADDRINUSE ? Status(Code::kAlreadyExists, "listen " + addr.to_string() + ": address in use")
                               : net_error(err, "bind", addr.to_string());
      continue;
    }
    if (::listen(fd.fd, kListenBacklog) != 0) {
      last = net_error(errno, "listen", addr.to_string());
      continue;
    }
    KZ_ASSIGN_OR_RETURN(std::unique_ptr<RealListener> listener, RealListener::adopt(driver_, sched_, fd.release()));
    return std::unique_ptr<io::Listener>(std::move(listener));
  }
  return last;
}

Result<std::unique_ptr<io::Stream>> RealNet::connect(const io::Address& addr, int64_t timeout_ns) {
  int64_t deadline_ns = deadline_after(sched_.now_ns(), timeout_ns);
  AddrInfoList list;
  KZ_RETURN_IF_ERROR(resolve(addr, /*passive=*/false, &list));
  std::string what = addr.to_string();
  Status last(Code::kNotFound, "connect " + what + ": no usable address");
  // Every address the name resolves to, in getaddrinfo's order ("localhost": ::1 then 127.0.0.1).
  for (addrinfo* ai = list.head; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = net_error(errno, "socket for", what);
      continue;
    }
    set_nodelay(fd);
    KZ_ASSIGN_OR_RETURN(std::unique_ptr<RealStream> stream, RealStream::adopt(driver_, sched_, fd));
    int err = 0;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) err = errno;
    if (err == EINPROGRESS || err == EINTR) {
      // Writable means the handshake ended; SO_ERROR says how. A wake before that (spurious, or
      // an edge from registration) shows as ENOTCONN from getpeername, and we wait again.
      for (;;) {
        FdWatch::WaitResult r = stream->watch().wait(FdWatch::Dir::kWrite, deadline_ns);
        if (r == FdWatch::WaitResult::kTimedOut) {
          return Status(Code::kTimedOut, fmt::format("connect {}: no answer within {} ms", what, ns_to_ms(timeout_ns)));
        }
        KZ_ASSERT(r == FdWatch::WaitResult::kReady);  // nobody else can close a stream not yet returned
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err != 0) break;
        sockaddr_storage peer{};
        socklen_t peer_len = sizeof(peer);
        if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0) break;
        if (errno != ENOTCONN) {
          err = errno;
          break;
        }
      }
    }
    if (err == 0) {
      stream->learn_addresses();
      return std::unique_ptr<io::Stream>(std::move(stream));
    }
    last = err == ETIMEDOUT ? Status(Code::kTimedOut, fmt::format("connect {}: {}", what, errno_text(err)))
                            : net_error(err, "connect", what);
  }
  return last;
}

}  // namespace kz::real
