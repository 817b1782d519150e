// The search: the history becomes a doubly linked list of call and return entries in time order.
// Walking from the front, a call entry whose operation the model accepts is "lifted" (its call and
// return leave the list, its state change is kept, and the pair (set of linearized operations,
// state) is remembered); reaching a return entry means the operation it closes could not be
// linearized before it: undo the latest lift and try the next candidate. A (set, state) pair seen
// before is a dead end already explored, which is what keeps the search near linear in practice.
#include "sim/testbed/linearizability.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "core/base/assert.h"

namespace kz::testbed::lin {

namespace {

uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Remembers (linearized set, state) pairs. A set is represented by two independent 64-bit Zobrist
// hashes (128 bits: a collision among the few million sets of a search has probability ~2^-80),
// which keeps each entry at 24 bytes instead of a bitset of the whole history.
class Cache {
 public:
  bool insert(uint64_t h1, uint64_t h2, uint64_t state) { return seen_.insert(Key{h1, h2, state}).second; }

 private:
  struct Key {
    uint64_t h1, h2, state;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return k.h1 ^ (k.state * 0x9e3779b97f4a7c15ull); }
  };
  std::unordered_set<Key, KeyHash> seen_;  // looked up only, never iterated
};

}  // namespace

Outcome check(const Model& model, const std::vector<Operation>& ops, uint64_t step_budget) {
  constexpr size_t kTailKept = 8;
  Outcome out;
  const size_t n = ops.size();
  if (n == 0) return out;
  for (size_t i = 0; i < n; i++) {
    KZ_ASSERT_MSG(ops[i].return_ns >= ops[i].call_ns, "operation returns before its call");
  }
  // Operations of unknown outcome (no return) never block the search: they are candidates only when
  // it is stuck, and only if they change the state (one that changes nothing can be linearized at
  // the very end instead). They live outside the list, sorted by call time.
  std::vector<uint32_t> definite, pending;
  for (size_t i = 0; i < n; i++) (ops[i].return_ns == kPendingReturn ? pending : definite).push_back(static_cast<uint32_t>(i));
  std::stable_sort(pending.begin(), pending.end(),
                   [&](uint32_t x, uint32_t y) { return ops[x].call_ns < ops[y].call_ns; });
  std::vector<char> pending_lifted(n, 0);
  // Entries of definite operations: 2i = call of op i, 2i+1 = its return. Sorted by time; at equal
  // times calls come first (touching intervals count as concurrent), then by operation order.
  const size_t m = definite.size();
  std::vector<uint32_t> order;
  order.reserve(2 * m);
  for (uint32_t i : definite) {
    order.push_back(2 * i);
    order.push_back(2 * i + 1);
  }
  auto time_of = [&](uint32_t e) { return (e & 1) ? ops[e / 2].return_ns : ops[e / 2].call_ns; };
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    int64_t tx = time_of(x), ty = time_of(y);
    if (tx != ty) return tx < ty;
    if ((x & 1) != (y & 1)) return (x & 1) < (y & 1);
    return x < y;
  });
  // Doubly linked list over positions 1..2m in `order`; 0 is the head sentinel, 2m+1 the end.
  const uint32_t end = static_cast<uint32_t>(2 * m + 1);
  std::vector<uint32_t> next(2 * m + 2), prev(2 * m + 2), pos_of(2 * n, 0);
  for (uint32_t q = 0; q <= 2 * m; q++) next[q] = q + 1;
  for (uint32_t q = 1; q <= end; q++) prev[q] = q - 1;
  for (uint32_t q = 1; q <= 2 * m; q++) pos_of[order[q - 1]] = q;
  auto entry_at = [&](uint32_t q) { return order[q - 1]; };
  auto unlink = [&](uint32_t q) {
    next[prev[q]] = next[q];
    prev[next[q]] = prev[q];
  };
  auto relink = [&](uint32_t q) {
    next[prev[q]] = q;
    prev[next[q]] = q;
  };

  std::vector<uint64_t> zobrist1(n), zobrist2(n);
  uint64_t seed = 0x6b7a6c696e656172ull;
  for (size_t i = 0; i < n; i++) {
    zobrist1[i] = splitmix(seed);
    zobrist2[i] = splitmix(seed);
  }
  uint64_t set_hash1 = 0, set_hash2 = 0;
  Cache cache;
  auto mark = [&](size_t i) {
    set_hash1 ^= zobrist1[i];
    set_hash2 ^= zobrist2[i];
  };

  // A frame: a lifted operation, the state before it, and where the scan resumes on backtrack.
  struct Frame {
    uint32_t op;
    bool from_pending;   // lifted in the stuck phase (then `at` indexes `pending`)
    uint32_t at;         // list position of its call, or index into `pending`
    uint32_t limit;      // stuck phase: the return entry's list position that made us stuck
    uint64_t state_before;
  };
  std::vector<Frame> stack;
  uint64_t state = model.initial;
  uint32_t p = next[0];  // normal phase: scan position in the list
  bool stuck_phase = false;
  uint32_t limit = 0;    // stuck phase: the blocking return entry
  size_t pi = 0;         // stuck phase: next index into `pending`
  size_t best_depth = 0;
  bool have_best = false;

  auto try_lift = [&](uint32_t i, uint64_t after) {
    mark(i);
    if (cache.insert(set_hash1, set_hash2, after)) return true;
    mark(i);
    return false;
  };
  auto record_stuck = [&](uint32_t blocking_op) {
    if (have_best && stack.size() < best_depth) return;
    have_best = true;
    best_depth = stack.size();
    // Only the tail of the deepest linearization is kept (copying it all would make each stuck
    // point cost the depth); `deepest_depth` says how long it was.
    out.deepest.clear();
    for (size_t k = stack.size() > kTailKept ? stack.size() - kTailKept : 0; k < stack.size(); k++) {
      out.deepest.push_back(ops[stack[k].op].id);
    }
    out.deepest_depth = stack.size();
    out.deepest_state = state;
    out.stuck.clear();
    out.stuck.push_back(ops[blocking_op].id);
    for (uint32_t q = next[0]; q != end && out.stuck.size() < 16; q = next[q]) {
      uint32_t qe = entry_at(q);
      if ((qe & 1) == 0 && qe / 2 != blocking_op) out.stuck.push_back(ops[qe / 2].id);
      if ((qe & 1) == 1 && qe / 2 == blocking_op) break;
    }
  };

  while (next[0] != end) {
    if (step_budget != 0 && out.steps >= step_budget) {
      out.decided = false;
      return out;
    }
    out.steps++;
    if (!stuck_phase) {
      uint32_t e = entry_at(p);
      uint32_t i = e / 2;
      if ((e & 1) == 0) {  // a call: try to linearize op i here
        std::optional<uint64_t> after = model.step(state, ops[i]);
        if (after.has_value() && try_lift(i, *after)) {
          stack.push_back(Frame{i, false, p, 0, state});
          state = *after;
          unlink(p);
          unlink(pos_of[e + 1]);
          p = next[0];
          continue;
        }
        p = next[p];
        continue;
      }
      // A return: op i could not be linearized before it. Try unknown operations first.
      record_stuck(i);
      stuck_phase = true;
      limit = p;
      pi = 0;
      continue;
    }
    // Stuck phase: an unknown-outcome operation called before the blocking return may explain it.
    int64_t limit_time = ops[entry_at(limit) / 2].return_ns;
    bool lifted = false;
    while (pi < pending.size() && ops[pending[pi]].call_ns <= limit_time) {
      uint32_t i = pending[pi];
      size_t here = pi++;
      if (pending_lifted[i]) continue;
      std::optional<uint64_t> after = model.step(state, ops[i]);
      if (!after.has_value() || *after == state || !try_lift(i, *after)) continue;
      stack.push_back(Frame{i, true, static_cast<uint32_t>(here), limit, state});
      pending_lifted[i] = 1;
      state = *after;
      stuck_phase = false;
      p = next[0];
      lifted = true;
      break;
    }
    if (lifted) continue;
    // Nothing explains it: undo the latest lift and try the next candidate after it.
    if (stack.empty()) {
      out.linearizable = false;
      return out;
    }
    Frame f = stack.back();
    stack.pop_back();
    mark(f.op);
    state = f.state_before;
    if (f.from_pending) {
      pending_lifted[f.op] = 0;
      stuck_phase = true;
      limit = f.limit;
      pi = f.at + 1;
    } else {
      relink(pos_of[2 * f.op + 1]);
      relink(f.at);
      stuck_phase = false;
      p = next[f.at];
    }
  }
  out.deepest.clear();
  out.stuck.clear();
  return out;
}

Model register_model(int64_t initial_version, int64_t initial_value_id) {
  auto pack = [](int64_t version, int64_t value) {
    return (static_cast<uint64_t>(version) << 32) | (static_cast<uint64_t>(value) & 0xffffffffu);
  };
  Model m;
  m.initial = pack(initial_version, initial_value_id);
  m.step = [pack](uint64_t state, const Operation& op) -> std::optional<uint64_t> {
    int64_t version = register_version(state);
    switch (op.kind) {
      case kRead:
        if (op.a == version && op.b == register_value_id(state)) return state;
        return std::nullopt;
      case kCasOk:
        if (op.a == version && op.b == version + 1) return pack(op.b, op.c);
        return std::nullopt;
      case kCasUnknown:
        if (op.a == version) return pack(version + 1, op.c);
        return state;
      default:
        KZ_ASSERT_MSG(false, "unknown register operation kind");
        return std::nullopt;
    }
  };
  return m;
}

}  // namespace kz::testbed::lin
