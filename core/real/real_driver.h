// The real backend's scheduler driver: monotonic time from the OS and an epoll reactor that wakes
// fibers blocked on file descriptors. One per process (one per RealRuntime).
//
// Contract with the scheduler: epoll events are only harvested in idle() (nothing runnable) and in
// poll() (every Scheduler::kRunsPerPoll fiber runs), both on the scheduler's own stack, never inside
// a fiber. A Pollable's on_events() only marks and wakes fibers (or stops the scheduler): it must
// not run fiber code nor destroy any Pollable, so a harvested batch never points at a dead record.
//
// Registration is edge-triggered and done once per fd (EPOLL_CTL_ADD at attach, EPOLL_CTL_DEL at
// detach); a waiter always tries its syscall first and parks only after EAGAIN, so no edge is lost.
#pragma once

#include <cstdint>
#include <memory>

#include "core/base/status.h"
#include "core/runtime/scheduler.h"

namespace kz::real {

// Something registered with the reactor: `on_events` receives the epoll event mask.
class Pollable {
 public:
  virtual void on_events(uint32_t events) = 0;

 protected:
  ~Pollable() = default;
};

class RealDriver final : public rt::Driver {
 public:
  // Creates the epoll instance; fails only if the process is out of descriptors or memory.
  static Result<std::unique_ptr<RealDriver>> open();
  ~RealDriver() override;
  RealDriver(const RealDriver&) = delete;
  RealDriver& operator=(const RealDriver&) = delete;

  // CLOCK_MONOTONIC.
  int64_t now_ns() override;
  // Waits in epoll until `deadline_ns` or an event; false when nothing can happen any more: no
  // timer pending and no fiber blocked on a descriptor. (`deadline_ns` may be a run limit rather
  // than a timer, so the bound scheduler is asked whether timers are pending.)
  bool idle(int64_t deadline_ns) override;
  // The scheduler this driver serves (for its count of pending timers). REQUIRES: before run.
  void bind(rt::Scheduler* sched) { sched_ = sched; }
  // epoll_wait with a zero timeout.
  void poll() override;
  // Whether some registered descriptor has an event not harvested yet (the epoll descriptor is
  // readable). Harvests nothing: callable from inside a fiber.
  bool events_pending() const;

  // REQUIRES: `fd` not registered yet; `pollable` outlives the registration.
  Status add(int fd, uint32_t events, Pollable* pollable);
  // REQUIRES: `fd` registered by add(). Replaces its event mask (epoll re-checks readiness, so an
  // event already true is reported at once).
  Status modify(int fd, uint32_t events, Pollable* pollable);
  // REQUIRES: `fd` registered; call before closing the fd.
  void remove(int fd);

  // Fibers parked on a descriptor (they keep run() alive: an event may wake them).
  void blocked_inc() { blocked_fibers_++; }
  void blocked_dec() {
    KZ_ASSERT(blocked_fibers_ > 0);
    blocked_fibers_--;
  }
  size_t blocked_fibers() const { return blocked_fibers_; }
  size_t registered() const { return registered_; }
  // EPOLL_CTL_ADD calls ever made: one per descriptor, however many waits it sees.
  uint64_t registrations_total() const { return registrations_total_; }
  uint64_t epoll_waits() const { return epoll_waits_; }

 private:
  Status control(int op, int fd, uint32_t events, Pollable* pollable);  // epoll_ctl ADD or MOD
  explicit RealDriver(int epoll_fd) : epoll_fd_(epoll_fd) {}
  // Waits up to `timeout_ns` (-1: forever, 0: don't block) and dispatches what is ready.
  void wait_and_dispatch(int64_t timeout_ns);

  int epoll_fd_;
  rt::Scheduler* sched_ = nullptr;
  size_t registered_ = 0;
  uint64_t registrations_total_ = 0;
  size_t blocked_fibers_ = 0;
  uint64_t epoll_waits_ = 0;
  bool pwait2_unsupported_ = false;  // kernels before 5.11: fall back to millisecond epoll_wait
};

}  // namespace kz::real
