// Invariant assertions, always on (TigerBeetle style): a broken invariant crashes loudly with context.
// Expected failures are values (see status.h), never assertions.
#pragma once

#include <string_view>

namespace kz {
[[noreturn]] void assert_fail(const char* expr, std::string_view message, const char* file, int line);
}

#define KZ_ASSERT(cond)                                                  \
  do {                                                                   \
    if (__builtin_expect(!(cond), 0)) ::kz::assert_fail(#cond, {}, __FILE__, __LINE__); \
  } while (0)

// The message is only evaluated when the assertion fails.
#define KZ_ASSERT_MSG(cond, msg)                                         \
  do {                                                                   \
    if (__builtin_expect(!(cond), 0)) ::kz::assert_fail(#cond, (msg), __FILE__, __LINE__); \
  } while (0)

#define KZ_UNREACHABLE(msg) ::kz::assert_fail("unreachable", (msg), __FILE__, __LINE__)
