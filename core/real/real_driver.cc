#include "core/real/real_driver.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace kz::real {

namespace {
struct Watch {
  RealDriver::ReadyFn fn;
  void* ctx;
};
}  // namespace

RealDriver::RealDriver() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  KZ_ASSERT_MSG(epoll_fd_ >= 0, std::strerror(errno));
}

RealDriver::~RealDriver() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

int64_t RealDriver::now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

void RealDriver::watch(int fd, uint32_t events, ReadyFn fn, void* ctx) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = new Watch{fn, ctx};
  int rc = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  KZ_ASSERT_MSG(rc == 0, std::strerror(errno));
  watched_++;
}

void RealDriver::unwatch(int fd) {
  // The Watch record is owned by the caller's registration; see real_net.cc.
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  KZ_ASSERT(watched_ > 0);
  watched_--;
}

bool RealDriver::idle(int64_t deadline_ns) {
  if (deadline_ns == kNever && watched_ == 0) return false;
  int timeout_ms = -1;
  if (deadline_ns != kNever) {
    int64_t wait_ns = deadline_ns - now_ns();
    if (wait_ns < 0) wait_ns = 0;
    timeout_ms = static_cast<int>((wait_ns + kNsPerMs - 1) / kNsPerMs);
  }
  epoll_event events[64];
  int n = epoll_wait(epoll_fd_, events, 64, timeout_ms);
  for (int i = 0; i < n; i++) {
    auto* w = static_cast<Watch*>(events[i].data.ptr);
    w->fn(w->ctx, events[i].events);
  }
  return true;
}

}  // namespace kz::real
