// Builds RecordBatch v2 byte images from records: what a producer sends, what a broker writes for
// converted or control batches. Control batches carry transaction markers (ABORT / COMMIT).
#pragma once

#include <span>

#include "core/kafka/records/record_batch.h"

namespace kz::kafka {

struct BatchOptions {
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = kNoPartitionLeaderEpoch;
  Compression compression = Compression::kNone;
  int compression_level = 0;  // 0: the codec's default
  TimestampType timestamp_type = TimestampType::kCreateTime;
  bool is_transactional = false;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  int32_t base_sequence = kNoSequence;
};

// Appends one batch holding `records` to *out. Each record's offsetDelta is record.offset -
// options.base_offset: offsets must increase strictly and stay within 2^31 of the base. baseTimestamp is
// the first record's timestamp, maxTimestamp the largest. Fails (kInvalidArgument) for an empty
// record list, offsets that do not fit, or keys/values/headers over 2 GiB.
Status append_batch(const BatchOptions& options, std::span<const Record> records, Bytes* out);
Result<Bytes> build_batch(const BatchOptions& options, std::span<const Record> records);

// Control records (isControl batches): key = version int16 (0), type int16; value for ABORT and
// COMMIT = version int16 (0), coordinatorEpoch int32. Other types (KRaft's) are reported as read.
enum class ControlType : int16_t { kAbort = 0, kCommit = 1 };

struct ControlRecord {
  int16_t key_version = 0;
  int16_t type = 0;  // a ControlType value, or another type kz does not interpret
  int16_t value_version = 0;
  int32_t coordinator_epoch = 0;  // meaningful for ABORT and COMMIT only
};

// A transaction marker batch: one control record at offset options.base_offset, transactional and
// control bits set. REQUIRES producer id and epoch in options (markers belong to a producer).
Result<Bytes> build_control_batch(const BatchOptions& options, ControlType type, int32_t coordinator_epoch,
                                  int64_t timestamp_ms);
// Parses a record of a control batch.
Result<ControlRecord> parse_control_record(const RecordView& record);

}  // namespace kz::kafka
