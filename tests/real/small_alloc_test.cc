// The process's operator new/delete (core/real/small_alloc.*): size classes for small blocks.
#include "core/real/small_alloc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace kz::real {
namespace {

#if defined(__SANITIZE_ADDRESS__)
#define KZ_SMALL_ALLOC_OFF 1
#endif

bool small_alloc_built_in() {
#ifdef KZ_SMALL_ALLOC_OFF
  return false;
#else
  return true;
#endif
}

TEST(RealSmallAlloc, SmallRequestsComeFromTheRangeAndLargeOnesDoNot) {
  if (!small_alloc_built_in()) GTEST_SKIP() << "sanitizer build: the sanitizer's operator new is in use";
  void* small = ::operator new(24);
  void* edge = ::operator new(kSmallBytesMax);
  void* large = ::operator new(kSmallBytesMax + 1);
  EXPECT_TRUE(small_alloc_stats().active);
  EXPECT_TRUE(small_alloc_owns(small));
  EXPECT_TRUE(small_alloc_owns(edge));
  EXPECT_FALSE(small_alloc_owns(large));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small) % alignof(std::max_align_t), 0u);
  ::operator delete(small);
  ::operator delete(edge, kSmallBytesMax);
  ::operator delete(large);
}

TEST(RealSmallAlloc, FreedBlockIsReusedByTheSameClass) {
  if (!small_alloc_built_in()) GTEST_SKIP() << "sanitizer build";
  void* a = ::operator new(40);  // class of 33..48 bytes
  ::operator delete(a);
  void* b = ::operator new(48);  // same class: the block just freed (LIFO)
  EXPECT_EQ(a, b);
  void* c = ::operator new(64);  // another class: not that block
  EXPECT_NE(b, c);
  ::operator delete(b);
  ::operator delete(c);
}

TEST(RealSmallAlloc, ZeroBytesGivesDistinctPointers) {
  void* a = ::operator new(0);
  void* b = ::operator new(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  ::operator delete(a);
  ::operator delete(b);
}

TEST(RealSmallAlloc, OverAlignedRequestsAreAligned) {
  for (size_t align : {size_t{16}, size_t{32}, size_t{64}, size_t{4096}}) {
    for (size_t n : {size_t{1}, size_t{100}, size_t{5000}}) {
      void* p = ::operator new(n, std::align_val_t{align});
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u) << n << " bytes aligned to " << align;
      std::memset(p, 0xab, n);
      ::operator delete(p, n, std::align_val_t{align});
    }
  }
}

TEST(RealSmallAlloc, NothrowNewOfAnImpossibleSizeReturnsNull) {
  if (!small_alloc_built_in()) GTEST_SKIP() << "sanitizer build: its allocator aborts on such sizes";
  void* p = ::operator new(SIZE_MAX / 2, std::nothrow);
  EXPECT_EQ(p, nullptr);
  EXPECT_THROW((void)::operator new(SIZE_MAX / 2), std::bad_alloc);
}

// Many live blocks of random sizes, freed in random order and reallocated: no two live blocks
// overlap and every block keeps what was written into it.
TEST(RealSmallAlloc, RandomChurnKeepsBlocksDisjointAndIntact) {
  std::mt19937_64 rng(7);
  struct Live {
    unsigned char* p;
    size_t n;
    unsigned char fill;
  };
  std::vector<Live> live;
  auto check = [](const Live& l) {
    for (size_t i = 0; i < l.n; i++) {
      if (l.p[i] != l.fill) return false;
    }
    return true;
  };
  for (int round = 0; round < 20000; round++) {
    if (live.empty() || rng() % 3 != 0) {
      size_t n = 1 + rng() % (rng() % 8 == 0 ? 2000 : kSmallBytesMax);
      auto* p = static_cast<unsigned char*>(::operator new(n));
      unsigned char fill = static_cast<unsigned char>(rng());
      std::memset(p, fill, n);
      live.push_back({p, n, fill});
    } else {
      size_t i = rng() % live.size();
      ASSERT_TRUE(check(live[i])) << "block of " << live[i].n << " bytes was overwritten";
      ::operator delete(live[i].p, live[i].n);
      live[i] = live.back();
      live.pop_back();
    }
  }
  std::vector<std::pair<uintptr_t, uintptr_t>> spans;
  for (const Live& l : live) {
    ASSERT_TRUE(check(l));
    spans.emplace_back(reinterpret_cast<uintptr_t>(l.p), reinterpret_cast<uintptr_t>(l.p) + l.n);
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); i++) EXPECT_LE(spans[i - 1].second, spans[i].first) << "blocks overlap";
  for (const Live& l : live) ::operator delete(l.p);
}

// A block allocated on one thread and freed on another joins the freeing thread's list; both
// threads keep allocating correctly.
TEST(RealSmallAlloc, BlocksFreedOnAnotherThread) {
  std::vector<std::string*> made;
  for (int i = 0; i < 1000; i++) made.push_back(new std::string(std::string(20 + i % 50, 'x')));
  std::thread other([&] {
    for (size_t i = 0; i < made.size(); i++) {
      EXPECT_EQ(made[i]->size(), 20 + i % 50);
      delete made[i];
    }
    std::vector<std::unique_ptr<std::string>> mine;
    for (int i = 0; i < 1000; i++) mine.push_back(std::make_unique<std::string>(std::string(30, 'y')));
    for (auto& s : mine) EXPECT_EQ(*s, std::string(30, 'y'));
  });
  other.join();
  std::vector<std::unique_ptr<std::string>> again;
  for (int i = 0; i < 1000; i++) again.push_back(std::make_unique<std::string>(std::string(40, 'z')));
  for (auto& s : again) EXPECT_EQ(*s, std::string(40, 'z'));
}

}  // namespace
}  // namespace kz::real
