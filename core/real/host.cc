#include "core/real/host.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <elf.h>
#include <fmt/format.h>
#include <link.h>
#include <map>

namespace kz::real {

namespace {
Status errno_status(std::string_view what, const std::string& path) {
  int e = errno;
  Code code = e == ENOENT ? Code::kNotFound : e == EEXIST ? Code::kAlreadyExists : Code::kIoError;
  return Status(code, fmt::format("{} {}: {}", what, path, std::strerror(e)));
}
}  // namespace

Result<std::string> read_text_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status("cannot open", path);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status st = errno_status("cannot read", path);
      ::close(fd);
      return st;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status write_text_file(const std::string& path, std::string_view text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status("cannot create", path);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status st = errno_status("cannot write", path);
      ::close(fd);
      return st;
    }
    off += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return errno_status("cannot close", path);
  return Status::ok();
}

Status make_dirs(const std::string& path) {
  std::string partial;
  size_t i = 0;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string::npos) slash = path.size();
    partial = path.substr(0, slash);
    if (!partial.empty() && ::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return errno_status("cannot create directory", partial);
    }
    i = slash + 1;
  }
  return Status::ok();
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

int64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t process_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool stderr_is_tty() {
  const char* ci = std::getenv("CI");
  if (ci != nullptr && *ci != '\0') return false;
  return ::isatty(2) == 1;
}

std::string self_exe_path() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "kz";
  buf[n] = '\0';
  return buf;
}

namespace {

// The GNU build-id note the linker put in the main executable (a hash of its contents), found in
// the loaded program headers: no file to read. Empty if the binary has none.
int find_build_id(struct dl_phdr_info* info, size_t, void* out_ptr) {
  auto* out = static_cast<std::string*>(out_ptr);
  if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0') return 0;  // not the main program
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const auto* p = reinterpret_cast<const uint8_t*>(info->dlpi_addr + ph.p_vaddr);
    const uint8_t* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
      const uint8_t* name = p + sizeof(ElfW(Nhdr));
      const uint8_t* desc = name + ((note->n_namesz + 3) & ~3u);
      if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0 &&
          desc + note->n_descsz <= end) {
        for (uint32_t k = 0; k < note->n_descsz && out->size() < 16; k++) *out += fmt::format("{:02x}", desc[k]);
        return 1;
      }
      p = desc + ((note->n_descsz + 3) & ~3u);
    }
  }
  return 1;
}

}  // namespace

std::string self_build_id() {
  static std::string id = [] {
    std::string from_note;
    dl_iterate_phdr(find_build_id, &from_note);
    if (!from_note.empty()) return from_note;
    // No build-id note: hash the binary itself (slower: it reads the whole file).
    Result<std::string> bytes = read_text_file(self_exe_path());
    if (!bytes.is_ok()) return std::string("unknown");
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : *bytes) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    return fmt::format("{:016x}", h);
  }();
  return id;
}

namespace {
struct Running {
  pid_t pid;
  int out_fd;
  size_t index;
  std::string out;
  bool eof = false;
};

Result<Running> spawn_child(const std::vector<std::string>& argv, bool quiet_stderr, size_t index) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return errno_status("pipe for", argv[0]);
  pid_t pid = ::fork();
  if (pid < 0) return errno_status("fork for", argv[0]);
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    if (quiet_stderr) {
      int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) ::dup2(devnull, 2);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  return Running{pid, pipefd[0], index, {}, false};
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
}  // namespace

Result<ChildResult> run_child(const std::vector<std::string>& argv, bool quiet_stderr) {
  Result<ChildResult> out = Status(Code::kIoError, "no result");
  Status st = run_children(
      1,
      [&, done = false](std::vector<std::string>* a) mutable {
        if (done) return false;
        *a = argv;
        done = true;
        return true;
      },
      [&](size_t, const Result<ChildResult>& r) { out = r; }, quiet_stderr);
  if (!st.is_ok()) return st;
  return out;
}

std::string find_on_path(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0 ? program : std::string();
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t colon = dirs.find(':', pos);
    if (colon == std::string::npos) colon = dirs.size();
    std::string dir = colon > pos ? dirs.substr(pos, colon - pos) : ".";
    std::string candidate = dir + "/" + program;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    pos = colon + 1;
  }
  return {};
}

Result<ChildResult> run_filter(const std::vector<std::string>& argv, std::string_view input, bool quiet_stderr) {
  KZ_ASSERT(!argv.empty());
  std::string exe = find_on_path(argv[0]);
  if (exe.empty()) return Status(Code::kNotFound, fmt::format("{} not found on PATH", argv[0]));
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return errno_status("pipe for", argv[0]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    Status st = errno_status("pipe for", argv[0]);
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return st;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args[0] = exe.data();
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    Status st = errno_status("fork for", argv[0]);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) ::close(fd);
    return st;
  }
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    if (quiet_stderr) {
      int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) ::dup2(devnull, 2);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  // A filter that exits without reading all its input must not kill us with SIGPIPE.
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  int in_fd = in_pipe[1], out_fd = out_pipe[0];
  ::fcntl(in_fd, F_SETFL, ::fcntl(in_fd, F_GETFL) | O_NONBLOCK);
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  size_t written = 0;
  ChildResult result;
  Status status;
  while (out_fd >= 0) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    int n = ::poll(fds, in_fd >= 0 ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      status = errno_status("poll", argv[0]);
      break;
    }
    if (in_fd >= 0 && fds[1].revents != 0) {
      ssize_t w = ::write(in_fd, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        ::close(in_fd);  // done, or the child stopped reading (EPIPE)
        in_fd = -1;
      }
    }
    if (fds[0].revents != 0) {
      char buf[65536];
      ssize_t r = ::read(out_fd, buf, sizeof buf);
      if (r > 0) {
        result.stdout_text.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(out_fd);
        out_fd = -1;
      }
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  if (out_fd >= 0) ::close(out_fd);
  result.exit_code = wait_exit(pid);
  ::sigaction(SIGPIPE, &previous, nullptr);
  if (!status.is_ok()) return status;
  return result;
}

Status run_children(int jobs, const std::function<bool(std::vector<std::string>* argv)>& next,
                    const std::function<void(size_t index, const Result<ChildResult>& result)>& done,
                    bool quiet_stderr) {
  if (jobs < 1) jobs = 1;
  std::vector<Running> running;
  size_t index = 0;
  bool more = true;
  while (more || !running.empty()) {
    while (more && static_cast<int>(running.size()) < jobs) {
      std::vector<std::string> argv;
      if (!next(&argv)) {
        more = false;
        break;
      }
      Result<Running> r = spawn_child(argv, quiet_stderr, index++);
      if (!r.is_ok()) {
        done(index - 1, r.status());
        continue;
      }
      running.push_back(std::move(*r));
    }
    if (running.empty()) continue;
    std::vector<pollfd> fds;
    for (auto& r : running) fds.push_back(pollfd{r.out_fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return errno_status("poll", "children");
    for (size_t i = 0; i < running.size(); i++) {
      if (fds[i].revents == 0) continue;
      char buf[65536];
      ssize_t n = ::read(running[i].out_fd, buf, sizeof buf);
      if (n > 0) {
        running[i].out.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        running[i].eof = true;
      }
    }
    for (size_t i = 0; i < running.size();) {
      if (!running[i].eof) {
        i++;
        continue;
      }
      ::close(running[i].out_fd);
      ChildResult cr;
      cr.exit_code = wait_exit(running[i].pid);
      cr.stdout_text = std::move(running[i].out);
      done(running[i].index, cr);
      running.erase(running.begin() + static_cast<ptrdiff_t>(i));
    }
  }
  return Status::ok();
}

void reexec_with_huge_page_heap(char** argv) {
  if (std::getenv("GLIBC_TUNABLES") != nullptr) return;
  const char* flag = std::getenv("KZ_HUGEPAGES");
  if (flag != nullptr && std::string_view(flag) == "0") return;
  Result<std::string> mode = read_text_file("/sys/kernel/mm/transparent_hugepage/enabled");
  if (!mode.is_ok() || mode.value().find("[never]") != std::string::npos) return;
  // hugetlb: THP-backed heap. trim_threshold / top_pad: the heap is never handed back to the OS
  // and grows 32 MiB at a time, so memory freed and allocated again is not faulted in (and zeroed)
  // again: a simulation's heap breathes constantly, and glibc's default 128 KiB trim made ~40% of
  // the remaining faults (fine for a short-lived `kz sim` process; servers do not re-exec).
  constexpr const char* kTunables =
      "glibc.malloc.hugetlb=1:glibc.malloc.trim_threshold=1073741824:glibc.malloc.top_pad=33554432";
  if (::setenv("GLIBC_TUNABLES", kTunables, 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  ::unsetenv("GLIBC_TUNABLES");  // exec failed: carry on as we are
}

}  // namespace kz::real
