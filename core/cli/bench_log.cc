// `kz bench log`: how fast the segmented Kafka log appends and reads on the real disk, against what
// the disk gives a plain writer. Prints one JSON line; each figure is the median of --rounds rounds.
//   append_fsync_mb_s:   Log::append_as_leader of ~1 MiB (16 batches of 64 records x 1000 B) then
//                        Log::flush() (fdatasync), repeated for --mb MiB;
//   append_nosync_mb_s:  the same appends without flush (page cache);
//   read_mb_s:           Log::read of the whole log front to back, 1 MiB per read (page cache, CRC
//                        checked on every batch as in serving a fetch);
//   dd_mb_s:             `dd if=/dev/zero of=DIR/ddtest bs=1M count=N oflag=dsync`, parsed from its
//                        output (when dd exists), and odsync_loop_mb_s, the same O_DSYNC loop written
//                        here; ratio_kz_over_dd = append_fsync_mb_s / dd_mb_s (target >= 0.70);
//   crc32c_gb_s:         CRC32C over a 1 MiB buffer (see `kz bench kafka-codec` for the details).
// MB = 1e6 bytes. Wall time: disk throughput is what is measured, so CPU time would hide it.
#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/cli/commands.h"
#include "core/kafka/log/log.h"
#include "core/kafka/records/batch_builder.h"
#include "core/kafka/records/crc32c.h"
#include "core/real/dsync_baseline.h"
#include "core/real/host.h"
#include "core/real/real_clock.h"
#include "core/real/real_fs.h"

namespace kz::cli {

namespace {

struct LogBenchArgs {
  std::string dir = "kz-bench-log";
  int mb = 256;
  int rounds = 3;
  bool keep = false;
};

// The log needs a clock only for timestamps and roll/flush ages; no scheduler runs here.
class BenchClock final : public io::Clock {
 public:
  int64_t now_ns() override { return real::monotonic_ns(); }
  int64_t wall_ms() override { return real::RealClock::wall_ns() / kNsPerMs; }
  void sleep_for(int64_t) override { KZ_UNREACHABLE("the log benchmark never sleeps"); }
  int64_t deadline_after_ns(int64_t duration_ns) override { return now_ns() + duration_ns; }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double seconds_since(int64_t start_ns) {
  return static_cast<double>(real::monotonic_ns() - start_ns) / 1e9;
}

// ~1 MiB of producer batches (offsets rewritten by the log on each append).
Result<kafka::Bytes> make_chunk(int64_t now_ms) {
  std::vector<kafka::Record> records;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 64; i++) {
    kafka::Record r;
    r.offset = i;
    r.timestamp_ms = now_ms;
    std::string key = fmt::format("key-{:06d}", i);
    r.key = kafka::Bytes(key.begin(), key.end());
    kafka::Bytes value(1000);
    for (uint8_t& b : value) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      b = static_cast<uint8_t>(x);
    }
    r.value = std::move(value);
    records.push_back(std::move(r));
  }
  KZ_ASSIGN_OR_RETURN(kafka::Bytes batch, kafka::build_batch(kafka::BatchOptions{}, records));
  kafka::Bytes chunk;
  while (chunk.size() + batch.size() <= (size_t{1} << 20)) chunk.insert(chunk.end(), batch.begin(), batch.end());
  return chunk;
}

Status remove_tree(real::RealFs& fs, const std::string& dir) {
  KZ_ASSIGN_OR_RETURN(bool exists, fs.exists(dir));
  if (!exists) return Status::ok();
  KZ_ASSIGN_OR_RETURN(auto names, fs.list(dir));
  for (const std::string& n : names) KZ_RETURN_IF_ERROR(fs.remove(io::join_path(dir, n)));
  return real::remove_empty_dir(dir);
}

struct LogFigures {
  double append_fsync_mb_s = 0;
  double append_nosync_mb_s = 0;
  double read_mb_s = 0;
};

Result<LogFigures> run_log_round(real::RealFs& fs, const std::string& dir, const kafka::Bytes& chunk, int mb) {
  BenchClock clock;
  LogFigures figures;
  const double total_mb = static_cast<double>(chunk.size()) * mb / 1e6;
  for (bool fsync : {true, false}) {
    const std::string log_dir = io::join_path(dir, fsync ? "log-fsync" : "log-nosync");
    KZ_RETURN_IF_ERROR(remove_tree(fs, log_dir));
    kafka::log::LogConfig config;
    KZ_ASSIGN_OR_RETURN(auto log, kafka::log::Log::open(fs, log_dir, config, clock, Logger()));
    const int64_t start = real::monotonic_ns();
    for (int i = 0; i < mb; i++) {
      KZ_ASSIGN_OR_RETURN(kafka::log::AppendInfo info, log->append_as_leader(chunk, 0));
      (void)info;
      if (fsync) KZ_RETURN_IF_ERROR(log->flush());
    }
    const double secs = seconds_since(start);
    if (fsync) {
      figures.append_fsync_mb_s = total_mb / secs;
    } else {
      figures.append_nosync_mb_s = total_mb / secs;
      // Read it all back, 1 MiB per fetch.
      const int64_t read_start = real::monotonic_ns();
      int64_t offset = 0;
      uint64_t bytes = 0;
      kafka::log::ReadOptions options;
      while (offset < log->log_end_offset()) {
        KZ_ASSIGN_OR_RETURN(kafka::log::FetchResult r, log->read(offset, options));
        KZ_ASSERT(!r.records.empty());
        bytes += r.records.size();
        // The next offset: after the last batch returned.
        kafka::BatchReader reader(r.records);
        for (;;) {
          KZ_ASSIGN_OR_RETURN(std::optional<kafka::BatchView> b, reader.next());
          if (!b) break;
          offset = b->next_offset();
        }
      }
      figures.read_mb_s = static_cast<double>(bytes) / 1e6 / seconds_since(read_start);
    }
    KZ_RETURN_IF_ERROR(log->close());
    log.reset();
    KZ_RETURN_IF_ERROR(remove_tree(fs, log_dir));
  }
  return figures;
}

// The same work as dd oflag=dsync, in-process (core/real/dsync_baseline.h).
Result<double> odsync_loop_mb_s(const std::string& path, int mb) {
  KZ_ASSIGN_OR_RETURN(int64_t ns, real::odsync_write_ns(path, size_t{1} << 20, mb));
  return static_cast<double>(size_t{1} << 20) * mb / 1e6 / (static_cast<double>(ns) / 1e9);
}

// Runs dd and parses "N bytes (...) copied, S s, ..." from its output; nullopt if dd is unavailable.
std::optional<double> dd_mb_s(const std::string& path, int mb) {
  const std::string cmd =
      fmt::format("dd if=/dev/zero of='{}' bs=1M count={} oflag=dsync 2>&1; rm -f '{}'", path, mb, path);
  Result<real::ChildResult> r = real::run_child({"/bin/sh", "-c", cmd}, true);
  if (!r.is_ok() || r->exit_code != 0) return std::nullopt;
  const std::string& out = r->stdout_text;
  const size_t bytes_end = out.find(" bytes");
  const size_t copied = out.find("copied, ");
  if (bytes_end == std::string::npos || copied == std::string::npos) return std::nullopt;
  size_t line_start = out.rfind('\n', bytes_end);
  line_start = line_start == std::string::npos ? 0 : line_start + 1;
  try {
    const double bytes = std::stod(out.substr(line_start, bytes_end - line_start));
    const double secs = std::stod(out.substr(copied + 8));
    if (secs <= 0) return std::nullopt;
    return bytes / 1e6 / secs;
  } catch (...) {
    return std::nullopt;
  }
}

double crc32c_gb_s() {
  std::vector<uint8_t> buf(size_t{1} << 20);
  for (size_t i = 0; i < buf.size(); i++) buf[i] = static_cast<uint8_t>(i * 131 + (i >> 9));
  volatile uint32_t sink = 0;
  std::vector<double> runs;
  for (int run = 0; run < 5; run++) {
    const int64_t start = real::monotonic_ns();
    int n = 0;
    do {
      for (int i = 0; i < 16; i++, n++) sink = sink + kafka::crc32c(buf);
    } while (real::monotonic_ns() - start < 50'000'000);
    runs.push_back(static_cast<double>(buf.size()) * n / 1e9 / seconds_since(start));
  }
  return median(runs);
}

int cmd_bench_log(const LogBenchArgs& args) {
  if (args.mb < 1 || args.rounds < 1) {
    std::fprintf(stderr, "kz bench log: --mb and --rounds must be positive\n");
    return 2;
  }
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  real::RealFs fs;
  Status s = fs.mkdirs(args.dir);
  if (!s.is_ok()) {
    std::fprintf(stderr, "kz bench log: %s\n", s.to_string().c_str());
    return 2;
  }
  Result<kafka::Bytes> chunk = make_chunk(real::RealClock::wall_ns() / kNsPerMs);
  KZ_ASSERT_MSG(chunk.is_ok(), chunk.status().to_string());
  std::vector<double> fsync, nosync, read, loop, dd;
  const std::string dd_path = io::join_path(args.dir, "ddtest");
  for (int round = 0; round < args.rounds; round++) {
    std::optional<double> d = dd_mb_s(dd_path, args.mb);
    if (d) dd.push_back(*d);
    Result<double> l = odsync_loop_mb_s(dd_path, args.mb);
    if (!l.is_ok()) {
      std::fprintf(stderr, "kz bench log: %s\n", l.status().to_string().c_str());
      return 1;
    }
    loop.push_back(*l);
    Result<LogFigures> f = run_log_round(fs, args.dir, *chunk, args.mb);
    if (!f.is_ok()) {
      std::fprintf(stderr, "kz bench log: %s\n", f.status().to_string().c_str());
      return 1;
    }
    fsync.push_back(f->append_fsync_mb_s);
    nosync.push_back(f->append_nosync_mb_s);
    read.push_back(f->read_mb_s);
  }
  const double baseline = dd.empty() ? median(loop) : median(dd);
  nlohmann::json out = {{"bench", "log"},
                        {"append_fsync_mb_s", median(fsync)},
                        {"append_nosync_mb_s", median(nosync)},
                        {"read_mb_s", median(read)},
                        {"dd_mb_s", dd.empty() ? nlohmann::json(nullptr) : nlohmann::json(median(dd))},
                        {"odsync_loop_mb_s", median(loop)},
                        {"ratio_kz_over_dd", median(fsync) / baseline},
                        {"crc32c_gb_s", crc32c_gb_s()},
                        {"method",
                         {{"rounds", args.rounds},
                          {"statistic", "median"},
                          {"mb_per_round", args.mb},
                          {"append_bytes", chunk->size()},
                          {"batch", "64 records x 1000 B random values, uncompressed; 16 batches per append"},
                          {"fsync", "Log::flush() (fdatasync of the segment) after every append"},
                          {"baseline", dd.empty() ? "O_DSYNC loop (dd not found)" : "dd bs=1M oflag=dsync"},
                          {"timing", "wall clock"},
                          {"dir", args.dir},
                          {"mb", "1e6 bytes"}}}};
  std::printf("%s\n", out.dump().c_str());
  if (!args.keep) (void)real::remove_empty_dir(args.dir);
  return 0;
}

void register_bench_log(CLI::App& app) {
  static LogBenchArgs args;
  auto* cmd = bench_group(app)->add_subcommand(
      "log",
      "Kafka log append MB/s (fsync per 1 MiB and without fsync), read MB/s, a dd oflag=dsync baseline\n"
      "with the kz/dd ratio, and CRC32C GB/s, on the real disk.\n"
      "Examples:\n  kz bench log\n  kz bench log --dir /data/kz-bench --mb 512 --rounds 3");
  cmd->add_option("--dir", args.dir, "directory to write in (created; removed afterwards)")
      ->default_val("kz-bench-log");
  cmd->add_option("--mb", args.mb, "MiB written per figure and round")->default_val(256);
  cmd->add_option("--rounds", args.rounds, "rounds (the median is reported)")->default_val(3);
  cmd->add_flag("--keep", args.keep, "keep the directory");
  cmd->callback([] { set_exit_code(cmd_bench_log(args)); });
}

}  // namespace

KZ_COMMAND("bench-log", register_bench_log);

}  // namespace kz::cli
