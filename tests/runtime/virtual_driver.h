// A minimal virtual-time Driver for runtime unit tests: time jumps to the next timer.
#pragma once

#include "core/runtime/scheduler.h"

namespace kz::testing {

class VirtualDriver final : public rt::Driver {
 public:
  int64_t now_ns() override { return now_; }
  bool idle(int64_t deadline_ns) override {
    if (deadline_ns == kNever) return false;
    if (deadline_ns > now_) now_ = deadline_ns;
    return true;
  }
  int64_t now_ = 0;
};

}  // namespace kz::testing
