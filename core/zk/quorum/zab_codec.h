// The wire format of kz's quorum and election messages (our own, not ZooKeeper's): every message
// is a frame [body_len u32][body], body = a fixed-layout header with every Message field, then the
// payload bytes. Big-endian. Decoding is defensive: a frame that is too long, has an unknown
// version, type or state, or whose payload length disagrees with the frame is rejected with
// kCorruption (the caller closes that connection), before anything is allocated from it.
// A connection starts with a hello frame naming the dialer and the channel it is for.
#pragma once

#include <cstdint>
#include <span>

#include "core/base/status.h"
#include "core/zk/quorum/zab_types.h"

namespace kz::zk::quorum {

inline constexpr uint8_t kWireVersion = 1;
inline constexpr uint32_t kFrameHeaderBytes = 4;
// version, type, from, to, vote (leader, zxid, peer_epoch), election_epoch, state, epoch, session,
// seq, zxid, commit, id, flag, data_len
inline constexpr uint32_t kMessageFixedBytes = 1 + 1 + 8 + 8 + 8 + 8 + 4 + 8 + 1 + 4 + 8 + 8 + 8 + 8 + 8 + 1 + 4;

enum class Channel : uint8_t { kElection = 1, kQuorum = 2 };

struct Hello {
  ServerId from = 0;
  Channel channel = Channel::kElection;
};
inline constexpr uint32_t kHelloBytes = 4 + 1 + 8 + 1;  // magic "KZQP", version, sid, channel

// Appends the frame (length prefix included) to `out`.
void encode_message(const Message& m, Bytes& out);
// `body` is a frame's body (without its length prefix).
Result<Message> decode_message(std::span<const uint8_t> body);

Bytes encode_hello(const Hello& hello);
Result<Hello> decode_hello(std::span<const uint8_t> bytes);

}  // namespace kz::zk::quorum
