"""The determinism rules of kz, checked on the source tree.

Code under core/ and sim/ (except the real backend core/real/) must not read the wall clock, start
threads, call the OS directly, or use non-seeded randomness. core/cli is a tool layer: it may measure
wall time and start processes only through core/real/host.h, so it is checked too.
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent

FORBIDDEN = [
    (re.compile(r"#include\s*<(sys/socket\.h|sys/epoll\.h|unistd\.h|thread|random|fcntl\.h|sys/stat\.h|"
                r"sys/wait\.h|poll\.h|pthread\.h|netdb\.h|arpa/inet\.h|netinet/[a-z_]+\.h|fstream|"
                r"filesystem|future|mutex|condition_variable|atomic|ctime|chrono)>"), "OS/thread/clock header"),
    (re.compile(r"\bsystem_clock\b|\bsteady_clock\b|\bhigh_resolution_clock\b"), "wall clock"),
    (re.compile(r"\brandom_device\b|\bs?rand\s*\(|\bmt19937"), "non-seeded randomness"),
    (re.compile(r"std::thread\b|std::async\b|std::jthread\b"), "threads"),
    (re.compile(r"\b(gettimeofday|clock_gettime|time)\s*\(\s*(nullptr|NULL|0|&)"), "wall clock call"),
    # Calls of the global POSIX functions (`::open(`, not `SimDisk::open(`), files and the environment.
    (re.compile(r"(?<![\w>:])::(open|read|write|close|socket|connect|accept|fsync|pread|pwrite)\s*\(|"
                r"\b(fopen|getenv|popen|system)\s*\("), "direct OS I/O"),
]

# std::chrono types are fine as durations; only clocks are forbidden. <chrono> itself is allowed
# where no clock is read, but kz uses int64 nanoseconds, so it is simply not needed.


def sources():
    for top in ("core", "sim"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix not in (".h", ".hpp", ".cc", ".cpp"):
                continue
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("core/real/"):
                continue
            yield rel, path.read_text(encoding="utf-8", errors="replace")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def test_no_forbidden_calls_outside_the_real_backend():
    hits = []
    for rel, text in sources():
        code = strip_comments(text)
        for lineno, line in enumerate(code.splitlines(), 1):
            for pattern, what in FORBIDDEN:
                if pattern.search(line):
                    hits.append(f"{rel}:{lineno}: {what}: {line.strip()}")
    assert not hits, "determinism rules broken:\n" + "\n".join(hits)


def test_the_rule_check_catches_a_violation():
    # The check itself must be able to fail.
    sample = ("#include <thread>\nauto t = std::chrono::system_clock::now();\nint r = rand();\n"
              "int fd = ::open(path, 0);\n")
    found = {what for line in sample.splitlines() for pattern, what in FORBIDDEN if pattern.search(line)}
    assert {"OS/thread/clock header", "wall clock", "non-seeded randomness", "direct OS I/O"} <= found
    # Methods of kz's own classes named like POSIX calls are not OS calls.
    assert not any(p.search("Status SimDisk::open(std::string_view path) {") for p, _ in FORBIDDEN)
