#include "core/runtime/sync.h"

#include <array>
#include <span>
#include <vector>

namespace kz::rt {

WaitList::~WaitList() {
  // Waiters unlink themselves (RAII); a list destroyed with waiters would leave dangling nodes.
  KZ_ASSERT_MSG(head_ == nullptr, "WaitList destroyed while fibers wait on it");
}

void Event::wait() {
  while (!set_) {
    WaitNode w(waiters_, sched_);
    sched_.park();
  }
}

int wait_any(Scheduler& sched, std::initializer_list<Waitable*> items, int64_t timeout_ns) {
  auto first_ready = [&]() -> int {
    int i = 0;
    for (Waitable* w : items) {
      if (w->ready()) return i;
      i++;
    }
    return -1;
  };
  int ready = first_ready();
  if (ready >= 0) return ready;
  if (timeout_ns == 0) return -1;
  Fiber* self = sched.current();
  KZ_ASSERT_MSG(self != nullptr, "wait_any outside a fiber");
  WakeAlarm timeout(sched);
  if (timeout_ns > 0) timeout.arm(deadline_after(sched.now_ns(), timeout_ns));
  // Registration nodes for every item (bounded by the call's list); on the stack for short lists.
  constexpr size_t kInlineNodes = 4;
  std::array<WaitList::Node, kInlineNodes> inline_nodes{};
  std::vector<WaitList::Node> heap_nodes;
  if (items.size() > kInlineNodes) heap_nodes.resize(items.size());
  std::span<WaitList::Node> nodes = items.size() > kInlineNodes
                                        ? std::span<WaitList::Node>(heap_nodes)
                                        : std::span<WaitList::Node>(inline_nodes.data(), items.size());
  struct Unlink {
    std::span<WaitList::Node> nodes;
    ~Unlink() {
      for (auto& n : nodes) {
        if (n.list != nullptr) n.list->remove(n);
      }
    }
  } unlink{nodes};
  size_t i = 0;
  for (Waitable* w : items) w->waiters().add(nodes[i++], self);
  for (;;) {
    sched.park();
    ready = first_ready();
    if (ready >= 0) return ready;
    if (timeout.fired()) return -1;
  }
}

bool wait_for(Scheduler& sched, Waitable& item, int64_t timeout_ns) {
  return wait_any(sched, {&item}, timeout_ns) == 0;
}

}  // namespace kz::rt
