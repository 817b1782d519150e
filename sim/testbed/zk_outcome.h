// How ZooKeeper workloads record a failed operation: lost connections, timeouts and expired sessions
// leave the outcome unknown (`info`); every other error means it did not happen (`fail`).
#pragma once

#include <string>

#include "core/zk/codes.h"
#include "sim/testbed/testbed.h"

namespace kz::testbed {

inline std::string zk_error_text(zk::ErrorCode e) {
  return std::string(zk::error_code_name(static_cast<int32_t>(e)));
}

inline bool zk_outcome_unknown(zk::ErrorCode e) {
  return e == zk::ErrorCode::kConnectionLoss || e == zk::ErrorCode::kOperationTimeout ||
         e == zk::ErrorCode::kSessionExpired;
}

// Completes `op` as info or fail according to `e`.
inline void record_zk_error(RunContext& ctx, uint64_t op, zk::ErrorCode e) {
  if (zk_outcome_unknown(e)) {
    ctx.history.info(ctx.now_ns(), op, zk_error_text(e));
  } else {
    ctx.history.fail(ctx.now_ns(), op, zk_error_text(e));
  }
}

}  // namespace kz::testbed
