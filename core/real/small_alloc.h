// small_alloc: the process's operator new and delete (the kz binary and kz_tests link it).
//
// Requests of up to kSmallBytesMax bytes come from size classes of 16 bytes, each a LIFO free list
// per thread, carved from 64 KiB pages of one reserved range of address space; larger ones, and
// everything once the range is used up, go to malloc. A busy simulation allocates and frees ~21
// small blocks per operation (strings, frames, queue nodes): glibc's malloc spent ~146
// instructions per pair on them (tcache checks, then _int_free's bins), this ~29. Pages are never
// handed back: a size class keeps the memory of its peak, as glibc's heap mostly does too.
//
// Threads: kz's logic runs on one thread, but the real backend has an fsync helper thread and
// libraries may have their own. Free lists are per thread and pages come from one atomic counter,
// so a block freed on another thread simply joins that thread's list of the same class.
//
// Not compiled under AddressSanitizer (it brings its own operator new) and not used when the
// range cannot be reserved (then every request goes to malloc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace kz::real {

inline constexpr size_t kSmallBytesMax = 512;

struct SmallAllocStats {
  bool active = false;        // the range is reserved and small requests are served from it
  uint64_t pages_used = 0;    // 64 KiB pages handed to size classes so far
  uint64_t range_bytes = 0;   // size of the reserved range
};

// True if `p` was served by the size classes (not by malloc).
bool small_alloc_owns(const void* p);
SmallAllocStats small_alloc_stats();

}  // namespace kz::real
