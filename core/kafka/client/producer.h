// The Kafka producer. Records are partitioned (partitioner.h), batched per partition
// (accumulator.h) and sent as RecordBatch v2 in Produce requests, one request per leader broker.
//
// Sending happens on the caller's fiber, no background fiber: send() ships batches that filled
// up, poll() also ships batches whose linger expired, flush() ships everything and waits for the
// answers. Each record's outcome is reported once through ProducerOptions::on_delivery.
//
// Retries: a retriable partition error (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, timeouts...)
// or a broken connection refreshes the metadata and resends the same batch bytes, up to
// `retries` times. With idempotence the producer first gets a producer id and epoch
// (InitProducerId), forces acks=all, and each batch carries its base sequence; a retried batch the
// broker already has comes back as DUPLICATE_SEQUENCE_NUMBER and counts as delivered. With
// acks=0 the broker does not answer and offsets are reported as -1.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/kafka/client/accumulator.h"
#include "core/kafka/client/cluster.h"
#include "core/kafka/client/partitioner.h"

namespace kz::kafka::client {

struct ProducerRecord {
  std::string topic;
  std::optional<int32_t> partition;  // nullopt: the partitioner decides
  std::optional<Bytes> key;
  std::optional<Bytes> value;
  std::vector<RecordHeader> headers;
  int64_t timestamp_ms = kNoTimestamp;  // kNoTimestamp: the wall clock at send()
};

struct DeliveryReport {
  uint64_t record_id = 0;  // what send() returned
  TopicPartition tp;
  int64_t offset = -1;  // -1 when unknown (acks=0, duplicate)
  Status status;
};

struct ProducerOptions {
  int16_t acks = -1;  // 0, 1, or -1 (all)
  int64_t linger_ns = ms_to_ns(5);
  size_t batch_bytes_max = 16384;
  Compression compression = Compression::kNone;
  int32_t retries = 5;
  int32_t request_timeout_ms = 30'000;
  bool idempotent = false;
  std::function<void(const DeliveryReport&)> on_delivery;
};

// Parses a producer property the way the Java client names it (acks, linger.ms, batch.size,
// compression.type, retries, enable.idempotence, request.timeout.ms).
Status set_producer_property(ProducerOptions* options, std::string_view key, std::string_view value);

class Producer {
 public:
  Producer(Cluster& cluster, ProducerOptions options);

  // Queues a record; returns its id (for the delivery report). Fails for an unknown topic or a
  // partition out of range.
  Result<uint64_t> send(ProducerRecord record);
  // Ships the batches whose linger expired.
  void poll();
  // Ships everything queued and waits for every answer.
  void flush();
  int64_t producer_id() const { return producer_id_; }
  int16_t producer_epoch() const { return producer_epoch_; }
  uint64_t delivered() const { return delivered_; }
  uint64_t failed() const { return failed_; }

 private:
  Status init_producer_id();
  void ship(std::vector<PendingBatch> batches);
  void report(const PendingBatch& batch, int64_t base_offset, const Status& status);

  Cluster& cluster_;
  ProducerOptions options_;
  Partitioner partitioner_;
  Accumulator accumulator_;
  uint64_t next_record_id_ = 1;
  int64_t producer_id_ = kNoProducerId;
  int16_t producer_epoch_ = kNoProducerEpoch;
  uint64_t delivered_ = 0;
  uint64_t failed_ = 0;
};

}  // namespace kz::kafka::client
