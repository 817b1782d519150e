#include "core/real/sync_thread.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "core/real/os_error.h"

namespace kz::real {

namespace {
int sync_now(int fd, bool data_only) {
  int rc = data_only ? ::fdatasync(fd) : ::fsync(fd);
  return rc == 0 ? 0 : errno;
}
}  // namespace

Result<std::unique_ptr<SyncThread>> SyncThread::start(RealDriver& driver, rt::Scheduler& sched) {
  int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) return Status(Code::kIoError, "eventfd: " + std::string(errno_text(errno)));
  std::unique_ptr<SyncThread> t(new SyncThread(driver, sched, efd));
  for (int i = 0; i < kThreads; i++) t->threads_.emplace_back([p = t.get()] { p->run(); });
  return t;
}

SyncThread::SyncThread(RealDriver& driver, rt::Scheduler& sched, int event_fd)
    : driver_(driver), sched_(sched), event_fd_(event_fd) {}

SyncThread::~SyncThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  // The helpers finish what is queued first (each op closes its duplicate).
  for (std::thread& t : threads_) t.join();
  if (registered_) driver_.remove(event_fd_);
  ::close(event_fd_);
}

void SyncThread::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::shared_ptr<Op> op = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    op->err = sync_now(op->fd, op->data_only);
    ::close(op->fd);
    op->fd = -1;
    lock.lock();
    done_.push_back(std::move(op));
    uint64_t one = 1;
    // A full counter (never, at 2^64 - 2) or EAGAIN would still leave it readable: nothing is lost.
    (void)!::write(event_fd_, &one, sizeof(one));
  }
}

int SyncThread::sync_fd(int fd, bool data_only) {
  rt::Fiber* self = sched_.current();
  // Outside a fiber, or in a destructor of a killed fiber (parking would return at once): inline.
  if (self == nullptr || std::uncaught_exceptions() > 0) {
    inline_++;
    return sync_now(fd, data_only);
  }
  if (inline_when_alone_ && inflight_ == 0) {
    // Handing a sync to a sleeping helper and being woken back costs two thread wake-ups (tens to
    // hundreds of microseconds each on a VM), as much as the fdatasync itself. When no other sync is
    // in flight, no other fiber is runnable and no outside event is waiting, there is nothing the
    // scheduler could do meanwhile: sync right here. Under load (pipelined clients) events are
    // pending and the sync goes to a helper, so syncs still overlap.
    uint64_t switches_before = sched_.context_switches();
    sched_.yield();  // lets every runnable fiber run first; returns at once if there is none
    bool alone = sched_.context_switches() - switches_before == 1;
    if (alone && inflight_ == 0 && !driver_.events_pending()) {
      inline_++;
      return sync_now(fd, data_only);
    }
  }
  int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) {
    inline_++;
    return sync_now(fd, data_only);
  }
  if (!registered_) {
    // Watched only while a sync is in flight: an idle helper keeps nothing registered.
    if (!driver_.add(event_fd_, EPOLLIN, this).is_ok()) {
      ::close(dup_fd);
      inline_++;
      return sync_now(fd, data_only);
    }
    registered_ = true;
  }
  inflight_++;
  auto op = std::make_shared<Op>();
  op->fd = dup_fd;
  op->data_only = data_only;
  op->fiber = self;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(op);
  }
  cv_.notify_one();
  offloaded_++;
  driver_.blocked_inc();  // a completion event may wake us: run() must not end meanwhile
  struct Guard {
    RealDriver& driver;
    Op& op;
    ~Guard() {
      driver.blocked_dec();
      op.fiber = nullptr;  // on Cancelled too: the helper finishes the op and nobody is woken
    }
  } guard{driver_, *op};
  while (!op->done) {
    // park() returns at once while a killed fiber unwinds; then sync inline (the helper's result is
    // dropped: both syscalls made the same data durable).
    if (std::uncaught_exceptions() > 0) return sync_now(fd, data_only);
    sched_.park();
  }
  return op->err;
}

void SyncThread::on_events(uint32_t) {
  uint64_t count = 0;
  while (::read(event_fd_, &count, sizeof(count)) > 0) {
  }
  std::deque<std::shared_ptr<Op>> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished.swap(done_);
  }
  for (const std::shared_ptr<Op>& op : finished) {
    op->done = true;
    if (op->fiber != nullptr) sched_.wake(op->fiber);
    KZ_ASSERT(inflight_ > 0);
    inflight_--;
  }
  if (inflight_ == 0 && registered_) {
    // Level-triggered: a count left in the eventfd shows up as one empty on_events after re-adding.
    driver_.remove(event_fd_);
    registered_ = false;
  }
}

}  // namespace kz::real
