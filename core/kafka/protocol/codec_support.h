// Helpers shared by the generated message codecs (build-dir messages_*.cc): error messages that
// name the field path, and the macros the generated code uses to propagate them.
//
// A decode error reads "Produce request v3: Topics[0].Partitions[2].Records: length 900 exceeds
// the 12 bytes left": API, direction, version, then the path to the field, then the problem.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"

namespace kz::kafka::codec {

// "Name: <message>"
Status field_error(const Status& status, std::string_view field_name);
// "Name[index].<message>" (index < 0: a single struct, "Name.<message>")
Status nested_error(const Status& status, std::string_view field_name, int64_t index);
// "<Api> <request|response> v<version>: <message>"
Status message_error(const Status& status, std::string_view api_name, std::string_view direction,
                     int16_t version);
Status unsupported_version(std::string_view api_name, std::string_view direction, int16_t version,
                           int16_t version_min, int16_t version_max);

}  // namespace kz::kafka::codec

#define KZ_CODEC_FIELD(expr, name)                                              \
  do {                                                                          \
    ::kz::Status kz_codec_status_ = (expr);                                     \
    if (!kz_codec_status_.is_ok()) return ::kz::kafka::codec::field_error(kz_codec_status_, name); \
  } while (0)

#define KZ_CODEC_NESTED(expr, name, index)                                      \
  do {                                                                          \
    ::kz::Status kz_codec_status_ = (expr);                                     \
    if (!kz_codec_status_.is_ok())                                              \
      return ::kz::kafka::codec::nested_error(kz_codec_status_, name, index);   \
  } while (0)
