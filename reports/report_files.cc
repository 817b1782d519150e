#include "reports/report_files.h"

#include <fmt/format.h>

#include "core/real/host.h"
#include "reports/explore_index.h"

namespace kz::reports {

DotRenderer host_dot_renderer() {
  return [](const std::string& source) -> Result<std::string> {
    KZ_ASSIGN_OR_RETURN(real::ChildResult r, real::run_filter({"dot", "-Tsvg"}, source, /*quiet_stderr=*/true));
    if (r.exit_code != 0) return Status(Code::kIoError, fmt::format("dot -Tsvg exited with {}", r.exit_code));
    return std::move(r.stdout_text);
  };
}

Result<std::string> write_run_report(const std::string& dir, const DotRenderer& dot) {
  KZ_ASSIGN_OR_RETURN(std::string summary, real::read_text_file(dir + "/summary.json"));
  KZ_ASSIGN_OR_RETURN(std::string history, real::read_text_file(dir + "/history.jsonl"));
  KZ_ASSIGN_OR_RETURN(std::string events, real::read_text_file(dir + "/events.jsonl"));
  Result<std::string> scenario = real::read_text_file(dir + "/scenario.toml");
  Result<RunData> run = parse_run(summary, history, events, scenario.is_ok() ? *scenario : std::string());
  if (!run.is_ok()) return run.status().with_context(dir);
  if (!scenario.is_ok()) run->scenario_text = run->summary.value("scenario_text", std::string());
  ReportOptions options;
  options.run_dir = dir;
  std::string path = dir + "/report.html";
  std::string html;
  try {
    html = render_run_report(*run, options, dot);
  } catch (const nlohmann::json::exception& e) {
    // A field of the wrong type (a hand-edited or foreign summary.json): say so, do not crash.
    return Status(Code::kCorruption, fmt::format("{}: a field has an unexpected type: {}", dir, e.what()));
  }
  KZ_RETURN_IF_ERROR(real::write_text_file(path, html));
  return path;
}

Result<std::string> write_explore_index(const std::string& dir) {
  KZ_ASSIGN_OR_RETURN(std::string text, real::read_text_file(dir + "/explore.json"));
  nlohmann::json explore = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (explore.is_discarded() || !explore.is_object()) {
    return Status(Code::kCorruption, dir + "/explore.json: not a JSON object");
  }
  std::string path = dir + "/index.html";
  std::string html;
  try {
    html = render_explore_index(explore);
  } catch (const nlohmann::json::exception& e) {
    return Status(Code::kCorruption, fmt::format("{}/explore.json: a field has an unexpected type: {}", dir, e.what()));
  }
  KZ_RETURN_IF_ERROR(real::write_text_file(path, html));
  return path;
}

}  // namespace kz::reports
