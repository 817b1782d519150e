#include "core/zk/quorum/zab_codec.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace kz::zk::quorum {

namespace {
constexpr uint8_t kHelloMagic[4] = {'K', 'Z', 'Q', 'P'};

class Writer {
 public:
  explicit Writer(Bytes& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u32(uint32_t v) {
    for (int i = 3; i >= 0; i--) out_.push_back(static_cast<uint8_t>(v >> (i * 8)));
  }
  void u64(uint64_t v) {
    for (int i = 7; i >= 0; i--) out_.push_back(static_cast<uint8_t>(v >> (i * 8)));
  }

 private:
  Bytes& out_;
};

// Big-endian stores into a buffer whose size the caller checked: the message header is written
// into a fixed array with one store per field, not byte by byte into the vector (that showed up
// as ~5% of a busy simulation's instructions).
class FixedWriter {
 public:
  explicit FixedWriter(uint8_t* p) : p_(p) {}
  void u8(uint8_t v) { *p_++ = v; }
  void u32(uint32_t v) {
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
    std::memcpy(p_, &v, 4);
    p_ += 4;
  }
  void u64(uint64_t v) {
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
    std::memcpy(p_, &v, 8);
    p_ += 8;
  }
  const uint8_t* end() const { return p_; }

 private:
  uint8_t* p_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  // The caller checked the size up front: reads past the end are invariant breaks.
  uint8_t u8() {
    KZ_ASSERT(pos_ + 1 <= in_.size());
    return in_[pos_++];
  }
  // Big-endian loads: one copy and a byte swap rather than a shift per byte.
  uint32_t u32() {
    KZ_ASSERT(pos_ + 4 <= in_.size());
    uint32_t v;
    std::memcpy(&v, in_.data() + pos_, 4);
    pos_ += 4;
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
    return v;
  }
  uint64_t u64() {
    KZ_ASSERT(pos_ + 8 <= in_.size());
    uint64_t v;
    std::memcpy(&v, in_.data() + pos_, 8);
    pos_ += 8;
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
    return v;
  }
  size_t pos() const { return pos_; }

 private:
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
};
}  // namespace

void encode_message(const Message& m, Bytes& out) {
  KZ_ASSERT(m.data.size() <= UINT32_MAX - kMessageFixedBytes);
  out.reserve(out.size() + 4 + kMessageFixedBytes + m.data.size());  // one allocation, not one per doubling
  uint8_t header[4 + kMessageFixedBytes];
  FixedWriter w(header);
  w.u32(static_cast<uint32_t>(kMessageFixedBytes + m.data.size()));
  w.u8(kWireVersion);
  w.u8(static_cast<uint8_t>(m.type));
  w.u64(m.from);
  w.u64(m.to);
  w.u64(m.vote.leader);
  w.u64(m.vote.zxid);
  w.u32(m.vote.peer_epoch);
  w.u64(m.election_epoch);
  w.u8(static_cast<uint8_t>(m.state));
  w.u32(m.epoch);
  w.u64(m.session);
  w.u64(m.seq);
  w.u64(m.zxid);
  w.u64(m.commit);
  w.u64(m.id);
  w.u8(m.flag ? 1 : 0);
  w.u32(static_cast<uint32_t>(m.data.size()));
  KZ_ASSERT(w.end() == header + sizeof(header));
  out.insert(out.end(), header, header + sizeof(header));
  out.insert(out.end(), m.data.begin(), m.data.end());
}

Result<Message> decode_message(std::span<const uint8_t> body) {
  if (body.size() < kMessageFixedBytes) {
    return Status(Code::kCorruption, fmt::format("message of {} bytes is shorter than its header", body.size()));
  }
  Reader r(body);
  uint8_t version = r.u8();
  if (version != kWireVersion) return Status(Code::kCorruption, fmt::format("unknown wire version {}", version));
  uint8_t type = r.u8();
  if (type == 0 || type > kMsgTypeMax) return Status(Code::kCorruption, fmt::format("unknown message type {}", type));
  Message m;
  m.type = static_cast<MsgType>(type);
  m.from = r.u64();
  m.to = r.u64();
  m.vote.leader = r.u64();
  m.vote.zxid = r.u64();
  m.vote.peer_epoch = r.u32();
  m.election_epoch = r.u64();
  uint8_t state = r.u8();
  if (state > static_cast<uint8_t>(PeerState::kLeading)) {
    return Status(Code::kCorruption, fmt::format("unknown peer state {}", state));
  }
  m.state = static_cast<PeerState>(state);
  m.epoch = r.u32();
  m.session = r.u64();
  m.seq = r.u64();
  m.zxid = r.u64();
  m.commit = r.u64();
  m.id = r.u64();
  uint8_t flag = r.u8();
  if (flag > 1) return Status(Code::kCorruption, fmt::format("bad flag byte {}", flag));
  m.flag = flag == 1;
  uint32_t data_len = r.u32();
  if (data_len != body.size() - kMessageFixedBytes) {
    return Status(Code::kCorruption,
                  fmt::format("payload length {} disagrees with the frame ({} bytes left)", data_len,
                              body.size() - kMessageFixedBytes));
  }
  m.data.assign(body.begin() + kMessageFixedBytes, body.end());
  return m;
}

Bytes encode_hello(const Hello& hello) {
  Bytes out(kHelloMagic, kHelloMagic + 4);
  Writer w(out);
  w.u8(kWireVersion);
  w.u64(hello.from);
  w.u8(static_cast<uint8_t>(hello.channel));
  return out;
}

Result<Hello> decode_hello(std::span<const uint8_t> bytes) {
  if (bytes.size() != kHelloBytes || std::memcmp(bytes.data(), kHelloMagic, 4) != 0) {
    return Status(Code::kCorruption, "bad hello");
  }
  Reader r(bytes.subspan(4));
  if (r.u8() != kWireVersion) return Status(Code::kCorruption, "hello: unknown wire version");
  Hello h;
  h.from = r.u64();
  uint8_t channel = r.u8();
  if (channel != static_cast<uint8_t>(Channel::kElection) && channel != static_cast<uint8_t>(Channel::kQuorum)) {
    return Status(Code::kCorruption, fmt::format("hello: unknown channel {}", channel));
  }
  h.channel = static_cast<Channel>(channel);
  return h;
}

}  // namespace kz::zk::quorum
