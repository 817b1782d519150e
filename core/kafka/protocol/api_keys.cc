#include "core/kafka/protocol/api_keys.h"

namespace kz::kafka {

std::span<const ApiInfo> all_apis() { return {kApiSchemaRows, kApiSchemaRowCount}; }

const ApiInfo* find_api(int16_t api_key) {
  // The generator orders rows by key; a linear scan over ~40 rows is cheap and obviously right.
  for (const ApiInfo& api : all_apis()) {
    if (api.api_key == api_key) return &api;
  }
  return nullptr;
}

bool api_version_supported(int16_t api_key, int16_t api_version) {
  const ApiInfo* api = find_api(api_key);
  return api != nullptr && api_version >= api->version_min && api_version <= api->version_max;
}

bool is_flexible_version(const ApiInfo& api, int16_t api_version) {
  return api.flexible_version_min >= 0 && api_version >= api.flexible_version_min;
}

int16_t request_header_version(int16_t api_key, int16_t api_version) {
  const ApiInfo* api = find_api(api_key);
  if (api == nullptr) return 1;
  if (api->request_header_v0_min >= 0 && api_version >= api->request_header_v0_min &&
      api_version <= api->request_header_v0_max) {
    return 0;
  }
  return is_flexible_version(*api, api_version) ? 2 : 1;
}

int16_t response_header_version(int16_t api_key, int16_t api_version) {
  const ApiInfo* api = find_api(api_key);
  if (api == nullptr) return 0;
  if (api->response_header_v0_min >= 0 && api_version >= api->response_header_v0_min &&
      api_version <= api->response_header_v0_max) {
    return 0;
  }
  return is_flexible_version(*api, api_version) ? 1 : 0;
}

}  // namespace kz::kafka
