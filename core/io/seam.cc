// Shared helpers of the seam, written once over the abstract interfaces.
#include <fmt/format.h>

#include "core/io/fs.h"
#include "core/io/net.h"
#include "core/io/rng.h"

namespace kz::io {

std::string Address::to_string() const { return fmt::format("{}:{}", host, port); }

Result<Address> Address::parse(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status(Code::kInvalidArgument, fmt::format("address '{}' is not host:port", text));
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5) {
    return Status(Code::kInvalidArgument, fmt::format("address '{}' has a bad port", text));
  }
  uint32_t port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return Status(Code::kInvalidArgument, fmt::format("address '{}' has a bad port", text));
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 65535) return Status(Code::kInvalidArgument, fmt::format("address '{}': port out of range", text));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return Address{std::string(host), static_cast<uint16_t>(port)};
}

Status Stream::write_all(std::span<const uint8_t> buf) {
  while (!buf.empty()) {
    Result<size_t> n = write_some(buf);
    if (!n.is_ok()) return n.status();
    KZ_ASSERT(*n > 0 && *n <= buf.size());
    buf = buf.subspan(*n);
  }
  return Status::ok();
}

Status Stream::read_exact(std::span<uint8_t> buf, int64_t timeout_ns) {
  while (!buf.empty()) {
    Result<size_t> n = read_some(buf, timeout_ns);
    if (!n.is_ok()) return n.status();
    if (*n == 0) return Status(Code::kConnectionReset, "unexpected EOF from " + peer().to_string());
    buf = buf.subspan(*n);
  }
  return Status::ok();
}

Status File::read_exact(uint64_t offset, std::span<uint8_t> buf) {
  Result<size_t> n = pread(offset, buf);
  if (!n.is_ok()) return n.status();
  if (*n != buf.size()) {
    return Status(Code::kCorruption, fmt::format("{}: short read at offset {} ({} of {} bytes)", path(), offset,
                                                 *n, buf.size()));
  }
  return Status::ok();
}

Result<std::vector<uint8_t>> Fs::read_file(std::string_view path) {
  KZ_ASSIGN_OR_RETURN(std::unique_ptr<File> f, open(path, OpenOptions::read_only()));
  KZ_ASSIGN_OR_RETURN(uint64_t size, f->size());
  std::vector<uint8_t> data(size);
  KZ_RETURN_IF_ERROR(f->read_exact(0, data));
  KZ_RETURN_IF_ERROR(f->close());
  return data;
}

Status Fs::write_file_atomic(std::string_view path, std::span<const uint8_t> data) {
  std::string tmp = std::string(path) + ".tmp";
  {
    KZ_ASSIGN_OR_RETURN(std::unique_ptr<File> f, open(tmp, OpenOptions::create_new()));
    KZ_RETURN_IF_ERROR(f->append(data));
    KZ_RETURN_IF_ERROR(f->sync());
    KZ_RETURN_IF_ERROR(f->close());
  }
  KZ_RETURN_IF_ERROR(rename(tmp, path));
  return sync_dir(parent_dir(path));
}

std::string parent_dir(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string join_path(std::string_view dir, std::string_view name) {
  if (dir.empty() || dir == ".") return std::string(name);
  std::string out(dir);
  if (out.back() != '/') out += '/';
  out += name;
  return out;
}

// ---- Rng: xoshiro256** (Blackman & Vigna), seeded through splitmix64.
namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

void Rng::reseed(uint64_t seed) {
  uint64_t x = seed;
  for (uint64_t& s : s_) s = splitmix64(x);
}

uint64_t Rng::next_u64() {
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  if (trace_ != nullptr) trace_->record(100, result, 0);
  return result;
}

uint64_t Rng::below(uint64_t n) {
  KZ_ASSERT(n > 0);
  // Lemire's multiply-shift with rejection: unbiased.
  uint64_t x = next_u64();
  __uint128_t m = static_cast<__uint128_t>(x) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      x = next_u64();
      m = static_cast<__uint128_t>(x) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

int64_t Rng::between(int64_t lo, int64_t hi) {
  KZ_ASSERT(lo <= hi);
  uint64_t span = static_cast<uint64_t>(hi - lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(next_u64());
  return lo + static_cast<int64_t>(below(span + 1));
}

double Rng::unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

Rng Rng::fork(uint64_t salt) {
  uint64_t x = next_u64() ^ (salt * 0x9e3779b97f4a7c15ULL);
  Rng child(splitmix64(x));
  child.trace_ = trace_;
  return child;
}

}  // namespace kz::io
