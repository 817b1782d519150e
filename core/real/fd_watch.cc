#include "core/real/fd_watch.h"

#include <sys/epoll.h>

namespace kz::real {

namespace {
constexpr uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP | EPOLLET;
}  // namespace

Status FdWatch::attach(int fd) {
  KZ_ASSERT(fd >= 0);
  KZ_ASSERT_MSG(fd_ < 0, "FdWatch attached twice");
  // Write readiness is watched only while a writer waits (see wait()): with EPOLLOUT always on, every
  // ACK that frees send-buffer space is an event, which woke the idle loop after each reply and kept
  // the lone-sync shortcut of sync_thread.cc from ever applying.
  KZ_RETURN_IF_ERROR(driver_.add(fd, kReadEvents, this));
  fd_ = fd;
  return Status::ok();
}

void FdWatch::release(Waiter*& slot) {
  if (slot == nullptr) return;
  slot->closed = true;
  sched_.wake(slot->fiber);
  slot = nullptr;
}

void FdWatch::detach() {
  if (fd_ < 0) return;
  driver_.remove(fd_);
  fd_ = -1;
  release(reader_);
  release(writer_);
}

FdWatch::WaitResult FdWatch::wait(Dir dir, int64_t deadline_ns) {
  KZ_ASSERT_MSG(fd_ >= 0, "wait on a detached FdWatch");
  Waiter*& slot = dir == Dir::kRead ? reader_ : writer_;
  KZ_ASSERT_MSG(slot == nullptr, "two fibers wait on one descriptor in the same direction");
  Waiter w;
  w.fiber = sched_.current();
  w.sched = &sched_;
  KZ_ASSERT_MSG(w.fiber != nullptr, "FdWatch::wait outside a fiber");
  slot = &w;

  rt::TimerId timer;
  if (deadline_ns != kNever) {
    // Captures one pointer: fits std::function's inline buffer, so a timed wait does not allocate.
    Waiter* wp = &w;
    timer = sched_.add_timer(deadline_ns, [wp] {
      wp->timed_out = true;
      wp->sched->wake(wp->fiber);
    });
  }
  // Watch write readiness for this wait only. MOD re-checks readiness: a socket that became writable
  // since the EAGAIN reports it at once, so no wake-up is lost.
  bool watching_writes = dir == Dir::kWrite && driver_.modify(fd_, kReadEvents | EPOLLOUT, this).is_ok();
  driver_.blocked_inc();
  // Unwinds on return and on Cancelled alike. `this` is touched only if the owner was not closed
  // (a closed owner may already be gone); the driver and the scheduler outlive every owner.
  struct Guard {
    RealDriver& driver;
    rt::Scheduler& sched;
    Waiter& w;
    Waiter*& slot;
    rt::TimerId timer;
    FdWatch* watch;
    bool watching_writes;
    ~Guard() {
      driver.blocked_dec();
      sched.cancel_timer(timer);
      if (!w.closed && slot == &w) slot = nullptr;
      if (watching_writes && !w.closed && watch->fd_ >= 0) (void)driver.modify(watch->fd_, kReadEvents, watch);
    }
  } guard{driver_, sched_, w, slot, timer, this, watching_writes};
  sched_.park();
  if (w.closed) return WaitResult::kClosed;
  if (w.timed_out) return WaitResult::kTimedOut;
  return WaitResult::kReady;
}

void FdWatch::on_events(uint32_t events) {
  // Errors and hang-ups wake both sides: the retried syscall reports what happened.
  constexpr uint32_t kBoth = EPOLLERR | EPOLLHUP;
  if (reader_ != nullptr && (events & (EPOLLIN | EPOLLRDHUP | kBoth)) != 0) sched_.wake(reader_->fiber);
  if (writer_ != nullptr && (events & (EPOLLOUT | kBoth)) != 0) sched_.wake(writer_->fiber);
}

}  // namespace kz::real
