// A general linearizability checker: the Wing & Gong search with Lowe's memoisation (the approach
// of Porcupine and Knossos' "linear" checker), over a model given as a step function on a 64-bit
// state. Callers partition a history by key first (one check per key): each key is an independent
// object, which keeps every search small.
//
// Operations that certainly did not happen (`fail`) must be left out by the caller. Operations whose
// outcome is unknown (`info`) are passed with return_ns = kPendingReturn: they may take effect at any
// point after their call, or never. A model handles them with a step that never refuses (for a CAS:
// apply when the version matches, otherwise no change); that is complete, because an unknown
// operation that "did not happen" can always be linearized at the very end instead.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace kz::testbed::lin {

inline constexpr int64_t kPendingReturn = std::numeric_limits<int64_t>::max();

struct Operation {
  uint64_t id = 0;  // the history's operation id (for witnesses)
  int64_t call_ns = 0;
  int64_t return_ns = kPendingReturn;
  // Model-specific input and output.
  int32_t kind = 0;
  int64_t a = 0;
  int64_t b = 0;
  int64_t c = 0;
};

struct Model {
  uint64_t initial = 0;
  // The state after `op` from `state`, or nullopt if `op` cannot happen in `state`.
  std::function<std::optional<uint64_t>(uint64_t state, const Operation& op)> step;
};

struct Outcome {
  bool linearizable = true;
  bool decided = true;          // false: the step budget ran out first
  uint64_t steps = 0;
  // On failure: the deepest partial linearization found (operation ids in linearization order),
  // the model state after it, and the operations that could not be placed next (the first one is
  // the operation whose return forced the backtrack).
  std::vector<uint64_t> deepest;  // its last (up to 8) operations
  size_t deepest_depth = 0;       // how many operations it linearized
  uint64_t deepest_state = 0;
  std::vector<uint64_t> stuck;
};

// Checks one object's history. `step_budget` bounds the work (0 = unbounded).
Outcome check(const Model& model, const std::vector<Operation>& ops, uint64_t step_budget = 0);

// The register with compare-and-set of ZooKeeper's znodes: state = (version << 32) | value id.
// Operation kinds and fields:
//   kRead: ok read; a = version seen, b = value id seen.
//   kCasOk: acknowledged CAS; a = expected version, b = new version, c = value id written.
//   kCasUnknown: CAS with unknown outcome; a = expected version, c = value id.
enum RegisterKind : int32_t { kRead = 0, kCasOk = 1, kCasUnknown = 2 };
Model register_model(int64_t initial_version, int64_t initial_value_id);
inline int64_t register_version(uint64_t state) { return static_cast<int64_t>(state >> 32); }
inline int64_t register_value_id(uint64_t state) { return static_cast<int64_t>(state & 0xffffffffu); }

}  // namespace kz::testbed::lin
