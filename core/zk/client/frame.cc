#include "core/zk/client/frame.h"

#include <fmt/format.h>

namespace kz::zk::client {

std::string frame_bytes(std::string_view body) {
  JuteWriter w(4 + body.size());
  w.write_int(static_cast<int32_t>(body.size()));
  std::string out = w.take();
  out.append(body);
  return out;
}

std::string encode_header_only(int32_t xid, int32_t opcode) {
  JuteWriter w;
  w.write_int(8);
  jute_write(w, RequestHeader{xid, opcode});
  return w.take();
}

Status FrameReader::fill(io::Stream& stream, size_t need, int64_t idle_timeout_ns) {
  while (buf_.size() - pos_ < need) {
    if (pos_ > 0 && pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    }
    if (wait_clock_ != nullptr) wait_deadline_ns_ = wait_clock_->deadline_after_ns(wait_idle_ns_);
    if (!chunk_) chunk_.reset(new uint8_t[kChunkBytes]);  // default-initialised: not zeroed
    Result<size_t> n = stream.read_some(std::span<uint8_t>(chunk_.get(), kChunkBytes), idle_timeout_ns);
    wait_deadline_ns_ = kNever;
    if (!n.is_ok()) return n.status();
    if (*n == 0) return Status(Code::kConnectionReset, "server closed the connection");
    KZ_ASSERT(*n <= kChunkBytes);
    buf_.append(reinterpret_cast<const char*>(chunk_.get()), *n);
  }
  return Status::ok();
}

Result<std::string_view> FrameReader::next(io::Stream& stream, int64_t idle_timeout_ns) {
  // Drop the frame handed out last time once nothing else is buffered before it.
  if (pos_ > 256 * 1024) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  KZ_RETURN_IF_ERROR(fill(stream, 4, idle_timeout_ns));
  JuteReader r(std::string_view(buf_).substr(pos_, 4));
  int32_t len = 0;
  KZ_RETURN_IF_ERROR(r.read_int(&len));
  if (len < 0 || len > frame_bytes_max_) {
    return Status(Code::kCorruption, fmt::format("frame length {} out of bounds [0, {}]", len, frame_bytes_max_));
  }
  KZ_RETURN_IF_ERROR(fill(stream, 4 + static_cast<size_t>(len), idle_timeout_ns));
  std::string_view frame = std::string_view(buf_).substr(pos_ + 4, static_cast<size_t>(len));
  pos_ += 4 + static_cast<size_t>(len);
  return frame;
}

}  // namespace kz::zk::client
