#include "core/runtime/scheduler.h"

#include <algorithm>
#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <exception>
#include <string>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#define KZ_ASAN 1
#include <sanitizer/common_interface_defs.h>
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KZ_ASAN 1
#include <sanitizer/common_interface_defs.h>
#endif
#endif

namespace kz::rt {

namespace ctx = boost::context;

enum class FiberState : uint8_t { kRunnable, kRunning, kParked, kDone };

struct FiberLinks {
  Fiber* prev = nullptr;
  Fiber* next = nullptr;
};

struct Fiber {
  FiberId id = 0;
  std::string name;
  TaskGroup* group = nullptr;
  std::function<void()> fn;
  FiberState state = FiberState::kRunnable;
  bool cancelled = false;
  bool in_run_list = false;  // in the run queue or (if `held`) its group's held list
  bool held = false;
  FiberLinks run_links;
  FiberLinks group_links;
  ctx::fiber context;  // the fiber, while suspended
  ctx::fiber caller;   // whoever resumed it, while running
  ctx::stack_context stack;
  // Sanitizer bookkeeping.
  void* fake_stack = nullptr;
  const void* caller_bottom = nullptr;
  size_t caller_size = 0;
};

namespace {

template <FiberLinks Fiber::*Links>
void list_push_back(FiberList& list, Fiber* f) {
  FiberLinks& l = f->*Links;
  KZ_ASSERT(l.prev == nullptr && l.next == nullptr && list.head != f);
  l.prev = list.tail;
  l.next = nullptr;
  if (list.tail != nullptr) {
    (list.tail->*Links).next = f;
  } else {
    list.head = f;
  }
  list.tail = f;
  list.size++;
}

template <FiberLinks Fiber::*Links>
void list_remove(FiberList& list, Fiber* f) {
  FiberLinks& l = f->*Links;
  if (l.prev != nullptr) {
    (l.prev->*Links).next = l.next;
  } else {
    KZ_ASSERT(list.head == f);
    list.head = l.next;
  }
  if (l.next != nullptr) {
    (l.next->*Links).prev = l.prev;
  } else {
    KZ_ASSERT(list.tail == f);
    list.tail = l.prev;
  }
  l.prev = nullptr;
  l.next = nullptr;
  KZ_ASSERT(list.size > 0);
  list.size--;
}

template <FiberLinks Fiber::*Links>
Fiber* list_pop_front(FiberList& list) {
  Fiber* f = list.head;
  if (f != nullptr) list_remove<Links>(list, f);
  return f;
}

constexpr size_t kStackSize = 256 * 1024;
constexpr size_t kStackPoolMax = 4096;

#ifdef KZ_ASAN
void asan_start(void** fake_stack_save, const void* bottom, size_t size) {
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
}
void asan_finish(void* fake_stack_save, const void** bottom_old, size_t* size_old) {
  __sanitizer_finish_switch_fiber(fake_stack_save, bottom_old, size_old);
}
#else
void asan_start(void**, const void*, size_t) {}
void asan_finish(void*, const void**, size_t*) {}
#endif

}  // namespace

// Recycles fiber stacks: mapping a guarded stack per spawn would dominate short fibers' cost.
struct Scheduler::StackPool {
  ctx::protected_fixedsize_stack allocator{kStackSize};
  std::vector<ctx::stack_context> free;

  ~StackPool() {
    for (auto& s : free) allocator.deallocate(s);
  }
  ctx::stack_context get() {
    if (!free.empty()) {
      ctx::stack_context s = free.back();
      free.pop_back();
      return s;
    }
    return allocator.allocate();
  }
  void put(ctx::stack_context s) {
    if (free.size() < kStackPoolMax) {
      free.push_back(s);
    } else {
      allocator.deallocate(s);
    }
  }
};

namespace {
struct PooledStack {
  Scheduler::StackPool* pool;
  ctx::stack_context* out;
  ctx::stack_context allocate() {
    ctx::stack_context s = pool->get();
    *out = s;
    return s;
  }
  void deallocate(ctx::stack_context& s) noexcept { pool->put(s); }
};
}  // namespace

// ---------------------------------------------------------------- TaskGroup

TaskGroup::TaskGroup(Scheduler& sched, std::string name) : sched_(sched), name_(std::move(name)) {}

TaskGroup::~TaskGroup() { kill(); }

FiberId TaskGroup::spawn(std::string name, std::function<void()> fn) {
  return sched_.spawn(*this, std::move(name), std::move(fn));
}

void TaskGroup::kill() { sched_.kill_group(*this); }

void TaskGroup::pause() { paused_ = true; }

void TaskGroup::resume() {
  if (!paused_) return;
  paused_ = false;
  while (Fiber* f = list_pop_front<&Fiber::run_links>(held_)) {
    f->held = false;
    list_push_back<&Fiber::run_links>(sched_.run_queue_, f);
  }
}

// ---------------------------------------------------------------- Scheduler

Scheduler::Scheduler(Driver& driver) : driver_(driver), stacks_(new StackPool) {
  std::fill(std::begin(wheel_head_), std::end(wheel_head_), kNoSlot);
}

Scheduler::~Scheduler() {
  KZ_ASSERT_MSG(current_ == nullptr, "scheduler destroyed from inside a fiber");
  KZ_ASSERT_MSG(run_queue_.size == 0, "scheduler destroyed with live fibers: destroy task groups first");
  delete stacks_;
}

TaskGroup* Scheduler::current_group() const { return current_ ? current_->group : nullptr; }

FiberId Scheduler::current_id() const { return current_ ? current_->id : 0; }

FiberId Scheduler::spawn(TaskGroup& group, std::string name, std::function<void()> fn) {
  KZ_ASSERT(&group.sched_ == this);
  auto* f = new Fiber;
  f->id = next_fiber_id_++;
  f->name = std::move(name);
  f->group = &group;
  f->fn = std::move(fn);
  f->cancelled = group.killing_;
  f->context = ctx::fiber(std::allocator_arg, PooledStack{stacks_, &f->stack},
                          [this, f](ctx::fiber&& caller) -> ctx::fiber {
                            f->caller = std::move(caller);
                            asan_finish(nullptr, &f->caller_bottom, &f->caller_size);
                            if (main_stack_bottom_ == nullptr) {
                              main_stack_bottom_ = const_cast<void*>(f->caller_bottom);
                              main_stack_size_ = f->caller_size;
                            }
                            if (!f->cancelled) {
                              try {
                                f->fn();
                              } catch (const Cancelled&) {
                                // Unwound by a kill: the normal end of a crashed node's fiber.
                              } catch (const std::exception& e) {
                                assert_fail("exception escaped fiber", f->name + ": " + e.what(), __FILE__,
                                            __LINE__);
                              }
                            }
                            f->fn = nullptr;  // destroy captures while still on this stack
                            f->state = FiberState::kDone;
                            asan_start(nullptr, f->caller_bottom, f->caller_size);
                            return std::move(f->caller);
                          });
  list_push_back<&Fiber::group_links>(group.fibers_, f);
  f->state = FiberState::kParked;
  record(kTraceSpawn, f->id, 0);
  make_runnable(f);
  return f->id;
}

void Scheduler::make_runnable(Fiber* f) {
  KZ_ASSERT(f->state == FiberState::kParked);
  KZ_ASSERT(!f->in_run_list);
  f->state = FiberState::kRunnable;
  f->in_run_list = true;
  if (f->group->paused_ && !f->group->killing_) {
    f->held = true;
    list_push_back<&Fiber::run_links>(f->group->held_, f);
  } else {
    list_push_back<&Fiber::run_links>(run_queue_, f);
  }
}

void Scheduler::wake(Fiber* f) {
  KZ_ASSERT(f != nullptr);
  if (f->state == FiberState::kParked) make_runnable(f);
}

void Scheduler::switch_to(Fiber* f) {
  KZ_ASSERT(f->state == FiberState::kRunnable || f->state == FiberState::kParked);
  if (f->in_run_list) {
    KZ_ASSERT(!f->held);
    list_remove<&Fiber::run_links>(run_queue_, f);
    f->in_run_list = false;
  }
  Fiber* prev = current_;
  current_ = f;
  f->state = FiberState::kRunning;
  ++switches_;
  ++events_;
  record(kTraceFiberRun, f->id, 0);
  void* fake = nullptr;
  const void* bottom = static_cast<const char*>(f->stack.sp) - f->stack.size;
  asan_start(&fake, bottom, f->stack.size);
  f->context = std::move(f->context).resume();
  asan_finish(fake, nullptr, nullptr);
  current_ = prev;
  run_deferred();
  if (f->state == FiberState::kDone) destroy(f);
}

Scheduler::Deferred::~Deferred() {
  if (!armed_) return;
  std::vector<Deferred*>& armed = sched_.deferred_;
  armed.erase(std::find(armed.begin(), armed.end(), this));
}

void Scheduler::Deferred::arm() {
  if (armed_) return;
  armed_ = true;
  owner_ = sched_.current_ != nullptr ? sched_.current_->group : nullptr;
  sched_.deferred_.push_back(this);
}

void Scheduler::run_deferred_slow() {
  // What a deferred callback arms joins the next batch, still before anything else runs.
  while (!deferred_.empty()) {
    deferred_running_.swap(deferred_);
    for (Deferred* d : deferred_running_) {
      d->armed_ = false;
      if (d->owner_ != nullptr && d->owner_->killing_) continue;
      d->fn_(d->ctx_);
    }
    deferred_running_.clear();
  }
}

void Scheduler::switch_out(Fiber* f) {
  KZ_ASSERT(current_ == f);
  KZ_ASSERT_MSG(f != no_block_fiber_, "fiber '" + f->name + "' blocked inside a section that must not block");
  asan_start(&f->fake_stack, f->caller_bottom, f->caller_size);
  f->caller = std::move(f->caller).resume();
  asan_finish(f->fake_stack, &f->caller_bottom, &f->caller_size);
}

void Scheduler::destroy(Fiber* f) {
  KZ_ASSERT(f->state == FiberState::kDone);
  KZ_ASSERT(!f->in_run_list);
  list_remove<&Fiber::group_links>(f->group->fibers_, f);
  f->context = ctx::fiber();  // already ended; releases nothing but the handle
  delete f;
}

void Scheduler::check_cancelled() {
  Fiber* f = current_;
  if (f != nullptr && f->cancelled && std::uncaught_exceptions() == 0) throw Cancelled{};
}

void Scheduler::park() {
  Fiber* f = current_;
  KZ_ASSERT_MSG(f != nullptr, "park() outside a fiber");
  if (f->cancelled) {
    // While unwinding (destructors of a killed fiber), waits return at once instead of blocking.
    if (std::uncaught_exceptions() > 0) return;
    throw Cancelled{};
  }
  f->state = FiberState::kParked;
  switch_out(f);
  KZ_ASSERT(f->state == FiberState::kRunning);
  if (f->cancelled && std::uncaught_exceptions() == 0) throw Cancelled{};
}

void Scheduler::yield() {
  Fiber* f = current_;
  KZ_ASSERT_MSG(f != nullptr, "yield() outside a fiber");
  check_cancelled();
  f->state = FiberState::kParked;
  make_runnable(f);
  switch_out(f);
  check_cancelled();
}

void Scheduler::sleep_until(int64_t deadline_ns) {
  KZ_ASSERT_MSG(current_ != nullptr, "sleep outside a fiber");
  WakeAlarm alarm(*this);
  alarm.arm(deadline_ns);
  while (!alarm.fired()) park();
}

TimerId Scheduler::new_timer(int64_t deadline_ns, TaskGroup* owner, TimerSlot** slot_out) {
  if (owner == nullptr && current_ != nullptr) owner = current_->group;
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(timer_slots_.size());
    timer_slots_.emplace_back();
  }
  TimerSlot& s = timer_slots_[slot];
  KZ_ASSERT(s.seq == 0);
  KZ_ASSERT(s.fn == nullptr && !s.callback);
  s.deadline_ns = deadline_ns;
  s.seq = next_timer_seq_++;
  s.owner = owner;
  next_known_ = false;
  const int64_t bucket = std::max(deadline_ns >> kWheelShift, wheel_cursor_);
  if (bucket - wheel_cursor_ < static_cast<int64_t>(kWheelBuckets)) {
    wheel_insert(slot, bucket);
  } else {
    s.bucket = kNoSlot;
    heap_push(HeapEntry{deadline_ns, s.seq, slot});
  }
  timers_live_++;
  *slot_out = &s;
  return TimerId{slot, s.seq};
}

TimerId Scheduler::add_timer(int64_t deadline_ns, std::function<void()> callback, TaskGroup* owner) {
  KZ_ASSERT(callback);
  TimerSlot* s;
  TimerId id = new_timer(deadline_ns, owner, &s);
  s->callback = std::move(callback);
  return id;
}

TimerId Scheduler::add_timer(int64_t deadline_ns, TimerFn fn, void* ctx, uint64_t arg, TaskGroup* owner) {
  KZ_ASSERT(fn != nullptr);
  TimerSlot* s;
  TimerId id = new_timer(deadline_ns, owner, &s);
  s->fn = fn;
  s->ctx = ctx;
  s->arg = arg;
  return id;
}

void Scheduler::free_slot(uint32_t slot) {
  TimerSlot& s = timer_slots_[slot];
  s.seq = 0;
  if (s.fn == nullptr) s.callback = nullptr;  // a function-pointer timer never set it
  s.fn = nullptr;
  s.owner = nullptr;
  free_slots_.push_back(slot);
  timers_live_--;
}

bool Scheduler::cancel_timer(TimerId id) {
  if (!id.valid() || id.slot >= timer_slots_.size()) return false;
  TimerSlot& s = timer_slots_[id.slot];
  if (s.seq != id.seq) return false;
  next_known_ = false;
  const bool on_wheel = s.bucket != kNoSlot;
  if (on_wheel) wheel_unlink(id.slot);
  free_slot(id.slot);
  // Cancelled entries leave the heap lazily. Without this the heap would grow to every long timeout
  // of the last few seconds and each push and pop would pay for it. Dropping the dead entries keeps
  // it within twice its live timers; the firing order is (deadline, sequence) either way.
  if (!on_wheel && heap_.size() > 64 && heap_.size() > 2 * (timers_live_ - wheel_count_)) compact_heap();
  return true;
}

void Scheduler::wheel_insert(uint32_t slot, int64_t bucket) {
  const uint32_t b = static_cast<uint32_t>(bucket) & (kWheelBuckets - 1);
  TimerSlot& s = timer_slots_[slot];
  s.bucket = b;
  // Sorted by (deadline, sequence); the new timer has the largest sequence, so it goes after every
  // entry with a deadline not later than its own.
  uint32_t prev = kNoSlot;
  uint32_t next = wheel_head_[b];
  while (next != kNoSlot && !before(s, timer_slots_[next])) {
    prev = next;
    next = timer_slots_[next].next;
  }
  s.prev = prev;
  s.next = next;
  if (next != kNoSlot) timer_slots_[next].prev = slot;
  if (prev != kNoSlot) {
    timer_slots_[prev].next = slot;
  } else {
    wheel_head_[b] = slot;
    wheel_bits_[b / 64] |= uint64_t{1} << (b % 64);
  }
  wheel_count_++;
}

void Scheduler::wheel_unlink(uint32_t slot) {
  TimerSlot& s = timer_slots_[slot];
  KZ_ASSERT(s.bucket != kNoSlot);
  if (s.next != kNoSlot) timer_slots_[s.next].prev = s.prev;
  if (s.prev != kNoSlot) {
    timer_slots_[s.prev].next = s.next;
  } else {
    wheel_head_[s.bucket] = s.next;
    if (s.next == kNoSlot) wheel_bits_[s.bucket / 64] &= ~(uint64_t{1} << (s.bucket % 64));
  }
  s.bucket = s.prev = s.next = kNoSlot;
  wheel_count_--;
}

uint32_t Scheduler::wheel_first() const {
  if (wheel_count_ == 0) return kNoSlot;
  // Circularly from the cursor's bucket: the first bucket that is not empty holds the earliest.
  const uint32_t start = static_cast<uint32_t>(wheel_cursor_) & (kWheelBuckets - 1);
  constexpr uint32_t kWords = kWheelBuckets / 64;
  uint32_t w = start / 64;
  uint64_t bits = wheel_bits_[w] & (~uint64_t{0} << (start % 64));
  for (uint32_t i = 0; i <= kWords; i++) {
    if (bits != 0) return wheel_head_[w * 64 + static_cast<uint32_t>(__builtin_ctzll(bits))];
    w = (w + 1) % kWords;
    bits = wheel_bits_[w];
  }
  KZ_ASSERT_MSG(false, "timer wheel counts entries but no bucket holds one");
  return kNoSlot;
}

uint32_t Scheduler::next_timer(bool* from_wheel) {
  if (next_known_) {
    *from_wheel = next_from_wheel_;
    return next_slot_;
  }
  while (!heap_.empty() && timer_slots_[heap_.front().slot].seq != heap_.front().seq) {
    heap_pop();  // cancelled: discard lazily
  }
  const uint32_t w = wheel_first();
  if (heap_.empty()) {
    next_from_wheel_ = true;
    next_slot_ = w;
  } else {
    const uint32_t h = heap_.front().slot;
    next_from_wheel_ = w != kNoSlot && before(timer_slots_[w], timer_slots_[h]);
    next_slot_ = next_from_wheel_ ? w : h;
  }
  next_known_ = true;
  *from_wheel = next_from_wheel_;
  return next_slot_;
}

void Scheduler::heap_push(const HeapEntry& entry) {
  size_t hole = heap_.size();
  heap_.push_back(entry);
  while (hole > 0) {
    size_t parent = (hole - 1) / kHeapArity;
    if (!before(entry, heap_[parent])) break;
    heap_[hole] = heap_[parent];
    hole = parent;
  }
  heap_[hole] = entry;
}

void Scheduler::heap_sift_down(size_t hole, HeapEntry entry) {
  // Bottom-up: the entry placed here mostly comes from the end of the heap, a late deadline that
  // belongs near the bottom. So walk the hole down along the smallest children to a leaf without
  // comparing the entry on the way, then move the entry up from there to its place (rarely far).
  const size_t start = hole;
  const size_t size = heap_.size();
  HeapEntry* h = heap_.data();
  for (;;) {
    size_t first = hole * kHeapArity + 1;
    if (first >= size) break;
    size_t best = first;
    if (first + kHeapArity <= size) {  // all four children: a two-round tournament, no loop
      static_assert(kHeapArity == 4);
      size_t a = before(h[first + 1], h[first]) ? first + 1 : first;
      size_t b = before(h[first + 3], h[first + 2]) ? first + 3 : first + 2;
      best = before(h[b], h[a]) ? b : a;
    } else {
      for (size_t child = first + 1; child < size; child++) {
        if (before(h[child], h[best])) best = child;
      }
    }
    h[hole] = h[best];
    hole = best;
  }
  while (hole > start) {
    size_t parent = (hole - 1) / kHeapArity;
    if (!before(entry, h[parent])) break;
    h[hole] = h[parent];
    hole = parent;
  }
  h[hole] = entry;
}

void Scheduler::heap_pop() {
  KZ_ASSERT(!heap_.empty());
  HeapEntry last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) heap_sift_down(0, last);
}

void Scheduler::compact_heap() {
  std::erase_if(heap_, [this](const HeapEntry& e) { return timer_slots_[e.slot].seq != e.seq; });
  // Rebuild bottom-up: sift down every node that has children, the last of them first.
  if (heap_.size() < 2) return;
  for (size_t i = (heap_.size() - 2) / kHeapArity + 1; i-- > 0;) heap_sift_down(i, heap_[i]);
}

int64_t Scheduler::next_deadline() {
  bool from_wheel;
  const uint32_t slot = next_timer(&from_wheel);
  return slot == kNoSlot ? kNever : timer_slots_[slot].deadline_ns;
}

bool Scheduler::fire_one_due_timer(int64_t now_ns) {
  if (next_deadline() > now_ns) return false;
  fire_top_timer();
  return true;
}

void Scheduler::fire_top_timer() {
  bool from_wheel;
  const uint32_t slot = next_timer(&from_wheel);
  KZ_ASSERT(slot != kNoSlot);
  TimerSlot& s = timer_slots_[slot];
  const HeapEntry top{s.deadline_ns, s.seq, slot};
  next_known_ = false;
  if (from_wheel) {
    wheel_unlink(slot);
  } else {
    heap_pop();
  }
  // The cursor follows the timers taken; all later ones are at or past this bucket.
  wheel_cursor_ = std::max(wheel_cursor_, top.deadline_ns >> kWheelShift);
  // The slot is freed before the callback runs (it may add timers, reusing it): take what it holds.
  ++events_;
  if (s.fn != nullptr) {
    TimerFn fn = s.fn;
    void* ctx = s.ctx;
    uint64_t arg = s.arg;
    free_slot(top.slot);
    record(kTraceTimerFire, static_cast<uint64_t>(top.deadline_ns), top.seq);
    fn(ctx, arg);
    run_deferred();
    return;
  }
  std::function<void()> cb = std::move(s.callback);
  free_slot(top.slot);
  record(kTraceTimerFire, static_cast<uint64_t>(top.deadline_ns), top.seq);
  cb();
  run_deferred();
}

Scheduler::RunResult Scheduler::run_until(int64_t limit_ns) {
  KZ_ASSERT_MSG(current_ == nullptr, "run_until() from inside a fiber");
  stop_ = false;
  for (;;) {
    if (stop_) return RunResult::kStopped;
    if (Fiber* f = run_queue_.head) {
      if (f->group->paused_) {  // became runnable before its group was paused: hold it
        list_remove<&Fiber::run_links>(run_queue_, f);
        f->held = true;
        list_push_back<&Fiber::run_links>(f->group->held_, f);
        continue;
      }
      switch_to(f);
      if (++runs_since_poll_ >= kRunsPerPoll) {
        runs_since_poll_ = 0;
        driver_.poll();
        // Fibers that stay runnable must not starve timers either (session expiry, heartbeats):
        // fire what is due now, as if the run queue had drained.
        int64_t now = driver_.now_ns();
        while (fire_one_due_timer(now)) {
        }
      }
      continue;
    }
    int64_t now = driver_.now_ns();
    int64_t next = next_deadline();
    if (next <= now) {
      fire_top_timer();
      continue;
    }
    if (now >= limit_ns) return RunResult::kLimitReached;
    runs_since_poll_ = 0;  // idle() looks at the outside world
    if (!driver_.idle(std::min(next, limit_ns))) return RunResult::kQuiescent;
  }
}

void Scheduler::kill_group(TaskGroup& group) {
  KZ_ASSERT_MSG(current_ == nullptr || current_->group != &group,
                "a task group cannot kill itself from one of its own fibers");
  group.killing_ = true;
  for (uint32_t slot = 0; slot < timer_slots_.size(); slot++) {
    TimerSlot& s = timer_slots_[slot];
    if (s.seq != 0 && s.owner == &group) cancel_timer(TimerId{slot, s.seq});
  }
  while (Fiber* f = group.fibers_.head) {
    f->cancelled = true;
    if (f->in_run_list) {
      list_remove<&Fiber::run_links>(f->held ? group.held_ : run_queue_, f);
      f->in_run_list = false;
      f->held = false;
      f->state = FiberState::kParked;
    }
    KZ_ASSERT_MSG(f->state == FiberState::kParked, f->name);
    switch_to(f);  // unwinds it to completion (or, if it never started, ends it at once)
    KZ_ASSERT_MSG(group.fibers_.head != f, "fiber survived a kill (swallowed Cancelled?): " + group.name_);
  }
  group.killing_ = false;
  group.paused_ = false;
  KZ_ASSERT(group.held_.size == 0);
}

}  // namespace kz::rt
