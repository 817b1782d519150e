// Fiber synchronisation: WaitList (the building block), Event, Channel<T> (bounded), Promise/Future,
// and wait_any with a timeout. All of them live on one scheduler; none is thread-safe (none needs to be).
// Every wait is a cancellation point: a killed fiber leaves it by the `Cancelled` exception, and the
// RAII wait registrations unlink themselves as the stack unwinds.
#pragma once

#include <deque>
#include <initializer_list>
#include <memory>
#include <optional>
#include <utility>

#include "core/base/status.h"
#include "core/runtime/scheduler.h"

namespace kz::rt {

// An intrusive list of fibers waiting for something. Registration is RAII (WaitNode).
class WaitList {
 public:
  struct Node {
    Fiber* fiber = nullptr;
    Node* prev = nullptr;
    Node* next = nullptr;
    WaitList* list = nullptr;
  };
  WaitList() = default;
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;
  ~WaitList();

  // The operations are inline: every wait and wake-up (each network read, reply and channel
  // message) runs a few of them.
  void add(Node& node, Fiber* fiber) {
    KZ_ASSERT(fiber != nullptr);
    KZ_ASSERT(node.list == nullptr);
    node.fiber = fiber;
    node.list = this;
    node.prev = tail_;
    node.next = nullptr;
    if (tail_ != nullptr) {
      tail_->next = &node;
    } else {
      head_ = &node;
    }
    tail_ = &node;
  }
  void remove(Node& node) {
    if (node.list != this) return;
    if (node.prev != nullptr) {
      node.prev->next = node.next;
    } else {
      head_ = node.next;
    }
    if (node.next != nullptr) {
      node.next->prev = node.prev;
    } else {
      tail_ = node.prev;
    }
    node.prev = node.next = nullptr;
    node.list = nullptr;
  }
  bool empty() const { return head_ == nullptr; }
  // Wakes every waiter, in the order they started waiting.
  void wake_all(Scheduler& sched) {
    for (Node* n = head_; n != nullptr; n = n->next) sched.wake(n->fiber);
  }
  // Wakes the longest waiter.
  void wake_one(Scheduler& sched) {
    if (head_ != nullptr) sched.wake(head_->fiber);
  }

 private:
  Node* head_ = nullptr;
  Node* tail_ = nullptr;
};

// Registers the current fiber on a WaitList for the scope of one wait.
class WaitNode {
 public:
  WaitNode(WaitList& list, Scheduler& sched) : list_(list) { list.add(node_, sched.current()); }
  ~WaitNode() { list_.remove(node_); }
  WaitNode(const WaitNode&) = delete;
  WaitNode& operator=(const WaitNode&) = delete;

 private:
  WaitList& list_;
  WaitList::Node node_;
};

// Something a fiber can wait for: wait_any works over these.
class Waitable {
 public:
  virtual ~Waitable() = default;
  virtual bool ready() const = 0;
  virtual WaitList& waiters() = 0;
};

// Waits until one of `items` is ready; returns its index, or -1 if `timeout_ns` passed first.
// timeout_ns = kNoTimeout waits forever.
int wait_any(Scheduler& sched, std::initializer_list<Waitable*> items, int64_t timeout_ns = kNoTimeout);

// Waits for `item` with a timeout; true if ready.
bool wait_for(Scheduler& sched, Waitable& item, int64_t timeout_ns);

// A manual-reset event.
class Event final : public Waitable {
 public:
  explicit Event(Scheduler& sched) : sched_(sched) {}
  void set() {
    if (set_) return;
    set_ = true;
    waiters_.wake_all(sched_);
  }
  void reset() { set_ = false; }
  bool is_set() const { return set_; }
  void wait();
  // True if set, false on timeout.
  bool wait_for(int64_t timeout_ns) { return rt::wait_for(sched_, *this, timeout_ns); }
  bool ready() const override { return set_; }
  WaitList& waiters() override { return waiters_; }

 private:
  Scheduler& sched_;
  bool set_ = false;
  WaitList waiters_;
};

// A bounded FIFO channel between fibers. send() blocks while full, recv() while empty.
// close(): pending items can still be received; then recv() returns nullopt and send() false.
template <typename T>
class Channel final : public Waitable {
 public:
  Channel(Scheduler& sched, size_t capacity) : sched_(sched), capacity_(capacity) { KZ_ASSERT(capacity > 0); }

  bool send(T item) {
    while (!closed_ && items_.size() >= capacity_) {
      WaitNode w(senders_, sched_);
      sched_.park();
    }
    if (closed_) return false;
    items_.push_back(std::move(item));
    receivers_.wake_one(sched_);
    return true;
  }
  // Never blocks; false if full or closed.
  bool try_send(T item) {
    if (closed_ || items_.size() >= capacity_) return false;
    items_.push_back(std::move(item));
    receivers_.wake_one(sched_);
    return true;
  }
  std::optional<T> recv() {
    while (items_.empty() && !closed_) {
      WaitNode w(receivers_, sched_);
      sched_.park();
    }
    return pop();
  }
  // nullopt on timeout or when closed and drained.
  std::optional<T> recv_for(int64_t timeout_ns) {
    if (!rt::wait_for(sched_, *this, timeout_ns)) return std::nullopt;
    return pop();
  }
  std::optional<T> try_recv() { return pop(); }
  void close() {
    closed_ = true;
    receivers_.wake_all(sched_);
    senders_.wake_all(sched_);
  }
  bool closed() const { return closed_; }
  size_t size() const { return items_.size(); }
  size_t capacity() const { return capacity_; }
  // Readable: an item is there or the channel is closed.
  bool ready() const override { return !items_.empty() || closed_; }
  WaitList& waiters() override { return receivers_; }

 private:
  std::optional<T> pop() {
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    senders_.wake_one(sched_);
    if (!items_.empty()) receivers_.wake_one(sched_);
    return item;
  }

  Scheduler& sched_;
  size_t capacity_;
  bool closed_ = false;
  std::deque<T> items_;
  WaitList receivers_;
  WaitList senders_;
};

// A one-shot value passed from a Promise to its Future. A Promise dropped unfulfilled delivers
// a Cancelled status ("broken promise").
template <typename T>
class Future;

namespace detail {
template <typename T>
struct SharedState final : Waitable {
  explicit SharedState(Scheduler& s) : sched(s) {}
  Scheduler& sched;
  std::optional<Result<T>> result;
  WaitList list;
  bool ready() const override { return result.has_value(); }
  WaitList& waiters() override { return list; }
  void fulfil(Result<T> r) {
    KZ_ASSERT_MSG(!result.has_value(), "promise fulfilled twice");
    result.emplace(std::move(r));
    list.wake_all(sched);
  }
};
}  // namespace detail

template <typename T>
class Promise {
 public:
  explicit Promise(Scheduler& sched) : state_(std::make_shared<detail::SharedState<T>>(sched)) {}
  Promise(Promise&&) noexcept = default;
  Promise& operator=(Promise&& other) noexcept {
    break_if_unfulfilled();
    state_ = std::move(other.state_);
    return *this;
  }
  ~Promise() { break_if_unfulfilled(); }

  Future<T> future() const { return Future<T>(state_); }
  void set_value(T value) { state_->fulfil(Result<T>(std::move(value))); }
  void set_error(Status status) { state_->fulfil(Result<T>(std::move(status))); }
  bool fulfilled() const { return state_ && state_->result.has_value(); }

 private:
  void break_if_unfulfilled() {
    if (state_ && !state_->result.has_value()) state_->fulfil(Result<T>(Status(Code::kCancelled, "broken promise")));
  }
  std::shared_ptr<detail::SharedState<T>> state_;
};

template <typename T>
class Future {
 public:
  Future() = default;
  bool valid() const { return state_ != nullptr; }
  bool ready() const { return state_ && state_->ready(); }
  // Blocks until the value (or error) is there.
  const Result<T>& get() {
    KZ_ASSERT(valid());
    while (!state_->ready()) {
      WaitNode w(state_->list, state_->sched);
      state_->sched.park();
    }
    return *state_->result;
  }
  // True if ready within the timeout.
  bool wait_for(int64_t timeout_ns) { return rt::wait_for(state_->sched, *state_, timeout_ns); }
  Waitable* waitable() { return state_.get(); }

 private:
  friend class Promise<T>;
  explicit Future(std::shared_ptr<detail::SharedState<T>> s) : state_(std::move(s)) {}
  std::shared_ptr<detail::SharedState<T>> state_;
};

}  // namespace kz::rt
