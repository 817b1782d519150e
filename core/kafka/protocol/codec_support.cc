#include "core/kafka/protocol/codec_support.h"

namespace kz::kafka::codec {

Status field_error(const Status& status, std::string_view field_name) {
  KZ_ASSERT(!status.is_ok());
  std::string message(field_name);
  message += ": ";
  message += status.message();
  return Status(status.code(), std::move(message));
}

Status nested_error(const Status& status, std::string_view field_name, int64_t index) {
  KZ_ASSERT(!status.is_ok());
  std::string message(field_name);
  if (index >= 0) message += "[" + std::to_string(index) + "]";
  message += ".";
  message += status.message();
  return Status(status.code(), std::move(message));
}

Status message_error(const Status& status, std::string_view api_name, std::string_view direction,
                     int16_t version) {
  KZ_ASSERT(!status.is_ok());
  std::string message(api_name);
  message += " ";
  message += direction;
  message += " v" + std::to_string(version) + ": ";
  message += status.message();
  return Status(status.code(), std::move(message));
}

Status unsupported_version(std::string_view api_name, std::string_view direction, int16_t version,
                           int16_t version_min, int16_t version_max) {
  std::string message(api_name);
  message += " ";
  message += direction;
  message += " v" + std::to_string(version) + " is not supported (kz serves v" + std::to_string(version_min) +
             "-v" + std::to_string(version_max) + ")";
  return Status(Code::kUnsupported, std::move(message));
}

}  // namespace kz::kafka::codec
