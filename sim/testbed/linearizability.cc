// The search: the history becomes a doubly linked list of call and return entries in time order.
// Walking from the front, a call entry whose operation the model accepts is "lifted" (its call and
// return leave the list, its state change is kept, and the pair (set of linearized operations,
// state) is remembered); reaching a return entry means the operation it closes could not be
// linearized before it: undo the latest lift and try the next candidate. A (set, state) pair seen
// before is a dead end already explored, which is what keeps the search near linear in practice.
#include "sim/testbed/linearizability.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "core/base/assert.h"

namespace kz::testbed::lin {

namespace {

uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Remembers (linearized set, state) pairs. Sets are stored in one arena of words.
class Cache {
 public:
  explicit Cache(size_t words) : words_(words) {}
  // Inserts; false if it was present.
  bool insert(uint64_t set_hash, const std::vector<uint64_t>& set, uint64_t state) {
    uint64_t key = set_hash ^ (state * 0x9e3779b97f4a7c15ull);
    std::vector<uint32_t>& bucket = index_[key];
    for (uint32_t slot : bucket) {
      if (states_[slot] == state &&
          std::memcmp(&arena_[static_cast<size_t>(slot) * words_], set.data(), words_ * sizeof(uint64_t)) == 0) {
        return false;
      }
    }
    bucket.push_back(static_cast<uint32_t>(states_.size()));
    states_.push_back(state);
    arena_.insert(arena_.end(), set.begin(), set.end());
    return true;
  }

 private:
  size_t words_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> index_;  // looked up only, never iterated
  std::vector<uint64_t> states_;
  std::vector<uint64_t> arena_;
};

}  // namespace

Outcome check(const Model& model, const std::vector<Operation>& ops, uint64_t step_budget) {
  Outcome out;
  const size_t n = ops.size();
  if (n == 0) return out;
  // Entries: 2i = call of op i, 2i+1 = its return. Sorted by time; at equal times calls come
  // first (touching intervals count as concurrent), then by operation order.
  std::vector<uint32_t> order(2 * n);
  for (size_t i = 0; i < 2 * n; i++) order[i] = static_cast<uint32_t>(i);
  auto time_of = [&](uint32_t e) { return (e & 1) ? ops[e / 2].return_ns : ops[e / 2].call_ns; };
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    int64_t tx = time_of(x), ty = time_of(y);
    if (tx != ty) return tx < ty;
    if ((x & 1) != (y & 1)) return (x & 1) < (y & 1);
    return x < y;
  });
  for (size_t i = 0; i < n; i++) {
    KZ_ASSERT_MSG(ops[i].return_ns >= ops[i].call_ns, "operation returns before its call");
  }
  // Doubly linked list over positions 1..2n in `order`; 0 is the head sentinel, 2n+1 the end.
  const uint32_t end = static_cast<uint32_t>(2 * n + 1);
  std::vector<uint32_t> next(2 * n + 2), prev(2 * n + 2), pos_of(2 * n);
  for (uint32_t p = 0; p <= 2 * n; p++) next[p] = p + 1;
  for (uint32_t p = 1; p <= end; p++) prev[p] = p - 1;
  for (uint32_t p = 1; p <= 2 * n; p++) pos_of[order[p - 1]] = p;
  auto entry_at = [&](uint32_t p) { return order[p - 1]; };
  auto unlink = [&](uint32_t p) {
    next[prev[p]] = next[p];
    prev[next[p]] = prev[p];
  };
  auto relink = [&](uint32_t p) {
    next[prev[p]] = p;
    prev[next[p]] = p;
  };

  std::vector<uint64_t> zobrist(n);
  uint64_t seed = 0x6b7a6c696e656172ull;
  for (size_t i = 0; i < n; i++) zobrist[i] = splitmix(seed);
  const size_t words = (n + 63) / 64;
  std::vector<uint64_t> set(words, 0);
  uint64_t set_hash = 0;
  Cache cache(words);

  struct Frame {
    uint32_t call_pos;
    uint64_t state_before;
  };
  std::vector<Frame> stack;
  uint64_t state = model.initial;
  uint32_t p = next[0];
  size_t best_depth = 0;
  bool have_best = false;
  while (next[0] != end) {
    if (step_budget != 0 && out.steps >= step_budget) {
      out.decided = false;
      return out;
    }
    out.steps++;
    uint32_t e = entry_at(p);
    size_t i = e / 2;
    if ((e & 1) == 0) {  // a call: try to linearize op i here
      std::optional<uint64_t> after = model.step(state, ops[i]);
      if (after.has_value()) {
        set[i / 64] |= uint64_t{1} << (i % 64);
        set_hash ^= zobrist[i];
        if (cache.insert(set_hash, set, *after)) {
          stack.push_back(Frame{p, state});
          state = *after;
          unlink(p);
          unlink(pos_of[e + 1]);
          p = next[0];
          continue;
        }
        set[i / 64] &= ~(uint64_t{1} << (i % 64));
        set_hash ^= zobrist[i];
      }
      p = next[p];
      continue;
    }
    // A return: op i could not be linearized before it.
    if (!have_best || stack.size() >= best_depth) {
      have_best = true;
      best_depth = stack.size();
      out.deepest.clear();
      for (const Frame& f : stack) out.deepest.push_back(ops[entry_at(f.call_pos) / 2].id);
      out.deepest_state = state;
      out.stuck.clear();
      out.stuck.push_back(ops[i].id);
      // The other candidates: calls still in the list before this return.
      for (uint32_t q = next[0]; q != p && out.stuck.size() < 16; q = next[q]) {
        uint32_t qe = entry_at(q);
        if ((qe & 1) == 0 && qe / 2 != i) out.stuck.push_back(ops[qe / 2].id);
      }
    }
    if (stack.empty()) {
      out.linearizable = false;
      return out;
    }
    Frame f = stack.back();
    stack.pop_back();
    uint32_t ce = entry_at(f.call_pos);
    size_t ci = ce / 2;
    relink(pos_of[ce + 1]);
    relink(f.call_pos);
    set[ci / 64] &= ~(uint64_t{1} << (ci % 64));
    set_hash ^= zobrist[ci];
    state = f.state_before;
    p = next[f.call_pos];
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
