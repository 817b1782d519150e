// Framing of the ZooKeeper client protocol: every packet is a 4-byte big-endian length followed by
// that many bytes. FrameReader pulls whole frames out of an io::Stream; encode_request builds a
// framed request (RequestHeader + body). Frame lengths come from the server and are untrusted: a
// negative or oversized length is a connection error, never an allocation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/io/clock.h"
#include "core/io/net.h"
#include "core/zk/jute.h"
#include "core/zk/proto.h"

namespace kz::zk::client {

// Prefixes `body` with its length.
std::string frame_bytes(std::string_view body);

// A framed request: RequestHeader(xid, opcode) followed by the jute encoding of `body`.
template <typename T>
std::string encode_request(int32_t xid, int32_t opcode, const T& body) {
  JuteWriter w;
  w.write_int(0);  // length placeholder
  jute_write(w, RequestHeader{xid, opcode});
  jute_write(w, body);
  w.patch_int(0, static_cast<int32_t>(w.size() - 4));
  return w.take();
}
// A framed request without a body (ping, closeSession, whoAmI).
std::string encode_header_only(int32_t xid, int32_t opcode);

class FrameReader {
 public:
  explicit FrameReader(int32_t frame_bytes_max) : frame_bytes_max_(frame_bytes_max) {}

  // The next frame's bytes (without the length), valid until the next call.
  // `idle_timeout_ns` bounds the wait for each chunk of bytes (not the whole frame): it is the
  // "nothing heard from the server for this long" detector. Errors: kTimedOut, kConnectionReset
  // (EOF or reset), kClosed, kCorruption (a frame length out of bounds).
  Result<std::string_view> next(io::Stream& stream, int64_t idle_timeout_ns);

  // For a caller that enforces the idle timeout itself, with one timer per connection instead of
  // one per read: it calls next(stream, kNoTimeout), and wait_deadline_ns() tells when the read
  // waiting now would have timed out (`idle_timeout_ns` after it began, on `clock`), or kNever
  // while no read waits.
  void track_waits(io::Clock* clock, int64_t idle_timeout_ns) {
    wait_clock_ = clock;
    wait_idle_ns_ = idle_timeout_ns;
  }
  int64_t wait_deadline_ns() const { return wait_deadline_ns_; }

 private:
  Status fill(io::Stream& stream, size_t need, int64_t idle_timeout_ns);

  int32_t frame_bytes_max_;
  std::string buf_;
  size_t pos_ = 0;  // start of the unread bytes in buf_
  // Read buffer, uninitialised: zeroing 64 KiB per connection cost more than a small run's reads
  // (and touched every page of it), while a read only ever writes the bytes it returns.
  static constexpr size_t kChunkBytes = 64 * 1024;
  std::unique_ptr<uint8_t[]> chunk_;
  io::Clock* wait_clock_ = nullptr;
  int64_t wait_idle_ns_ = kNoTimeout;
  int64_t wait_deadline_ns_ = kNever;
};

}  // namespace kz::zk::client
