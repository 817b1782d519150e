// The Kafka API keys kz serves, from the schema files: name, version range, first flexible
// version and which request/response header version each (api_key, version) uses. ApiVersions
// advertises exactly this table; the connection layer uses the header rules to frame messages.
//
// Header rules (KIP-482): flexible versions use request header v2 (client id + tagged fields) and
// response header v1 (tagged fields); others use request header v1 and response header v0.
// Exceptions declared in the schema: ApiVersions responses always use header v0 (KIP-511, so a
// client can read the error even if it sent a version the broker does not know), and
// ControlledShutdown v0 requests use request header v0 (no client id).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/kafka/protocol/generated/messages.h"

namespace kz::kafka {

using ApiInfo = ApiSchemaRow;

// Ordered by api key.
std::span<const ApiInfo> all_apis();
// nullptr when kz does not serve `api_key`.
const ApiInfo* find_api(int16_t api_key);
bool api_version_supported(int16_t api_key, int16_t api_version);
// Also answers for versions above the served range (a newer client), by the flexible rule.
bool is_flexible_version(const ApiInfo& api, int16_t api_version);

// Header versions for (api_key, api_version). For an unknown key these return the classic
// layouts (request header v1, response header v0), enough to read the correlation id and reply.
int16_t request_header_version(int16_t api_key, int16_t api_version);
int16_t response_header_version(int16_t api_key, int16_t api_version);

}  // namespace kz::kafka
