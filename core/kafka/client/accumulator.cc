#include "core/kafka/client/accumulator.h"

#include <algorithm>
#include <limits>

namespace kz::kafka::client {

size_t record_bytes_estimate(const Record& record) {
  size_t n = 1 + 10 + 5 + 5 + 5 + 5;  // attributes, timestamp delta, offset delta, lengths, header count
  if (record.key) n += record.key->size();
  if (record.value) n += record.value->size();
  for (const RecordHeader& h : record.headers) n += 10 + h.key.size() + (h.value ? h.value->size() : 0);
  return n;
}

int32_t sequence_after(int32_t sequence, int32_t count) {
  KZ_ASSERT(sequence >= 0 && count >= 0);
  int64_t after = int64_t{sequence} + count;
  const int64_t span = int64_t{std::numeric_limits<int32_t>::max()} + 1;
  return static_cast<int32_t>(after % span);
}

bool Accumulator::append(const TopicPartition& tp, Record record, uint64_t record_id, int64_t now_ns) {
  size_t bytes = record_bytes_estimate(record);
  auto it = open_.find(tp);
  if (it != open_.end() && !it->second.records.empty() &&
      it->second.bytes_estimate + bytes > options_.batch_bytes_max) {
    close_batch(tp);
    it = open_.end();
  }
  if (it == open_.end()) {
    PendingBatch b;
    b.tp = tp;
    b.created_ns = now_ns;
    b.bytes_estimate = kBatchHeaderBytes;
    it = open_.emplace(tp, std::move(b)).first;
  }
  PendingBatch& b = it->second;
  record.offset = static_cast<int64_t>(b.records.size());
  b.bytes_estimate += bytes;
  b.records.push_back(std::move(record));
  b.record_ids.push_back(record_id);
  if (b.bytes_estimate >= options_.batch_bytes_max) {
    close_batch(tp);
    return true;
  }
  return !full_.empty();
}

void Accumulator::close_batch(const TopicPartition& tp) {
  auto it = open_.find(tp);
  KZ_ASSERT(it != open_.end());
  full_.push_back(std::move(it->second));
  open_.erase(it);
}

std::vector<PendingBatch> Accumulator::drain(int64_t now_ns, bool flush) {
  std::vector<PendingBatch> out;
  while (!full_.empty()) {
    out.push_back(std::move(full_.front()));
    full_.pop_front();
  }
  std::vector<TopicPartition> expired;
  for (const auto& [tp, b] : open_) {
    if (flush || now_ns - b.created_ns >= options_.linger_ns) expired.push_back(tp);
  }
  for (const TopicPartition& tp : expired) {
    out.push_back(std::move(open_.at(tp)));
    open_.erase(tp);
  }
  if (options_.idempotent) {
    for (PendingBatch& b : out) {
      KZ_ASSERT(b.base_sequence == kNoSequence);
      int32_t& next = sequences_[b.tp];
      b.base_sequence = next;
      next = sequence_after(next, static_cast<int32_t>(b.records.size()));
    }
  }
  return out;
}

int64_t Accumulator::next_ready_ns() const {
  if (!full_.empty()) return 0;
  int64_t oldest = kNever;
  for (const auto& [tp, b] : open_) oldest = std::min(oldest, b.created_ns + options_.linger_ns);
  return oldest;
}

size_t Accumulator::records_waiting() const {
  size_t n = 0;
  for (const auto& [tp, b] : open_) n += b.records.size();
  for (const PendingBatch& b : full_) n += b.records.size();
  return n;
}

int32_t Accumulator::next_sequence(const TopicPartition& tp) const {
  auto it = sequences_.find(tp);
  return it == sequences_.end() ? 0 : it->second;
}

}  // namespace kz::kafka::client
