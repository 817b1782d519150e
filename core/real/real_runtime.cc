#include "core/real/real_runtime.h"

#include <signal.h>
#include <sys/random.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

#include "core/real/os_error.h"

namespace kz::real {

namespace {
int64_t log_time_ns(void*) { return RealClock::wall_ns(); }

Result<uint64_t> random_seed() {
  uint64_t seed = 0;
  auto* out = reinterpret_cast<uint8_t*>(&seed);
  size_t done = 0;
  while (done < sizeof(seed)) {
    ssize_t n = getrandom(out + done, sizeof(seed) - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status(Code::kIoError, std::string("getrandom: ") + std::string(errno_text(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return seed;
}
}  // namespace

// SIGINT/SIGTERM through a signalfd: reading one stops the scheduler between fibers.
class RealRuntime::SignalWatch final : public Pollable {
 public:
  SignalWatch(RealRuntime& runtime) : runtime_(runtime) {}
  ~SignalWatch() {
    if (fd_ >= 0) {
      runtime_.driver_->remove(fd_);
      ::close(fd_);
    }
    if (masked_) pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

  Status open() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    // Blocked, so they stay pending for the signalfd instead of running the default action.
    int rc = pthread_sigmask(SIG_BLOCK, &mask, &old_mask_);
    if (rc != 0) return Status(Code::kIoError, "block signals: " + std::string(errno_text(rc)));
    masked_ = true;
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) return Status(Code::kIoError, "signalfd: " + std::string(errno_text(errno)));
    // Level-triggered is not needed: on_events drains every pending signal.
    Status s = runtime_.driver_->add(fd, EPOLLIN, this);
    if (!s.is_ok()) {
      ::close(fd);
      return s;
    }
    fd_ = fd;
    return Status::ok();
  }

  void on_events(uint32_t) override {
    signalfd_siginfo info;
    while (::read(fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
      runtime_.stop_signal_ = static_cast<int>(info.ssi_signo);
      runtime_.sched_->stop();
    }
  }

 private:
  RealRuntime& runtime_;
  int fd_ = -1;
  bool masked_ = false;
  sigset_t old_mask_;
};

RealRuntime::RealRuntime(RealRuntimeOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<RealRuntime>> RealRuntime::create(RealRuntimeOptions options) {
  std::unique_ptr<RealRuntime> runtime(new RealRuntime(std::move(options)));
  KZ_RETURN_IF_ERROR(runtime->init());
  return runtime;
}

Status RealRuntime::init() {
  if (options_.seed.has_value()) {
    seed_ = *options_.seed;
  } else {
    KZ_ASSIGN_OR_RETURN(seed_, random_seed());
  }
  KZ_ASSIGN_OR_RETURN(driver_, RealDriver::open());
  sched_ = std::make_unique<rt::Scheduler>(*driver_);
  driver_->bind(sched_.get());
  clock_ = std::make_unique<RealClock>(*sched_);
  net_ = std::make_unique<RealNet>(*driver_, *sched_);
  fs_ = std::make_unique<RealFs>(options_.fs_root);
  fs_->offload_syncs(*driver_, *sched_);  // fsync on a helper thread: it must not stall the scheduler
  rng_ = std::make_unique<io::Rng>(seed_);
  log_sink_ = std::make_unique<StderrLogSink>(options_.log_level);
  group_ = std::make_unique<rt::TaskGroup>(*sched_, options_.node);
  if (options_.handle_signals) {
    signals_ = std::make_unique<SignalWatch>(*this);
    KZ_RETURN_IF_ERROR(signals_->open());
  }
  env_.node = options_.node;
  env_.sched = sched_.get();
  env_.group = group_.get();
  env_.clock = clock_.get();
  env_.net = net_.get();
  env_.fs = fs_.get();
  env_.rng = rng_.get();
  env_.log = Logger(log_sink_.get(), options_.node, &log_time_ns, nullptr);
  env_.faults = nullptr;
  return Status::ok();
}

RealRuntime::~RealRuntime() {
  // The node's fibers first: unwinding them closes their streams and files while the driver and
  // the scheduler still exist.
  if (group_ != nullptr) group_->kill();
  group_.reset();
  signals_.reset();
}

}  // namespace kz::real
