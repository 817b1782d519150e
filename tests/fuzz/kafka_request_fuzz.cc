// libFuzzer target: Kafka request decoding (header + dispatch to the generated body decoders), the
// path every byte a client sends to a broker takes. Malformed input must be an error value; a decoded
// request must encode again.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/kafka/protocol/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> payload(data, size);
  kz::Result<kz::kafka::RequestHeader> header = kz::kafka::decode_request_header_only(payload);
  kz::Result<kz::kafka::DecodedRequest> request = kz::kafka::decode_request(payload);
  if (request.is_ok()) {
    KZ_ASSERT(header.is_ok());
    // What decoded re-encodes (the encoders accept everything the decoders produce).
    kz::Result<kz::kafka::Bytes> frame = kz::kafka::encode_request_frame(request->header, request->body);
    (void)frame;
  }
  return 0;
}
