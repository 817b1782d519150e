#include "core/kafka/client/consumer.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/kafka/records/legacy_message_set.h"

namespace kz::kafka::client {

Consumer::Consumer(Cluster& cluster, ConsumerOptions options) : cluster_(cluster), options_(options) {}

void Consumer::assign(std::vector<TopicPartition> partitions) {
  std::sort(partitions.begin(), partitions.end());
  partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
  std::map<TopicPartition, int64_t> kept;
  for (const TopicPartition& tp : partitions) {
    auto it = positions_.find(tp);
    if (it != positions_.end()) kept.emplace(tp, it->second);
  }
  positions_ = std::move(kept);
  assignment_ = std::move(partitions);
}

std::optional<int64_t> Consumer::position(const TopicPartition& tp) const {
  auto it = positions_.find(tp);
  if (it == positions_.end()) return std::nullopt;
  return it->second;
}

Status Consumer::seek_to_beginning(const std::vector<TopicPartition>& partitions) {
  std::map<TopicPartition, int64_t> want;
  for (const TopicPartition& tp : partitions) want[tp] = kEarliestTimestamp;
  KZ_ASSIGN_OR_RETURN(auto offsets, list_offsets(want));
  for (const auto& [tp, offset] : offsets) positions_[tp] = offset;
  return Status::ok();
}

Status Consumer::seek_to_end(const std::vector<TopicPartition>& partitions) {
  std::map<TopicPartition, int64_t> want;
  for (const TopicPartition& tp : partitions) want[tp] = kLatestTimestamp;
  KZ_ASSIGN_OR_RETURN(auto offsets, list_offsets(want));
  for (const auto& [tp, offset] : offsets) positions_[tp] = offset;
  return Status::ok();
}

Result<std::map<TopicPartition, int64_t>> Consumer::list_offsets(const std::map<TopicPartition, int64_t>& timestamps) {
  std::map<TopicPartition, int64_t> out;
  Status last = Status::ok();
  for (int32_t attempt = 0; attempt < cluster_.options().metadata_attempts_max; attempt++) {
    if (attempt > 0) {
      cluster_.sleep_backoff();
      cluster_.invalidate();
    }
    std::map<int32_t, std::vector<TopicPartition>> by_leader;
    for (const auto& [tp, ts] : timestamps) {
      if (out.count(tp) != 0) continue;
      Result<int32_t> leader = cluster_.leader(tp);
      if (!leader.is_ok()) {
        last = leader.status();
        continue;
      }
      by_leader[*leader].push_back(tp);
    }
    for (const auto& [leader, tps] : by_leader) {
      Result<Connection*> conn = cluster_.broker(leader);
      if (!conn.is_ok()) {
        last = conn.status();
        continue;
      }
      Result<int16_t> version = (*conn)->versions().pick(ListOffsetsRequest::kApiKey);
      if (!version.is_ok()) return version.status();
      ListOffsetsRequest request;
      request.replica_id = -1;
      for (const TopicPartition& tp : tps) {
        if (request.topics.empty() || request.topics.back().name != tp.topic) request.topics.push_back({tp.topic, {}});
        ListOffsetsRequest::ListOffsetsTopic::ListOffsetsPartition p;
        p.partition_index = tp.partition;
        p.timestamp = timestamps.at(tp);
        p.max_num_offsets = 1;
        request.topics.back().partitions.push_back(p);
      }
      Result<ListOffsetsResponse> response = (*conn)->call(request, *version);
      if (!response.is_ok()) {
        last = response.status();
        continue;
      }
      for (const auto& t : response->topics) {
        for (const auto& p : t.partitions) {
          TopicPartition tp{t.name, p.partition_index};
          if (p.error_code != errc::kNone) {
            last = Status(Code::kIoError, fmt::format("ListOffsets {}-{}: {}", tp.topic, tp.partition, error_name(p.error_code)));
            if (!error_retriable(p.error_code) && p.error_code != errc::kNotLeaderOrFollower &&
                p.error_code != errc::kUnknownTopicOrPartition) {
              return last;
            }
            continue;
          }
          int64_t offset = *version == 0 ? (p.old_style_offsets.empty() ? -1 : p.old_style_offsets[0]) : p.offset;
          out[tp] = offset;
        }
      }
    }
    if (out.size() == timestamps.size()) return out;
  }
  return last.is_ok() ? Status(Code::kTimedOut, "ListOffsets: no answer for some partitions") : last;
}

Status Consumer::resolve_positions() {
  std::vector<TopicPartition> missing;
  for (const TopicPartition& tp : assignment_) {
    if (positions_.count(tp) == 0) missing.push_back(tp);
  }
  if (missing.empty()) return Status::ok();
  switch (options_.auto_offset_reset) {
    case OffsetReset::kEarliest:
      return seek_to_beginning(missing);
    case OffsetReset::kLatest:
      return seek_to_end(missing);
    case OffsetReset::kNone:
      break;
  }
  return Status(Code::kInvalidArgument,
                fmt::format("{}-{} has no position and auto.offset.reset is none", missing[0].topic, missing[0].partition));
}

Result<std::vector<ConsumerRecord>> Consumer::poll() {
  KZ_RETURN_IF_ERROR(resolve_positions());
  std::vector<ConsumerRecord> out;
  std::map<int32_t, std::vector<TopicPartition>> by_leader;
  for (const TopicPartition& tp : assignment_) {
    Result<int32_t> leader = cluster_.leader(tp);
    if (!leader.is_ok()) {
      cluster_.invalidate();
      continue;
    }
    by_leader[*leader].push_back(tp);
  }
  if (by_leader.empty()) {
    cluster_.sleep_backoff();
    return out;
  }
  const int32_t wait_ms = std::max<int32_t>(1, options_.fetch_max_wait_ms / static_cast<int32_t>(by_leader.size()));
  std::vector<TopicPartition> reset;
  for (const auto& [leader, tps] : by_leader) {
    Result<Connection*> conn = cluster_.broker(leader);
    if (!conn.is_ok()) {
      cluster_.env().log.warn("kafka.consumer", "broker {}: {}", leader, conn.status().to_string());
      cluster_.invalidate();
      cluster_.sleep_backoff();
      continue;
    }
    KZ_ASSIGN_OR_RETURN(int16_t version, (*conn)->versions().pick(FetchRequest::kApiKey));
    FetchRequest request;
    request.replica_id = -1;
    request.max_wait_ms = wait_ms;
    request.min_bytes = options_.fetch_min_bytes;
    request.max_bytes = options_.fetch_max_bytes;
    request.isolation_level = 0;
    request.session_id = 0;
    request.session_epoch = -1;  // a full fetch, no fetch session
    for (const TopicPartition& tp : tps) {
      if (request.topics.empty() || request.topics.back().topic != tp.topic) request.topics.push_back({tp.topic, {}});
      FetchRequest::FetchTopic::FetchPartition p;
      p.partition = tp.partition;
      p.fetch_offset = positions_.at(tp);
      p.partition_max_bytes = options_.partition_max_bytes;
      request.topics.back().partitions.push_back(p);
    }
    Result<FetchResponse> response = (*conn)->call(request, version);
    if (!response.is_ok()) {
      cluster_.env().log.warn("kafka.consumer", "fetch from broker {}: {}", leader, response.status().to_string());
      cluster_.invalidate();
      cluster_.sleep_backoff();
      continue;
    }
    if (response->error_code != errc::kNone) {
      cluster_.env().log.warn("kafka.consumer", "fetch from broker {}: {}", leader, error_name(response->error_code));
      continue;
    }
    for (const auto& t : response->responses) {
      for (const auto& p : t.partitions) {
        TopicPartition tp{t.topic, p.partition_index};
        auto pos = positions_.find(tp);
        if (pos == positions_.end()) continue;  // not asked for (or unassigned meanwhile)
        if (p.error_code == errc::kOffsetOutOfRange) {
          cluster_.env().log.info("kafka.consumer", "{}-{} offset {} out of range; resetting", tp.topic, tp.partition,
                                  pos->second);
          positions_.erase(pos);
          continue;
        }
        if (p.error_code != errc::kNone) {
          cluster_.env().log.info("kafka.consumer", "{}-{}: {}", tp.topic, tp.partition, error_name(p.error_code));
          cluster_.invalidate();
          continue;
        }
        if (!p.records.has_value() || p.records->empty()) continue;
        std::vector<Record> records;
        size_t partial = 0;
        Status st = decode_record_set(*p.records, DecodeOptions{}, &records, &partial);
        if (!st.is_ok()) return st.with_context(fmt::format("fetch {}-{} at {}", tp.topic, tp.partition, pos->second));
        int64_t next = pos->second;
        for (Record& r : records) {
          if (r.offset < pos->second) continue;  // a compressed batch starts before the position
          next = std::max(next, r.offset + 1);
          out.push_back(ConsumerRecord{tp, std::move(r)});
        }
        // Batches without returned records (control batches) still move the position past them.
        BatchReader batches(*p.records);
        for (;;) {
          Result<std::optional<BatchView>> b = batches.next();
          if (!b.is_ok() || !b->has_value()) break;
          if ((*b)->is_control()) next = std::max(next, (*b)->next_offset());
        }
        pos->second = next;
      }
    }
  }
  return out;
}

}  // namespace kz::kafka::client
