#include "reports/explore_index.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "reports/html.h"

namespace kz::reports {

namespace {

std::string text_of(const nlohmann::json& j, const char* key, const char* fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

std::string render_explore_index(const nlohmann::json& explore) {
  std::string scenario = text_of(explore, "scenario", "?");
  std::vector<nlohmann::json> rows;
  if (explore.contains("results") && explore["results"].is_array()) {
    for (const nlohmann::json& r : explore["results"]) {
      if (r.is_object()) rows.push_back(r);
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a.value("seed", uint64_t{0}) < b.value("seed", uint64_t{0});
  });
  std::set<std::string> with_report;  // seeds whose report explore drew
  if (explore.contains("failures") && explore["failures"].is_array()) {
    for (const nlohmann::json& f : explore["failures"]) {
      if (f.is_object() && f.contains("report")) with_report.insert(text_of(f, "seed", ""));
    }
  }
  std::string title = fmt::format("kz explore: {} seeds {}", scenario, text_of(explore, "seeds", "?"));
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  out += fmt::format("<title>{}</title>\n<style>{}</style></head><body>\n<h1>{}</h1>\n", html_escape(title), page_css(),
                     html_escape(title));
  bool pass = explore.value("result", std::string()) == "pass";
  out += fmt::format("<div class=\"verdict {}\"><b>{}</b>: {} runs, {} passed, {} failed{}.</div>\n",
                     pass ? "pass" : "fail", pass ? "PASS" : "FAIL", text_of(explore, "runs", "0"),
                     text_of(explore, "passed", "0"), text_of(explore, "failed", "0"),
                     explore.value("out_of_time", false) ? " (stopped by the time budget)" : "");
  out +=
      "<table><tr><th>seed</th><th>verdict</th><th>failed checker</th><th>message</th><th>sim time</th>"
      "<th>wall time</th><th>trace hash</th><th>report</th></tr>\n";
  for (const nlohmann::json& r : rows) {
    std::string seed = text_of(r, "seed", "?");
    std::string result = text_of(r, "result", "?");
    std::string checker, message;
    if (r.contains("checks") && r["checks"].is_array()) {
      for (const nlohmann::json& c : r["checks"]) {
        if (c.is_object() && !c.value("ok", true)) {
          checker += (checker.empty() ? "" : ", ") + c.value("checker", std::string("?"));
          if (message.empty()) message = c.value("message", std::string());
        }
      }
    }
    if (result == "error") message = text_of(r, "error", "");
    std::string dir = fmt::format("seed-{}", seed);
    // Only rows with a run_dir have a directory: failures (the lowest 100) and, with --keep-passing,
    // passing seeds.
    std::string links;
    if (r.contains("run_dir")) {
      links = fmt::format("{}<a href=\"{}/\">run directory</a>",
                          with_report.count(seed) ? fmt::format("<a href=\"{}/report.html\">report</a> &middot; ",
                                                                html_escape(dir))
                                                  : "",
                          html_escape(dir));
    }
    out += fmt::format(
        "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} ms</td><td>{} ms</td><td>{}</td><td>{}</td></tr>\n",
        result == "pass" ? "" : " class=\"bad\"", html_escape(seed), html_escape(result), html_escape(checker),
        html_escape(truncate(message, 300)), html_escape(text_of(r, "sim_ms", "?")),
        html_escape(text_of(r, "wall_ms", "?")), html_escape(text_of(r, "trace_hash", "")), links);
  }
  out += "</table>\n";
  out +=
      "<p class=\"note\">Explore draws the report of the lowest failing seeds (at most 20); draw any other "
      "with <code>kz sim report DIR/seed-N</code>. Replay a failing seed with <code>kz sim replay DIR/seed-N</code>; "
      "the run directory "
      "holds summary.json, history.jsonl, events.jsonl, log.txt and report.html. Passing seeds keep no run "
      "directory unless explore ran with <code>--keep-passing</code>; <code>kz sim run FILE --seed N --out DIR</code> "
      "makes any seed's again.</p>\n</body></html>\n";
  return out;
}

}  // namespace kz::reports
