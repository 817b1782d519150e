#include "core/kafka/log/log_config.h"

#include <fmt/format.h>

#include <charconv>
#include <string>

namespace kz::kafka::log {

namespace {

Status parse_int(std::string_view key, std::string_view value, int64_t min, int64_t* out) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v < min) {
    return error(Code::kInvalidArgument, fmt::format("{}: '{}' is not an integer >= {}", key, value, min));
  }
  *out = v;
  return Status::ok();
}

}  // namespace

Status LogConfig::set(std::string_view key, std::string_view value) {
  int64_t v = 0;
  if (key == "segment.bytes") {
    KZ_RETURN_IF_ERROR(parse_int(key, value, 14, &v));
    segment_bytes = static_cast<uint64_t>(v);
  } else if (key == "segment.ms") {
    KZ_RETURN_IF_ERROR(parse_int(key, value, 1, &segment_ms));
  } else if (key == "index.interval.bytes") {
    KZ_RETURN_IF_ERROR(parse_int(key, value, 0, &v));
    if (v > std::numeric_limits<int32_t>::max()) return error(Code::kInvalidArgument, "index.interval.bytes too large");
    index_interval_bytes = static_cast<uint32_t>(v);
  } else if (key == "flush.messages" || key == "log.flush.interval.messages") {
    KZ_RETURN_IF_ERROR(parse_int(key, value, 1, &flush_interval_messages));
  } else if (key == "flush.ms" || key == "log.flush.interval.ms") {
    KZ_RETURN_IF_ERROR(parse_int(key, value, 0, &flush_interval_ms));
  } else if (key == "retention.ms") {
    KZ_RETURN_IF_ERROR(parse_int(key, value, -1, &retention_ms));
  } else if (key == "retention.bytes") {
    KZ_RETURN_IF_ERROR(parse_int(key, value, -1, &retention_bytes));
  } else if (key == "delete.retention.ms") {
    KZ_RETURN_IF_ERROR(parse_int(key, value, 0, &delete_retention_ms));
  } else if (key == "max.message.bytes") {
    KZ_RETURN_IF_ERROR(parse_int(key, value, 0, &v));
    if (v > std::numeric_limits<int32_t>::max()) return error(Code::kInvalidArgument, "max.message.bytes too large");
    max_message_bytes = static_cast<uint32_t>(v);
  } else if (key == "cleanup.policy") {
    if (value == "delete") {
      cleanup_delete = true, cleanup_compact = false;
    } else if (value == "compact") {
      cleanup_delete = false, cleanup_compact = true;
    } else if (value == "compact,delete" || value == "delete,compact") {
      cleanup_delete = true, cleanup_compact = true;
    } else {
      return error(Code::kInvalidArgument,
                   fmt::format("cleanup.policy: '{}' is not delete, compact or compact,delete", value));
    }
  } else if (key == "message.timestamp.type") {
    if (value == "CreateTime") {
      message_timestamp_type = TimestampType::kCreateTime;
    } else if (value == "LogAppendTime") {
      message_timestamp_type = TimestampType::kLogAppendTime;
    } else {
      return error(Code::kInvalidArgument,
                   fmt::format("message.timestamp.type: '{}' is not CreateTime or LogAppendTime", value));
    }
  } else {
    return error(Code::kInvalidArgument, fmt::format("unknown log config '{}'", key));
  }
  return Status::ok();
}

Status LogConfig::validate() const {
  if (segment_bytes < kBatchHeaderBytes) {
    return error(Code::kInvalidArgument, fmt::format("segment.bytes {} is smaller than a batch header", segment_bytes));
  }
  if (segment_bytes > std::numeric_limits<uint32_t>::max()) {
    // Index entries hold 32-bit file positions, as in Kafka.
    return error(Code::kInvalidArgument, fmt::format("segment.bytes {} does not fit 32-bit positions", segment_bytes));
  }
  if (segment_ms < 1) return error(Code::kInvalidArgument, "segment.ms must be positive");
  if (flush_interval_messages < 1) return error(Code::kInvalidArgument, "log.flush.interval.messages must be >= 1");
  if (!cleanup_delete && !cleanup_compact) return error(Code::kInvalidArgument, "cleanup.policy is empty");
  return Status::ok();
}

}  // namespace kz::kafka::log
