// The scheduler: one thread, cooperative fibers (Boost.Context), a FIFO run queue and timers ordered
// by (deadline, sequence): a wheel for the next ~33 ms, a heap beyond. All of kz's logic runs here; a backend `Driver` supplies time and
// waits for outside events (sim: jumps time to the next timer; real: epoll).
//
// Determinism: the order in which fibers run is decided only by the run queue (FIFO) and the timers'
// order (deadline, then creation sequence), whichever structure holds them. Fiber and timer ids are sequence numbers, never addresses.
//
// Fibers belong to a TaskGroup (usually one per node). Killing a group unwinds every fiber it owns:
// a fiber blocked in a wait gets the `Cancelled` exception thrown from that wait, which unwinds its
// stack (running destructors) up to the fiber's entry. Code must never swallow `Cancelled`
// (no `catch (...)` without rethrow).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/base/assert.h"
#include "core/base/time.h"

namespace kz::rt {

class Scheduler;
class TaskGroup;
struct Fiber;

// Thrown out of a blocking call when the fiber's group is killed. Never catch it.
struct Cancelled {};

// Supplied by a backend.
class Driver {
 public:
  virtual ~Driver() = default;
  // The scheduler's time (sim: true simulated time; real: monotonic clock).
  virtual int64_t now_ns() = 0;
  // Called when no fiber is runnable and no timer is due. Wait until `deadline_ns` (kNever: no timer
  // pending) or until an outside event made a fiber runnable. Sim: jump time to the deadline.
  // Returns false if nothing can ever happen again (the scheduler then returns from `run`).
  virtual bool idle(int64_t deadline_ns) = 0;
  // Called every kRunsPerPoll fiber runs while fibers stay runnable (idle() is not reached then):
  // a cheap non-blocking check for outside events, so always-runnable fibers cannot starve the
  // network. Real: epoll_wait with a zero timeout. Sim: nothing (the default), so runs are unchanged.
  virtual void poll() {}
};

// Receives every scheduling decision, random draw and simulated delivery, folded into the run's trace
// hash (same seed, same hash). Concrete and inline: it runs ~40 times per simulated operation.
class TraceSink {
 public:
  void record(uint64_t kind, uint64_t a, uint64_t b) {
    events_++;
    // One multiply-xorshift step per event. Each step is a bijection of the running hash for a
    // given event, so one differing event (or a different event count) changes the final hash
    // unless later differences happen to cancel it out exactly.
    uint64_t e = (kind * 0x9e3779b97f4a7c15ULL) ^ (a * 0xd6e8feb86659fd93ULL) ^ rotl(b * 0xbf58476d1ce4e5b9ULL, 32);
    uint64_t h = (hash_ ^ e ^ events_) * 0x94d049bb133111ebULL;
    hash_ = h ^ (h >> 29);
  }
  uint64_t trace_hash() const { return hash_; }
  uint64_t trace_events() const { return events_; }

 private:
  static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
  uint64_t hash_ = 0x6b7a5f7472616365ULL;  // "kz_trace"
  uint64_t events_ = 0;
};

// Trace event kinds recorded by the scheduler (other components use kinds >= 100).
enum TraceKind : uint64_t { kTraceFiberRun = 1, kTraceTimerFire = 2, kTraceSpawn = 3 };

struct TimerId {
  uint32_t slot = UINT32_MAX;
  uint64_t seq = 0;
  bool valid() const { return slot != UINT32_MAX; }
};

using FiberId = uint64_t;

// Intrusive doubly-linked list of fibers (run queue, group membership, held-while-paused).
struct FiberList {
  Fiber* head = nullptr;
  Fiber* tail = nullptr;
  size_t size = 0;
};

class TaskGroup {
 public:
  TaskGroup(Scheduler& sched, std::string name);
  ~TaskGroup();  // kills every fiber still alive
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  FiberId spawn(std::string name, std::function<void()> fn);
  // Unwinds every fiber of the group now and cancels its timers. The group stays usable.
  // REQUIRES: not called from a fiber of this group.
  void kill();
  // While paused, fibers of the group are not run; wake-ups are held and released by resume(),
  // in order: the process stopped (a GC pause, SIGSTOP) and continues as if nothing happened.
  void pause();
  void resume();
  bool paused() const { return paused_; }
  size_t fiber_count() const { return fibers_.size; }
  const std::string& name() const { return name_; }
  Scheduler& scheduler() { return sched_; }

 private:
  friend class Scheduler;
  Scheduler& sched_;
  std::string name_;
  FiberList fibers_;  // every live fiber of the group
  FiberList held_;    // woken while paused
  bool paused_ = false;
  bool killing_ = false;
};

class Scheduler {
 public:
  explicit Scheduler(Driver& driver);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  int64_t now_ns() const { return driver_.now_ns(); }
  void set_trace(TraceSink* trace) { trace_ = trace; }
  TraceSink* trace() const { return trace_; }

  FiberId spawn(TaskGroup& group, std::string name, std::function<void()> fn);

  enum class RunResult { kStopped, kLimitReached, kQuiescent };
  // How many fiber runs may pass without asking the driver for outside events (Driver::poll).
  static constexpr uint32_t kRunsPerPoll = 64;
  // Runs fibers and timers until stop(), until time reaches `limit_ns`, or until nothing can happen.
  RunResult run_until(int64_t limit_ns = kNever);
  void stop() { stop_ = true; }

  // ---- Called from inside a fiber ----
  Fiber* current() const { return current_; }
  TaskGroup* current_group() const;
  FiberId current_id() const;
  // Suspends the current fiber until wake(). Spurious returns are possible: callers re-check.
  // Throws Cancelled if the fiber's group is killed.
  void park();
  void yield();
  void sleep_until(int64_t deadline_ns);
  void sleep_for(int64_t duration_ns) { sleep_until(deadline_after(now_ns(), duration_ns)); }
  // Throws Cancelled if the current fiber's group is being killed (a cheap cancellation point).
  void check_cancelled();
  // A section of the current fiber that must not block (an invariant, asserted: parking, yielding
  // or sleeping inside it crashes with the fiber's name). Code that runs shared state forward on
  // whichever fiber got there first (QuorumPeer's inline steps) relies on it to stay atomic.
  class NoBlockSection {
   public:
    explicit NoBlockSection(Scheduler& sched) : sched_(sched), saved_(sched.no_block_fiber_) {
      sched.no_block_fiber_ = sched.current_;
    }
    ~NoBlockSection() { sched_.no_block_fiber_ = saved_; }
    NoBlockSection(const NoBlockSection&) = delete;
    NoBlockSection& operator=(const NoBlockSection&) = delete;

   private:
    Scheduler& sched_;
    Fiber* saved_;
  };

  // Work put off to the end of the current fiber's run: armed while a fiber runs, it runs once that
  // fiber next gives up the CPU (parks, yields, sleeps or ends), before any other fiber runs or any
  // timer fires; armed outside a fiber (a timer's callback), it runs when that callback returns.
  // For work cheaper once per run than once per call, whose delay nothing can observe: QuorumPeer
  // writes all the frames one run produced for a peer with one write, not one write per frame.
  // Runs on the scheduler (no current fiber): it must not block. Armed ones run in the order they
  // were armed; one armed by a fiber whose group is then killed does not run (a crashed server
  // sends nothing more). The destructor disarms.
  class Deferred {
   public:
    using Fn = void (*)(void* ctx);
    Deferred(Scheduler& sched, Fn fn, void* ctx) : sched_(sched), fn_(fn), ctx_(ctx) {}
    ~Deferred();
    Deferred(const Deferred&) = delete;
    Deferred& operator=(const Deferred&) = delete;
    void arm();  // no-op while armed
    bool armed() const { return armed_; }

   private:
    friend class Scheduler;
    Scheduler& sched_;
    Fn fn_;
    void* ctx_;
    TaskGroup* owner_ = nullptr;  // the arming fiber's group (nullptr: armed outside a fiber)
    bool armed_ = false;
  };

  // ---- Usable anywhere ----
  // Makes a parked fiber runnable (no-op if it is already runnable or running).
  void wake(Fiber* fiber);
  // A timer's callback runs on the scheduler (not in a fiber): it must not block.
  // `owner` (default: the current fiber's group) cancels the timer when killed.
  TimerId add_timer(int64_t deadline_ns, std::function<void()> callback, TaskGroup* owner = nullptr);
  // The same timer with a plain function pointer as its callback, called as fn(ctx, arg). For the
  // hot internal timers (sleeps, waits with a timeout, network deliveries): no std::function to
  // build, move and destroy per timer. Both kinds share one sequence, so they fire in one order.
  using TimerFn = void (*)(void* ctx, uint64_t arg);
  TimerId add_timer(int64_t deadline_ns, TimerFn fn, void* ctx, uint64_t arg, TaskGroup* owner = nullptr);
  bool cancel_timer(TimerId id);
  // True while the timer has neither fired nor been cancelled (also by its owner's kill).
  bool timer_pending(TimerId id) const {
    return id.valid() && id.slot < timer_slots_.size() && timer_slots_[id.slot].seq == id.seq;
  }
  size_t timers_pending() const { return timers_live_; }
  uint64_t events() const { return events_; }
  uint64_t context_switches() const { return switches_; }

 private:
  friend class TaskGroup;
  struct TimerSlot {
    int64_t deadline_ns = 0;
    uint64_t seq = 0;  // 0: free
    TimerFn fn = nullptr;  // null: the callback is `callback`
    void* ctx = nullptr;
    uint64_t arg = 0;
    std::function<void()> callback;  // empty unless added with a std::function
    TaskGroup* owner = nullptr;
    // On the wheel: its bucket and neighbours there (kNoSlot: none); bucket kNoSlot: on the heap.
    uint32_t bucket = kNoSlot;
    uint32_t prev = kNoSlot;
    uint32_t next = kNoSlot;
  };
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  struct HeapEntry {
    int64_t deadline_ns;
    uint64_t seq;
    uint32_t slot;
  };
  // Timers fire in (deadline, sequence) order, a total order (sequences are unique), whatever
  // structure holds them. Two structures do:
  // - The wheel holds the timers due within kWheelBuckets buckets of 2^kWheelShift ns (~33 ms)
  //   from the cursor: network deliveries, disk latencies, client pacing, timeouts that are
  //   cancelled before they fire. Each bucket is a list of slots sorted by (deadline, sequence),
  //   one or two long, with a bit per bucket saying it is not empty; a timer is inserted, cancelled
  //   (unlinked at once) and taken in a few dozen instructions.
  // - The heap, a 4-ary min-heap on (deadline, sequence), holds the later ones (session expiry,
  //   ticks, long timeouts). Cancelled entries leave it lazily.
  // The next timer is the smaller of the wheel's first entry and the heap's top. The cursor is the
  // absolute bucket (deadline >> kWheelShift) of the last timer taken, never beyond a wheel entry,
  // so the wheel's entries always lie in buckets [cursor, cursor + kWheelBuckets): one lap, and
  // scanning the buckets circularly from the cursor visits them in time order. A deadline already
  // behind the cursor goes into the cursor's bucket, whose order puts it first.
  static constexpr int kWheelShift = 15;
  static constexpr uint32_t kWheelBuckets = 1024;
  static constexpr size_t kHeapArity = 4;
  // The firing order, for heap entries and timer slots alike (both carry deadline_ns and seq).
  template <class T>
  static bool before(const T& a, const T& b) {
    return a.deadline_ns != b.deadline_ns ? a.deadline_ns < b.deadline_ns : a.seq < b.seq;
  }
  void wheel_insert(uint32_t slot, int64_t bucket);
  void wheel_unlink(uint32_t slot);
  uint32_t wheel_first() const;  // the slot of the wheel's earliest timer, or kNoSlot
  // The slot of the next timer to fire (discarding cancelled heap tops), or kNoSlot; *from_wheel
  // says where it is.
  uint32_t next_timer(bool* from_wheel);
  void heap_push(const HeapEntry& entry);
  void heap_pop();  // removes heap_[0]
  void heap_sift_down(size_t hole, HeapEntry entry);

  void switch_to(Fiber* fiber);  // resumes `fiber` until it parks or ends
  void switch_out(Fiber* fiber);  // from inside `fiber`: back to whoever resumed it
  void destroy(Fiber* fiber);
  bool fire_one_due_timer(int64_t now_ns);
  void fire_top_timer();  // REQUIRES: a timer is pending (next_deadline() said so)
  int64_t next_deadline();
  void compact_heap();
  // Takes a free slot, fills the common fields and puts it on the wheel or the heap; the caller sets
  // the callback.
  TimerId new_timer(int64_t deadline_ns, TaskGroup* owner, TimerSlot** slot_out);
  void free_slot(uint32_t slot);
  void kill_group(TaskGroup& group);
  void make_runnable(Fiber* fiber);
  void run_deferred() {
    if (!deferred_.empty()) run_deferred_slow();
  }
  void run_deferred_slow();
  void record(uint64_t kind, uint64_t a, uint64_t b) {
    if (trace_ != nullptr) trace_->record(kind, a, b);
  }

  Driver& driver_;
  TraceSink* trace_ = nullptr;
  Fiber* current_ = nullptr;
  Fiber* no_block_fiber_ = nullptr;  // inside a NoBlockSection of this fiber (nullptr: none)
  FiberList run_queue_;
  std::vector<Deferred*> deferred_;  // armed, in arming order
  std::vector<Deferred*> deferred_running_;  // run_deferred_slow()'s batch (kept for its capacity)
  std::vector<TimerSlot> timer_slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<HeapEntry> heap_;
  uint32_t wheel_head_[kWheelBuckets];
  uint64_t wheel_bits_[kWheelBuckets / 64] = {};
  int64_t wheel_cursor_ = 0;
  size_t wheel_count_ = 0;
  // next_timer()'s answer until a timer is added, cancelled or taken (the run loop asks up to three
  // times per timer: is it due, which is it, and again after an idle jump).
  bool next_known_ = false;
  bool next_from_wheel_ = false;
  uint32_t next_slot_ = kNoSlot;
  size_t timers_live_ = 0;
  uint64_t next_timer_seq_ = 1;
  uint64_t next_fiber_id_ = 1;
  uint64_t events_ = 0;
  uint64_t switches_ = 0;
  uint32_t runs_since_poll_ = 0;
  bool stop_ = false;

 public:
  struct StackPool;  // implementation detail (scheduler.cc)

 private:
  StackPool* stacks_;
  void* main_stack_bottom_ = nullptr;  // learned on the first switch (sanitizer annotations)
  size_t main_stack_size_ = 0;
};

// A deadline for a fiber that parks on something else (a sleep, a timed wait): once armed, its
// timer wakes the fiber that made the alarm at the deadline and records that it fired; leaving
// the scope cancels it. It lives on that fiber's stack (the timer points at it): no allocation.
class WakeAlarm {
 public:
  explicit WakeAlarm(Scheduler& sched) : sched_(sched), fiber_(sched.current()) {}
  ~WakeAlarm() { sched_.cancel_timer(id_); }  // a no-op once fired
  WakeAlarm(const WakeAlarm&) = delete;
  WakeAlarm& operator=(const WakeAlarm&) = delete;

  void arm(int64_t deadline_ns) {
    KZ_ASSERT(!id_.valid());
    id_ = sched_.add_timer(deadline_ns, &WakeAlarm::on_fire, this, 0);
  }
  bool fired() const { return fired_; }

 private:
  static void on_fire(void* ctx, uint64_t) {
    auto* alarm = static_cast<WakeAlarm*>(ctx);
    alarm->fired_ = true;
    alarm->sched_.wake(alarm->fiber_);
  }

  Scheduler& sched_;
  Fiber* fiber_;
  TimerId id_;
  bool fired_ = false;
};

}  // namespace kz::rt
