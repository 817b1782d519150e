// SyncThread: fsync/fdatasync on helper OS threads (a small pool), completed as an event on the scheduler.
//
// Why: the process has one scheduler thread. A blocking fdatasync on it (hundreds of microseconds,
// sometimes tens of milliseconds) stops everything: no socket is read, no reply is sent, no request is
// prepared for the next group commit. With this helper the fiber that called File::sync() parks while
// the helper thread syncs; every other fiber keeps running, and the next batch is ready when the
// sync completes. Durability is unchanged: File::sync() still returns only after the OS said the data
// is on disk (or returns the error).
//
// Protocol: sync_fd() (on the scheduler thread, in a fiber) dup()s the descriptor, queues the request
// and parks. The helper thread runs the syscall, closes the duplicate, moves the request to a done
// list and writes an eventfd. The eventfd is registered with the RealDriver; on_events() (scheduler
// thread, outside fibers) drains the done list and wakes the waiting fibers. The duplicate descriptor
// keeps the file open for the helper even if the caller closes its own descriptor meanwhile (a killed
// fiber unwinds and abandons its request: the helper finishes it and nobody is woken).
//
// These are the only threads kz starts in a server; it shares nothing with the scheduler but the two
// mutex-guarded queues. The eventfd is registered with the reactor only while a sync is in flight.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/base/status.h"
#include "core/real/real_driver.h"
#include "core/runtime/scheduler.h"

namespace kz::real {

class SyncThread final : public Pollable {
 public:
  // Helper threads: syncs of different callers overlap (ext4 commits concurrent fdatasyncs of one
  // file together: on this machine 1 thread ~270 syncs/s, 2 threads 670-2600/s, 4 ~3000/s).
  static constexpr int kThreads = 4;
  // Creates the eventfd and starts the helper thread.
  static Result<std::unique_ptr<SyncThread>> start(RealDriver& driver, rt::Scheduler& sched);
  ~SyncThread();
  SyncThread(const SyncThread&) = delete;
  SyncThread& operator=(const SyncThread&) = delete;

  // fdatasync (`data_only`) or fsync of `fd` on the helper thread; parks the calling fiber until it
  // is done. Outside a fiber (or while a killed fiber unwinds) it syncs inline instead.
  // Returns 0 or the errno of the syscall. Throws rt::Cancelled if the fiber's group is killed.
  int sync_fd(int fd, bool data_only);

  void on_events(uint32_t events) override;

  // Sync inline, without a helper, when nothing else could run meanwhile (see sync_fd). On by
  // default; tests turn it off to exercise the helpers.
  void set_inline_when_alone(bool on) { inline_when_alone_ = on; }

  uint64_t offloaded() const { return offloaded_; }
  uint64_t inline_syncs() const { return inline_; }

 private:
  struct Op {
    int fd = -1;  // the duplicate, owned by the helper once queued
    bool data_only = true;
    int err = 0;
    bool done = false;             // scheduler thread only (set in on_events)
    rt::Fiber* fiber = nullptr;    // scheduler thread only; null once abandoned
  };
  SyncThread(RealDriver& driver, rt::Scheduler& sched, int event_fd);
  void run();

  RealDriver& driver_;
  rt::Scheduler& sched_;
  int event_fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Op>> queue_;  // to the helper
  std::deque<std::shared_ptr<Op>> done_;   // back from the helper
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  size_t inflight_ = 0;      // queued or running, not yet harvested by on_events
  bool registered_ = false;  // event_fd_ is watched by the driver (while inflight_ > 0)
  bool inline_when_alone_ = true;
  uint64_t offloaded_ = 0;
  uint64_t inline_ = 0;
};

}  // namespace kz::real
