// The real backend's scheduler driver: monotonic time from the OS and an epoll reactor that wakes
// fibers blocked on sockets. One per process.
#pragma once

#include <cstdint>

#include "core/runtime/scheduler.h"

namespace kz::real {

class RealDriver final : public rt::Driver {
 public:
  RealDriver();
  ~RealDriver() override;
  int64_t now_ns() override;
  bool idle(int64_t deadline_ns) override;

  // Registers `fd` for readiness; `on_ready(events)` runs on the scheduler thread (not in a fiber).
  using ReadyFn = void (*)(void* ctx, uint32_t events);
  void watch(int fd, uint32_t events, ReadyFn fn, void* ctx);
  void unwatch(int fd);
  size_t watched() const { return watched_; }

 private:
  int epoll_fd_ = -1;
  size_t watched_ = 0;
};

}  // namespace kz::real
