#include "core/real/real_stream.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "core/real/os_error.h"
#include "core/real/socket_util.h"

namespace kz::real {

namespace {
// Returned to a fiber whose stream was closed under it. Built without touching the (possibly
// destroyed) stream.
Status closed_while_waiting() { return Status(Code::kClosed, "stream closed while waiting"); }

// Bytes discarded at close: unread input makes the kernel answer close() with a RST, which can
// destroy our own unsent output at the peer; draining a bounded amount first avoids that in the
// common case (a peer whose last request we no longer care about).
constexpr size_t kCloseDrainBytesMax = 1 << 20;
}  // namespace

Result<std::unique_ptr<RealStream>> RealStream::adopt(RealDriver& driver, rt::Scheduler& sched, int fd) {
  KZ_ASSERT(fd >= 0);
  std::unique_ptr<RealStream> stream(new RealStream(driver, sched, fd));
  Status s = stream->watch_.attach(fd);
  if (!s.is_ok()) return s;  // the destructor closes fd
  return stream;
}

void RealStream::learn_addresses() {
  local_ = local_address(fd_);
  peer_ = peer_address(fd_);
}

Result<size_t> RealStream::read_some(std::span<uint8_t> buf, int64_t timeout_ns) {
  if (fd_ < 0) return Status(Code::kClosed, "read from closed stream to " + peer_.to_string());
  if (buf.empty()) return Status(Code::kInvalidArgument, "read_some with an empty buffer");
  int64_t deadline_ns = kNever;
  bool deadline_set = false;
  for (;;) {
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n >= 0) return static_cast<size_t>(n);
    int err = errno;
    if (err == EINTR) continue;
    if (err != EAGAIN && err != EWOULDBLOCK) return net_error(err, "read from", peer_.to_string());
    if (!deadline_set) {
      deadline_ns = deadline_after(sched_.now_ns(), timeout_ns);
      deadline_set = true;
    }
    if (timeout_ns == 0) return Status(Code::kTimedOut, "read from " + peer_.to_string() + ": no data");
    switch (watch_.wait(FdWatch::Dir::kRead, deadline_ns)) {
      case FdWatch::WaitResult::kClosed: return closed_while_waiting();
      case FdWatch::WaitResult::kTimedOut:
        // One last try: data may have arrived together with the deadline.
        n = ::recv(fd_, buf.data(), buf.size(), 0);
        if (n >= 0) return static_cast<size_t>(n);
        return Status(Code::kTimedOut,
                      fmt::format("read from {}: no data within {} ms", peer_.to_string(), ns_to_ms(timeout_ns)));
      case FdWatch::WaitResult::kReady: break;
    }
  }
}

Result<size_t> RealStream::write_some(std::span<const uint8_t> buf) {
  if (fd_ < 0) return Status(Code::kClosed, "write to closed stream to " + peer_.to_string());
  if (buf.empty()) return Status(Code::kInvalidArgument, "write_some with an empty buffer");
  for (;;) {
    ssize_t n = ::send(fd_, buf.data(), buf.size(), MSG_NOSIGNAL);
    if (n > 0) return static_cast<size_t>(n);
    int err = n == 0 ? EAGAIN : errno;
    if (err == EINTR) continue;
    if (err != EAGAIN && err != EWOULDBLOCK) return net_error(err, "write to", peer_.to_string());
    if (watch_.wait(FdWatch::Dir::kWrite, kNever) == FdWatch::WaitResult::kClosed) return closed_while_waiting();
  }
}

Result<size_t> RealStream::try_write_some(std::span<const uint8_t> buf) {
  if (fd_ < 0) return Status(Code::kClosed, "write to closed stream to " + peer_.to_string());
  if (buf.empty()) return size_t{0};
  for (;;) {
    ssize_t n = ::send(fd_, buf.data(), buf.size(), MSG_NOSIGNAL);  // the socket is non-blocking
    if (n >= 0) return static_cast<size_t>(n);
    int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) return size_t{0};
    return net_error(err, "write to", peer_.to_string());
  }
}

void RealStream::close() {
  if (fd_ < 0) return;
  uint8_t scratch[16 * 1024];
  for (size_t drained = 0; drained < kCloseDrainBytesMax;) {
    ssize_t n = ::recv(fd_, scratch, sizeof(scratch), 0);
    if (n <= 0) break;  // EOF, EAGAIN or an error: nothing more to drain
    drained += static_cast<size_t>(n);
  }
  watch_.detach();  // wakes blocked fibers with kClosed, before the fd number can be reused
  ::close(fd_);
  fd_ = -1;
}

}  // namespace kz::real
