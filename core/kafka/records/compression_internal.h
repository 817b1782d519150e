// Shared by the codec implementations (compression*.cc): output that grows on demand but never past
// a limit, and each codec's entry points.
#pragma once

#include <algorithm>

#include "core/kafka/records/compression.h"

namespace kz::kafka::detail {

// Appends to `out` in growing chunks, never holding more than limit+1 bytes of output: a codec that
// fills the last byte has proven its output exceeds the limit.
class BoundedOutput {
 public:
  BoundedOutput(Bytes* out, size_t output_bytes_max, size_t size_hint_bytes)
      : out_(out), start_(out->size()), max_(output_bytes_max), hint_(std::max<size_t>(size_hint_bytes, 4096)) {}

  size_t produced_bytes() const { return produced_; }
  bool over_limit() const { return produced_ > max_; }
  size_t limit_bytes() const { return max_; }

  // Space for the next write; empty once limit+1 bytes have been produced.
  std::span<uint8_t> space() {
    const size_t capacity = out_->size() - start_;
    if (produced_ == capacity) {
      const size_t cap_max = max_ + 1;
      if (capacity >= cap_max) return {};
      const size_t grown = capacity == 0 ? std::min(hint_, cap_max) : std::min(capacity * 2, cap_max);
      out_->resize(start_ + grown);
    }
    return std::span<uint8_t>(out_->data() + start_ + produced_, out_->size() - start_ - produced_);
  }
  void commit(size_t bytes) {
    KZ_ASSERT(start_ + produced_ + bytes <= out_->size());
    produced_ += bytes;
  }
  // Drops everything this output appended and returns `status` (an error).
  Status fail(Status status) {
    out_->resize(start_);
    return status;
  }
  // Trims unused space; returns the limit error if exceeded.
  Status finish(std::string_view codec);

 private:
  Bytes* out_;
  size_t start_;
  size_t max_;
  size_t hint_;
  size_t produced_ = 0;
};

Status limit_error(std::string_view codec, size_t limit_bytes);

Status compress_snappy(ByteSpan input, Bytes* out);
Status decompress_snappy(ByteSpan input, size_t output_bytes_max, Bytes* out);
Status compress_lz4(ByteSpan input, const CompressOptions& options, Bytes* out);
Status decompress_lz4(ByteSpan input, const DecompressOptions& options, Bytes* out);

}  // namespace kz::kafka::detail
