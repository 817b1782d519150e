#include "core/kafka/client/producer.h"

#include <fmt/format.h>

#include <charconv>

#include "core/kafka/records/batch_builder.h"

namespace kz::kafka::client {

namespace {

Result<int64_t> parse_int(std::string_view key, std::string_view value) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || ptr != value.data() + value.size()) {
    return Status(Code::kInvalidArgument, fmt::format("{}: expected an integer, got '{}'", key, value));
  }
  return n;
}

bool retriable_produce_error(int16_t code) {
  return error_retriable(code) || code == errc::kNotLeaderOrFollower || code == errc::kLeaderNotAvailable ||
         code == errc::kUnknownTopicOrPartition;
}

}  // namespace

Status set_producer_property(ProducerOptions* options, std::string_view key, std::string_view value) {
  if (key == "acks") {
    if (value == "all" || value == "-1") {
      options->acks = -1;
    } else if (value == "0" || value == "1") {
      options->acks = static_cast<int16_t>(value[0] - '0');
    } else {
      return Status(Code::kInvalidArgument, fmt::format("acks: expected 0, 1, -1 or all, got '{}'", value));
    }
  } else if (key == "linger.ms") {
    KZ_ASSIGN_OR_RETURN(int64_t ms, parse_int(key, value));
    options->linger_ns = ms_to_ns(ms);
  } else if (key == "batch.size") {
    KZ_ASSIGN_OR_RETURN(int64_t n, parse_int(key, value));
    if (n <= 0) return Status(Code::kInvalidArgument, "batch.size must be positive");
    options->batch_bytes_max = static_cast<size_t>(n);
  } else if (key == "compression.type" || key == "compression.codec") {
    KZ_ASSIGN_OR_RETURN(options->compression, compression_from_name(value));
  } else if (key == "retries") {
    KZ_ASSIGN_OR_RETURN(int64_t n, parse_int(key, value));
    options->retries = static_cast<int32_t>(n);
  } else if (key == "request.timeout.ms") {
    KZ_ASSIGN_OR_RETURN(int64_t n, parse_int(key, value));
    options->request_timeout_ms = static_cast<int32_t>(n);
  } else if (key == "enable.idempotence") {
    if (value != "true" && value != "false") {
      return Status(Code::kInvalidArgument, fmt::format("enable.idempotence: expected true or false, got '{}'", value));
    }
    options->idempotent = value == "true";
  } else {
    return Status(Code::kInvalidArgument, fmt::format("unknown producer property '{}'", key));
  }
  return Status::ok();
}

Producer::Producer(Cluster& cluster, ProducerOptions options)
    : cluster_(cluster),
      options_(std::move(options)),
      accumulator_(AccumulatorOptions{options_.batch_bytes_max, options_.linger_ns, options_.idempotent}) {
  if (options_.idempotent) options_.acks = -1;
}

Status Producer::init_producer_id() {
  KZ_ASSIGN_OR_RETURN(Connection * conn, cluster_.any());
  InitProducerIdRequest request;
  request.transactional_id = std::nullopt;
  request.transaction_timeout_ms = options_.request_timeout_ms;
  KZ_ASSIGN_OR_RETURN(InitProducerIdResponse response, conn->call(request));
  if (response.error_code != errc::kNone) {
    return Status(Code::kUnsupported, fmt::format("InitProducerId: {}", error_name(response.error_code)));
  }
  producer_id_ = response.producer_id;
  producer_epoch_ = response.producer_epoch;
  cluster_.env().log.info("kafka.producer", "idempotent producer id {} epoch {}", producer_id_, producer_epoch_);
  return Status::ok();
}

Result<uint64_t> Producer::send(ProducerRecord record) {
  if (options_.idempotent && producer_id_ == kNoProducerId) KZ_RETURN_IF_ERROR(init_producer_id());
  KZ_ASSIGN_OR_RETURN(int32_t partitions, cluster_.partition_count(record.topic));
  int32_t partition = 0;
  if (record.partition.has_value()) {
    partition = *record.partition;
    if (partition < 0 || partition >= partitions) {
      return Status(Code::kInvalidArgument,
                    fmt::format("topic '{}' has {} partitions, no partition {}", record.topic, partitions, partition));
    }
  } else {
    std::optional<std::span<const uint8_t>> key;
    if (record.key) key = std::span<const uint8_t>(*record.key);
    partition = partitioner_.partition(key, partitions);
  }
  Record r;
  r.timestamp_ms = record.timestamp_ms == kNoTimestamp ? cluster_.env().clock->wall_ms() : record.timestamp_ms;
  r.key = std::move(record.key);
  r.value = std::move(record.value);
  r.headers = std::move(record.headers);
  uint64_t id = next_record_id_++;
  bool ready = accumulator_.append(TopicPartition{record.topic, partition}, std::move(r), id,
                                   cluster_.env().clock->now_ns());
  if (ready) ship(accumulator_.drain(cluster_.env().clock->now_ns(), false));
  return id;
}

void Producer::poll() {
  int64_t now = cluster_.env().clock->now_ns();
  if (accumulator_.next_ready_ns() <= now) ship(accumulator_.drain(now, false));
}

void Producer::flush() { ship(accumulator_.drain(cluster_.env().clock->now_ns(), true)); }

void Producer::report(const PendingBatch& batch, int64_t base_offset, const Status& status) {
  for (size_t i = 0; i < batch.records.size(); i++) {
    DeliveryReport r;
    r.record_id = batch.record_ids[i];
    r.tp = batch.tp;
    r.offset = base_offset < 0 ? -1 : base_offset + static_cast<int64_t>(i);
    r.status = status;
    if (status.is_ok()) {
      delivered_++;
    } else {
      failed_++;
    }
    if (options_.on_delivery) options_.on_delivery(r);
  }
}

void Producer::ship(std::vector<PendingBatch> batches) {
  // Encode each batch once: a retry resends the same bytes (same sequence, same CRC).
  std::vector<Bytes> encoded(batches.size());
  std::vector<bool> done(batches.size(), false);
  for (size_t i = 0; i < batches.size(); i++) {
    BatchOptions o;
    o.compression = options_.compression;
    o.producer_id = producer_id_;
    o.producer_epoch = producer_epoch_;
    o.base_sequence = batches[i].base_sequence;
    Result<Bytes> bytes = build_batch(o, batches[i].records);
    if (!bytes.is_ok()) {
      report(batches[i], -1, bytes.status());
      done[i] = true;
      continue;
    }
    encoded[i] = std::move(bytes).value();
  }
  for (int32_t attempt = 0; attempt <= options_.retries; attempt++) {
    // Group what is left by leader (ordered by broker id).
    std::map<int32_t, std::vector<size_t>> by_leader;
    for (size_t i = 0; i < batches.size(); i++) {
      if (done[i]) continue;
      Result<int32_t> leader = cluster_.leader(batches[i].tp);
      if (!leader.is_ok()) {
        if (attempt == options_.retries) {
          report(batches[i], -1, leader.status());
          done[i] = true;
        }
        continue;
      }
      by_leader[*leader].push_back(i);
    }
    for (const auto& [leader, indexes] : by_leader) {
      ProduceRequest request;
      request.acks = options_.acks;
      request.timeout_ms = options_.request_timeout_ms;
      std::map<std::string, size_t> topic_index;
      for (size_t i : indexes) {
        auto [it, inserted] = topic_index.emplace(batches[i].tp.topic, request.topics.size());
        if (inserted) request.topics.push_back({batches[i].tp.topic, {}});
        request.topics[it->second].partitions.push_back({batches[i].tp.partition, encoded[i]});
      }
      cluster_.env().log.debug("kafka.producer", "produce {} batches to broker {} (attempt {})", indexes.size(), leader,
                               attempt + 1);
      Status failure = Status::ok();
      Result<Connection*> conn = cluster_.broker(leader);
      if (!conn.is_ok()) failure = conn.status();
      std::optional<ProduceResponse> response;
      if (failure.is_ok()) {
        Result<int16_t> version = (*conn)->versions().pick(ProduceRequest::kApiKey);
        if (!version.is_ok()) {
          for (size_t i : indexes) report(batches[i], -1, version.status());
          for (size_t i : indexes) done[i] = true;
          continue;
        }
        if (options_.acks == 0) {
          failure = (*conn)->send_only(Request(request), *version);
          if (failure.is_ok()) {
            for (size_t i : indexes) report(batches[i], -1, Status::ok());
            for (size_t i : indexes) done[i] = true;
            continue;
          }
        } else {
          Result<ProduceResponse> r = (*conn)->call(request, *version);
          if (r.is_ok()) {
            response = std::move(r).value();
          } else {
            failure = r.status();
          }
        }
      }
      if (!response.has_value()) {
        cluster_.env().log.warn("kafka.producer", "produce to broker {} failed (attempt {}): {}", leader, attempt + 1,
                                failure.to_string());
        if (attempt == options_.retries) {
          for (size_t i : indexes) report(batches[i], -1, failure);
          for (size_t i : indexes) done[i] = true;
        }
        continue;
      }
      for (size_t i : indexes) {
        const PendingBatch& b = batches[i];
        std::optional<int16_t> error;
        int64_t base_offset = -1;
        for (const auto& t : response->responses) {
          if (t.name != b.tp.topic) continue;
          for (const auto& p : t.partitions) {
            if (p.partition_index != b.tp.partition) continue;
            error = p.error_code;
            base_offset = p.base_offset;
          }
        }
        if (!error.has_value()) {
          report(b, -1, Status(Code::kCorruption, fmt::format("produce response without {}-{}", b.tp.topic, b.tp.partition)));
          done[i] = true;
        } else if (*error == errc::kNone) {
          report(b, base_offset, Status::ok());
          done[i] = true;
        } else if (*error == errc::kDuplicateSequenceNumber) {
          report(b, -1, Status::ok());  // the broker already has it: delivered exactly once
          done[i] = true;
        } else if (retriable_produce_error(*error) && attempt < options_.retries) {
          cluster_.env().log.info("kafka.producer", "{}-{}: {}; retrying", b.tp.topic, b.tp.partition, error_name(*error));
          } else {
          report(b, -1, Status(Code::kIoError, fmt::format("produce to {}-{}: {}", b.tp.topic, b.tp.partition,
                                                            error_name(*error))));
          done[i] = true;
        }
      }
    }
    bool left = false;
    for (bool d : done) left = left || !d;
    if (!left) return;
    cluster_.sleep_backoff();
    cluster_.invalidate();
  }
  for (size_t i = 0; i < batches.size(); i++) {
    if (!done[i]) report(batches[i], -1, Status(Code::kTimedOut, "produce retries exhausted"));
  }
}

}  // namespace kz::kafka::client
