#include "core/real/real_driver.h"

#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string>

#include "core/real/os_error.h"

namespace kz::real {

namespace {
// Events harvested per epoll_wait; more ready descriptors are picked up by the next call.
constexpr int kEventsPerWait = 128;
}  // namespace

Result<std::unique_ptr<RealDriver>> RealDriver::open() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return net_error(errno, "epoll_create1", "reactor");
  return std::unique_ptr<RealDriver>(new RealDriver(fd));
}

RealDriver::~RealDriver() {
  // A registration left behind means a Stream/Listener outlives the driver: it would later call
  // remove() on a dead object.
  KZ_ASSERT_MSG(registered_ == 0, "descriptors still registered: streams or listeners outlive the runtime");
  KZ_ASSERT(blocked_fibers_ == 0);
  ::close(epoll_fd_);
}

int64_t RealDriver::now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

Status RealDriver::control(int op, int fd, uint32_t events, Pollable* pollable) {
  KZ_ASSERT(fd >= 0);
  KZ_ASSERT(pollable != nullptr);
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = pollable;
  if (epoll_ctl(epoll_fd_, op, fd, &ev) != 0) {
    return net_error(errno, op == EPOLL_CTL_ADD ? "epoll_ctl add" : "epoll_ctl mod", "fd " + std::to_string(fd));
  }
  return Status::ok();
}

Status RealDriver::add(int fd, uint32_t events, Pollable* pollable) {
  KZ_RETURN_IF_ERROR(control(EPOLL_CTL_ADD, fd, events, pollable));
  registered_++;
  registrations_total_++;
  return Status::ok();
}

Status RealDriver::modify(int fd, uint32_t events, Pollable* pollable) {
  return control(EPOLL_CTL_MOD, fd, events, pollable);
}

void RealDriver::remove(int fd) {
  KZ_ASSERT(registered_ > 0);
  int rc = epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  // Only a programming error (fd not registered, already closed) can make DEL fail.
  KZ_ASSERT_MSG(rc == 0, std::string(errno_text(errno)));
  registered_--;
}

bool RealDriver::idle(int64_t deadline_ns) {
  bool timers_pending = sched_ != nullptr ? sched_->timers_pending() > 0 : deadline_ns != kNever;
  // No fiber waits on a descriptor and no timer will fire: no event can make anything runnable.
  if (blocked_fibers_ == 0 && !timers_pending) return false;
  if (deadline_ns == kNever) {
    wait_and_dispatch(-1);
    return true;
  }
  int64_t wait_ns = deadline_ns - now_ns();
  wait_and_dispatch(wait_ns < 0 ? 0 : wait_ns);
  return true;
}

void RealDriver::poll() { wait_and_dispatch(0); }

bool RealDriver::events_pending() const {
  pollfd p{epoll_fd_, POLLIN, 0};
  // An epoll descriptor polls readable while its ready list is non-empty; nothing is consumed.
  return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

void RealDriver::wait_and_dispatch(int64_t timeout_ns) {
  epoll_event events[kEventsPerWait];
  int n = 0;
  epoll_waits_++;
  if (!pwait2_unsupported_) {
    timespec ts{};
    timespec* tsp = nullptr;
    if (timeout_ns >= 0) {
      ts.tv_sec = static_cast<time_t>(timeout_ns / kNsPerSec);
      ts.tv_nsec = static_cast<long>(timeout_ns % kNsPerSec);
      tsp = &ts;
    }
    n = epoll_pwait2(epoll_fd_, events, kEventsPerWait, tsp, nullptr);
    if (n < 0 && errno == ENOSYS) pwait2_unsupported_ = true;
  }
  if (pwait2_unsupported_) {
    int timeout_ms = -1;
    if (timeout_ns >= 0) {
      // Round up: waking before the deadline would only spin back here.
      int64_t ms = (timeout_ns + kNsPerMs - 1) / kNsPerMs;
      timeout_ms = ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms);
    }
    n = epoll_wait(epoll_fd_, events, kEventsPerWait, timeout_ms);
  }
  if (n < 0) {
    // EINTR: a signal arrived; the scheduler simply loops. Anything else is a broken invariant
    // (bad epoll fd, bad buffer).
    KZ_ASSERT_MSG(errno == EINTR, std::string(errno_text(errno)));
    return;
  }
  for (int i = 0; i < n; i++) {
    static_cast<Pollable*>(events[i].data.ptr)->on_events(events[i].events);
  }
}

}  // namespace kz::real
