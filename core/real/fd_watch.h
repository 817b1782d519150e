// FdWatch: one descriptor's registration with the reactor, plus the (at most one) fiber waiting to
// read and the (at most one) fiber waiting to write. Streams, listeners and the signal fd embed one.
//
// A waiting fiber's record lives on its own stack. detach() (the owner closing) marks that record
// closed and wakes the fiber, which then returns without touching the owner again: the owner may
// already be destroyed by the time the woken fiber runs.
#pragma once

#include <cstdint>

#include "core/real/real_driver.h"
#include "core/runtime/scheduler.h"

namespace kz::real {

class FdWatch final : public Pollable {
 public:
  enum class Dir : uint8_t { kRead, kWrite };
  enum class WaitResult : uint8_t { kReady, kTimedOut, kClosed };

  FdWatch(RealDriver& driver, rt::Scheduler& sched) : driver_(driver), sched_(sched) {}
  ~FdWatch() { detach(); }
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;

  // Registers `fd` edge-triggered for input and output. REQUIRES: not attached.
  Status attach(int fd);
  // Unregisters (before the owner closes the fd) and wakes waiters with kClosed. Idempotent.
  void detach();
  bool attached() const { return fd_ >= 0; }

  // Parks the calling fiber until the fd may be ready in `dir`, `deadline_ns` passes, or detach().
  // One park: the caller retries its syscall and waits again on EAGAIN (spurious wakes are fine).
  // After kClosed the caller must not touch the owner. REQUIRES: attached, in a fiber, and no other
  // fiber waiting in the same direction (one reader and one writer at a time).
  // Throws rt::Cancelled if the fiber's group is killed.
  WaitResult wait(Dir dir, int64_t deadline_ns);

  void on_events(uint32_t events) override;

 private:
  struct Waiter {
    rt::Fiber* fiber = nullptr;
    rt::Scheduler* sched = nullptr;
    bool closed = false;
    bool timed_out = false;
  };
  void release(Waiter*& slot);

  RealDriver& driver_;
  rt::Scheduler& sched_;
  int fd_ = -1;
  Waiter* reader_ = nullptr;
  Waiter* writer_ = nullptr;
};

}  // namespace kz::real
