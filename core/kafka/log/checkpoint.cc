#include "core/kafka/log/checkpoint.h"

#include <fmt/format.h>

#include <charconv>

namespace kz::kafka::log {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

template <typename T>
bool parse_number(std::string_view s, T* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

Status bad_line(std::string_view name, size_t line, std::string_view what) {
  return error(Code::kCorruption, fmt::format("{}: line {}: {}", name, line + 1, what));
}

std::span<const uint8_t> as_span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::string format_epoch_checkpoint(const std::vector<EpochEntry>& entries) {
  std::string out = fmt::format("0\n{}\n", entries.size());
  for (const EpochEntry& e : entries) out += fmt::format("{} {}\n", e.epoch, e.start_offset);
  return out;
}

Result<std::vector<EpochEntry>> parse_epoch_checkpoint(std::string_view text, std::string_view name) {
  std::vector<std::string_view> lines = split_lines(text);
  if (lines.size() < 2) return error(Code::kCorruption, fmt::format("{}: truncated header", name));
  if (lines[0] != "0") return bad_line(name, 0, fmt::format("unsupported version '{}'", lines[0]));
  size_t count = 0;
  if (!parse_number(lines[1], &count)) return bad_line(name, 1, fmt::format("bad entry count '{}'", lines[1]));
  if (count != lines.size() - 2) {
    return bad_line(name, 1, fmt::format("entry count {} but {} entry lines", count, lines.size() - 2));
  }
  std::vector<EpochEntry> entries;
  for (size_t i = 2; i < lines.size(); i++) {
    const std::string_view line = lines[i];
    const size_t space = line.find(' ');
    EpochEntry e;
    if (space == std::string_view::npos || !parse_number(line.substr(0, space), &e.epoch) ||
        !parse_number(line.substr(space + 1), &e.start_offset) || e.epoch < 0 || e.start_offset < 0) {
      return bad_line(name, i, fmt::format("'{}' is not '<epoch> <offset>'", line));
    }
    if (!entries.empty() && (e.epoch <= entries.back().epoch || e.start_offset < entries.back().start_offset)) {
      return bad_line(name, i, "epochs must increase and offsets must not decrease");
    }
    entries.push_back(e);
  }
  return entries;
}

std::string format_recovery_point(int64_t offset) {
  return fmt::format("0\n{}\n", offset);
}

Result<int64_t> parse_recovery_point(std::string_view text, std::string_view name) {
  std::vector<std::string_view> lines = split_lines(text);
  if (lines.size() != 2)
    return error(Code::kCorruption, fmt::format("{}: expected 2 lines, found {}", name, lines.size()));
  if (lines[0] != "0") return bad_line(name, 0, fmt::format("unsupported version '{}'", lines[0]));
  int64_t offset = 0;
  if (!parse_number(lines[1], &offset) || offset < 0)
    return bad_line(name, 1, fmt::format("bad offset '{}'", lines[1]));
  return offset;
}

Result<std::pair<bool, std::string>> read_optional_text(io::Fs& fs, const std::string& path) {
  KZ_ASSIGN_OR_RETURN(bool exists, fs.exists(path));
  if (!exists) return std::pair<bool, std::string>(false, "");
  KZ_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, fs.read_file(path));
  return std::pair<bool, std::string>(true, std::string(bytes.begin(), bytes.end()));
}

Status LeaderEpochCache::load() {
  KZ_ASSIGN_OR_RETURN(auto file, read_optional_text(fs_, path_));
  entries_.clear();
  if (!file.first) return Status::ok();
  KZ_ASSIGN_OR_RETURN(entries_, parse_epoch_checkpoint(file.second, path_));
  return Status::ok();
}

Status LeaderEpochCache::persist() {
  return fs_.write_file_atomic(path_, as_span(format_epoch_checkpoint(entries_)));
}

Status LeaderEpochCache::assign(int32_t epoch, int64_t start_offset) {
  KZ_ASSERT(epoch >= 0);
  if (!entries_.empty() && epoch <= entries_.back().epoch) return Status::ok();
  KZ_ASSERT_MSG(entries_.empty() || start_offset >= entries_.back().start_offset,
                fmt::format("epoch {} at {} before epoch {} at {}", epoch, start_offset, entries_.back().epoch,
                            entries_.back().start_offset));
  entries_.push_back(EpochEntry{epoch, start_offset});
  return persist();
}

Status LeaderEpochCache::truncate_from_end(int64_t end_offset) {
  size_t keep = entries_.size();
  while (keep > 0 && entries_[keep - 1].start_offset >= end_offset) keep--;
  if (keep == entries_.size()) return Status::ok();
  entries_.resize(keep);
  return persist();
}

Status LeaderEpochCache::truncate_from_start(int64_t start_offset) {
  size_t first_kept = 0;
  while (first_kept < entries_.size() && entries_[first_kept].start_offset <= start_offset) first_kept++;
  if (first_kept == 0) return Status::ok();
  // entries_[first_kept - 1] covers start_offset: it stays, starting there.
  const size_t drop = first_kept - 1;
  if (drop == 0 && entries_[0].start_offset == start_offset) return Status::ok();
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(drop));
  entries_[0].start_offset = start_offset;
  return persist();
}

Status LeaderEpochCache::clear() {
  if (entries_.empty()) return Status::ok();
  entries_.clear();
  return persist();
}

std::pair<int32_t, int64_t> LeaderEpochCache::end_offset_for(int32_t requested_epoch, int64_t log_end_offset) const {
  if (requested_epoch < 0 || entries_.empty()) return {-1, -1};
  if (requested_epoch == entries_.back().epoch) return {requested_epoch, log_end_offset};
  // The first entry with epoch > requested.
  size_t higher = 0;
  while (higher < entries_.size() && entries_[higher].epoch <= requested_epoch) higher++;
  if (higher == entries_.size()) return {-1, -1};
  if (higher == 0) return {requested_epoch, entries_[0].start_offset};
  return {entries_[higher - 1].epoch, entries_[higher].start_offset};
}

}  // namespace kz::kafka::log
