// The process's operator new and delete: size classes for small blocks (see small_alloc.h).
#include "core/real/small_alloc.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

namespace kz::real {
namespace {

constexpr size_t kClassBytes = 16;  // class c serves blocks of (c + 1) * 16 bytes
constexpr size_t kClasses = kSmallBytesMax / kClassBytes;
constexpr size_t kPageShift = 16;  // 64 KiB pages, each of one class
constexpr size_t kPageBytes = size_t{1} << kPageShift;
constexpr size_t kRangeBytes = size_t{16} << 30;  // address space only: pages are faulted in when used
constexpr size_t kPages = kRangeBytes / kPageBytes;
static_assert(kSmallBytesMax % kClassBytes == 0 && kClasses <= 255);
static_assert(alignof(std::max_align_t) <= kClassBytes);

// Set once, by the first small request; a block inside [g_base, g_end) is ours.
std::atomic<char*> g_base{nullptr};
std::atomic<char*> g_end{nullptr};
std::atomic<bool> g_failed{false};  // the range could not be reserved: malloc serves everything
std::atomic<uint64_t> g_next_page{0};
std::once_flag g_once;
uint8_t g_page_class[kPages];  // class of each page handed out (zero-initialised, touched per page)

struct FreeBlock {
  FreeBlock* next;
};
// Per thread, trivially constructed and destroyed: no guard, no exit handler. A thread's free
// blocks stay on its list when it ends (kz's helper threads live as long as the process).
struct ThreadCache {
  FreeBlock* free[kClasses];
  char* bump[kClasses];
  char* bump_end[kClasses];
};
thread_local ThreadCache t_cache;

[[maybe_unused]] void reserve_range() {
  void* p = ::mmap(nullptr, kRangeBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    g_failed.store(true, std::memory_order_release);
    return;
  }
  const char* flag = std::getenv("KZ_HUGEPAGES");
  if (flag == nullptr || std::strcmp(flag, "0") != 0) ::madvise(p, kRangeBytes, MADV_HUGEPAGE);
  char* base = static_cast<char*>(p);
  g_end.store(base + kRangeBytes, std::memory_order_release);
  g_base.store(base, std::memory_order_release);
}

[[gnu::noinline, maybe_unused]] void* large_alloc(size_t n) {
  if (n == 0) n = 1;
  for (;;) {
    if (void* p = std::malloc(n)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

// The class's free list is empty: carve from its current page, or start a page.
[[gnu::noinline, maybe_unused]] void* refill(ThreadCache& t, size_t c, size_t n) {
  const size_t bytes = (c + 1) * kClassBytes;
  if (t.bump[c] == nullptr || t.bump[c] + bytes > t.bump_end[c]) {
    std::call_once(g_once, reserve_range);
    char* base = g_base.load(std::memory_order_acquire);
    if (base == nullptr) return large_alloc(n);
    uint64_t page = g_next_page.fetch_add(1, std::memory_order_relaxed);
    if (page >= kPages) return large_alloc(n);  // range used up: malloc from here on
    g_page_class[page] = static_cast<uint8_t>(c);
    t.bump[c] = base + page * kPageBytes;
    t.bump_end[c] = t.bump[c] + kPageBytes;
  }
  void* p = t.bump[c];
  t.bump[c] += bytes;
  return p;
}

inline void* small_new(size_t n) {
  if (n - 1 < kSmallBytesMax) {  // 1..512 (0 wraps around and goes to malloc)
    const size_t c = (n - 1) / kClassBytes;
    ThreadCache& t = t_cache;
    if (FreeBlock* b = t.free[c]) {
      t.free[c] = b->next;
      return b;
    }
    return refill(t, c, n);
  }
  return large_alloc(n);
}

inline void small_delete(void* p) {
  char* q = static_cast<char*>(p);
  char* base = g_base.load(std::memory_order_relaxed);
  if (q >= base && q < g_end.load(std::memory_order_relaxed)) {  // g_end is null until reserved
    const size_t c = g_page_class[static_cast<size_t>(q - base) >> kPageShift];
    auto* b = static_cast<FreeBlock*>(p);
    ThreadCache& t = t_cache;
    b->next = t.free[c];
    t.free[c] = b;
    return;
  }
  std::free(p);  // malloc's (free(nullptr) is a no-op)
}

}  // namespace

bool small_alloc_owns(const void* p) {
  const char* q = static_cast<const char*>(p);
  const char* base = g_base.load(std::memory_order_acquire);
  return base != nullptr && q >= base && q < g_end.load(std::memory_order_acquire);
}

SmallAllocStats small_alloc_stats() {
  SmallAllocStats s;
  s.active = g_base.load(std::memory_order_acquire) != nullptr;
  s.pages_used = std::min<uint64_t>(g_next_page.load(std::memory_order_relaxed), kPages);
  s.range_bytes = s.active ? kRangeBytes : 0;
  return s;
}

}  // namespace kz::real

#if !defined(__SANITIZE_ADDRESS__)
// The replaceable allocation functions ([new.delete]). Over-aligned requests go to aligned_alloc.
void* operator new(size_t n) { return kz::real::small_new(n); }
void* operator new[](size_t n) { return kz::real::small_new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return kz::real::small_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try {
    return kz::real::small_new(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { kz::real::small_delete(p); }
void operator delete[](void* p) noexcept { kz::real::small_delete(p); }
void operator delete(void* p, size_t) noexcept { kz::real::small_delete(p); }
void operator delete[](void* p, size_t) noexcept { kz::real::small_delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { kz::real::small_delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { kz::real::small_delete(p); }

namespace {
void* aligned_new(size_t n, std::align_val_t al) {
  const size_t a = static_cast<size_t>(al);
  if (a <= 16) return kz::real::small_new(n);
  const size_t rounded = (n == 0 ? a : (n + a - 1) / a * a);
  for (;;) {
    if (void* p = std::aligned_alloc(a, rounded)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}
}  // namespace

void* operator new(size_t n, std::align_val_t a) { return aligned_new(n, a); }
void* operator new[](size_t n, std::align_val_t a) { return aligned_new(n, a); }
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return aligned_new(n, a);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return aligned_new(n, a);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p, std::align_val_t) noexcept { kz::real::small_delete(p); }
void operator delete[](void* p, std::align_val_t) noexcept { kz::real::small_delete(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { kz::real::small_delete(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { kz::real::small_delete(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { kz::real::small_delete(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { kz::real::small_delete(p); }
#endif
